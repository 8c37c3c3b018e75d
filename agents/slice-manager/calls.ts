/**
 * The lifecycle's side-effect actors, bound to the bus: typed request/reply to
 * the interpreter, orchestrator and infrastructure, each inside the slice's
 * trace and bounded by the timeout the machine hands in.
 */
import { context as otelContext, type Context } from '@opentelemetry/api';
import { fromPromise } from 'xstate';
import type { z } from 'zod';
import {
  ApplyReply,
  ApplyRequest,
  DeclineReply,
  DeclineRequest,
  InferenceReply,
  InferenceRequest,
  PlacementReply,
  PlacementRequest,
  ReleaseReply,
  ReleaseRequest,
  SliceMeshError,
  ViewReply,
  ViewRequest,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import type { CallInput } from './lifecycle/machine.js';

/** Supplies the trace context a call of `sliceId` should be a child of. */
export type TraceParent = (sliceId: string) => Context;

/** Runs before a call is sent, e.g. to wait for this slice's turn to place. */
export type BeforeCall = (sliceId: string) => Promise<void>;

/** Runs once a call's request has been handed to NATS, before its reply. */
export type AfterSend = (sliceId: string) => void;

function call<Q extends z.ZodType, R extends z.ZodType>(
  bus: Bus,
  parentOf: TraceParent,
  subject: string,
  requestSchema: Q,
  replySchema: R,
  hooks: { before?: BeforeCall; afterSend?: AfterSend } = {},
) {
  return fromPromise<z.output<R>, CallInput<z.input<Q>>>(async ({ input, signal }) => {
    // XState starts an invoked actor within the transition, before observers
    // see the new state: yield once so the span of the new state exists.
    await Promise.resolve();
    if (hooks.before) await hooks.before(input.sliceId);
    if (signal.aborted) {
      throw new SliceMeshError('internal', `call to ${subject} cancelled`, { retryable: false });
    }
    // bus.request publishes synchronously: once it returns, the request is on the connection.
    const pending = otelContext.with(parentOf(input.sliceId), () =>
      bus.request(subject, requestSchema, input.request, replySchema, {
        timeoutMs: input.timeoutMs,
      }),
    );
    hooks.afterSend?.(input.sliceId);
    const reply = await pending;
    const replySliceId = (reply as { sliceId?: unknown }).sliceId;
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
  const { subjects } = bus;
  return {
    interpret: call(bus, parentOf, subjects.interpreterInfer(), InferenceRequest, InferenceReply),
    viewNetwork: call(
      bus,
      parentOf,
      subjects.infraView(),
      ViewRequest,
      ViewReply,
      hooks.beforePlacement ? { before: hooks.beforePlacement } : {},
    ),
    plan: call(bus, parentOf, subjects.orchestratorPlace(), PlacementRequest, PlacementReply),
    apply: call(bus, parentOf, subjects.infraApply(), ApplyRequest, ApplyReply, last),
    release: call(bus, parentOf, subjects.infraRelease(), ReleaseRequest, ReleaseReply),
    decline: call(bus, parentOf, subjects.infraDecline(), DeclineRequest, DeclineReply, last),
  };
}
