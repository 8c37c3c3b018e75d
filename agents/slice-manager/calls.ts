/**
 * The lifecycle's side-effect actors, bound to the bus: typed request/reply to
 * the interpreter, orchestrator and infrastructure, each inside the slice's
 * trace and bounded by the timeout the machine hands in.
 */
import { context as otelContext, type Context } from '@opentelemetry/api';
import { fromPromise } from 'xstate';
import type { z } from 'zod';
import {
  ENDPOINTS,
  SliceMeshError,
  type Endpoint,
  type PlacementRequest,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import type { CallInput } from './lifecycle/machine.js';

/** Supplies the trace context a call of `sliceId` should be a child of. */
export type TraceParent = (sliceId: string) => Context;

/** Runs before a call is sent, e.g. to wait for this slice's turn to place. */
export type BeforeCall = (sliceId: string) => Promise<void>;

/** Runs once a call's request has been handed to NATS, before its reply. */
export type AfterSend = (sliceId: string) => void;

/**
 * A placement request as a slice persisted by an earlier build may hold it
 * (a restored call is re-sent with its stored input): v1 carried the whole
 * network view. It is sent as v2, asking for that view's version.
 */
export function currentPlacementRequest(request: PlacementRequest): PlacementRequest {
  const stored = request as PlacementRequest | LegacyPlacementRequest;
  if (stored.type !== 'orchestrator.place.request.v1') return request;
  const { view, type: _type, ...rest } = stored;
  return { ...rest, type: 'orchestrator.place.request.v2', minViewVersion: view.version };
}

interface LegacyPlacementRequest extends Omit<PlacementRequest, 'type' | 'minViewVersion'> {
  type: 'orchestrator.place.request.v1';
  view: { version: number };
}

function call<Q extends z.ZodType, R extends z.ZodType>(
  bus: Bus,
  parentOf: TraceParent,
  endpoint: Endpoint<Q, R>,
  hooks: {
    before?: BeforeCall;
    afterSend?: AfterSend;
    upgrade?: (request: z.input<Q>) => z.input<Q>;
  } = {},
) {
  const subject = endpoint.subject(bus.subjects);
  return fromPromise<z.output<R>, CallInput<z.input<Q>>>(async ({ input, signal }) => {
    // XState starts an invoked actor within the transition, before observers
    // see the new state: yield once so the span of the new state exists.
    await Promise.resolve();
    if (hooks.before) await hooks.before(input.sliceId);
    if (signal.aborted) {
      throw new SliceMeshError('internal', `call to ${subject} cancelled`, { retryable: false });
    }
    // bus.request publishes synchronously: once it returns, the request is on the connection.
    // (The subject form with the descriptor's parts: test doubles of the bus implement only it.)
    const pending = otelContext.with(parentOf(input.sliceId), () =>
      bus.request(
        subject,
        endpoint.request,
        hooks.upgrade ? hooks.upgrade(input.request) : input.request,
        endpoint.reply,
        {
          timeoutMs: input.timeoutMs,
        },
      ),
    );
    hooks.afterSend?.(input.sliceId);
    const reply = await pending;
    const replySliceId: unknown =
      typeof reply === 'object' && reply !== null && 'sliceId' in reply ? reply.sliceId : undefined;
    if (replySliceId !== undefined && replySliceId !== input.sliceId) {
      // A peer that answers for another slice is broken; retrying will not help.
      throw new SliceMeshError(
        'invalid-message',
        `${subject} answered for slice ${String(replySliceId)} instead of ${input.sliceId}`,
        { retryable: false },
      );
    }
    return reply;
  });
}

/**
 * The six named actors of the lifecycle machine, speaking the wire contracts
 * over `bus`. `beforePlacement` runs before the network view is fetched: the
 * start of a slice's placement. `placementSent` runs once the placement's
 * last request to the infrastructure (apply, or decline after a refusal) is
 * on the connection: the end of what must be serialised (see placement-lock.ts).
 */
export function busActors(
  bus: Bus,
  parentOf: TraceParent,
  hooks: { beforePlacement?: BeforeCall; placementSent?: AfterSend } = {},
) {
  const last = hooks.placementSent ? { afterSend: hooks.placementSent } : {};
  const before = hooks.beforePlacement ? { before: hooks.beforePlacement } : {};
  return {
    interpret: call(bus, parentOf, ENDPOINTS.interpreterInfer),
    viewNetwork: call(bus, parentOf, ENDPOINTS.infraView, before),
    plan: call(bus, parentOf, ENDPOINTS.orchestratorPlace, { upgrade: currentPlacementRequest }),
    apply: call(bus, parentOf, ENDPOINTS.infraApply, last),
    release: call(bus, parentOf, ENDPOINTS.infraRelease),
    decline: call(bus, parentOf, ENDPOINTS.infraDecline, last),
  };
}
