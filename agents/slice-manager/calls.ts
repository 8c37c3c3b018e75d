/**
 * The lifecycle's side-effect actors, bound to the bus: typed request/reply to
 * the interpreter, orchestrator and infrastructure, each inside the slice's
 * trace and bounded by the timeout the machine hands in — and one local step,
 * `viewNetwork`, which takes the slice's turn to place and names the
 * infrastructure version to plan on (no network crosses the bus).
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
import type { LocalViewRequest, ViewStep } from './lifecycle/types.js';
import { ViewVersions } from './view-version.js';

/** Supplies the trace context a call of `sliceId` should be a child of. */
export type TraceParent = (sliceId: string) => Context;

/** Runs before a placement starts: waits for this slice's turn to place. */
export type BeforeCall = (sliceId: string) => Promise<void>;

/** Runs once a call is over: its reply arrived (and was taken note of), or it failed. */
export type AfterCall = (sliceId: string) => void;

/** What a reply tells of the infrastructure's version: nothing, a version seen, or the placement's own. */
type VersionNote = (reply: unknown, versions: ViewVersions) => void;

function viewVersionOf(reply: unknown): number | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  if ('viewVersion' in reply && typeof reply.viewVersion === 'number') return reply.viewVersion;
  if ('plan' in reply && typeof reply.plan === 'object' && reply.plan !== null) {
    const plan = reply.plan as { viewVersion?: unknown };
    if (typeof plan.viewVersion === 'number') return plan.viewVersion;
  }
  return undefined;
}

const observed: VersionNote = (reply, versions) => {
  const version = viewVersionOf(reply);
  if (version !== undefined) versions.observe(version);
};
const settled: VersionNote = (reply, versions) => {
  const version = viewVersionOf(reply);
  if (version !== undefined) versions.settle(version);
};

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

interface CallHooks<Q extends z.ZodType> {
  /** Sends a request stored by an earlier build in today's form. */
  upgrade?: (request: z.input<Q>) => z.input<Q>;
  /** What the reply tells of the infrastructure's version. */
  note?: VersionNote;
  /** Runs once the call is over (reply noted, or failure). */
  after?: AfterCall;
}

function call<Q extends z.ZodType, R extends z.ZodType>(
  bus: Bus,
  parentOf: TraceParent,
  endpoint: Endpoint<Q, R>,
  versions: ViewVersions,
  hooks: CallHooks<Q> = {},
) {
  const subject = endpoint.subject(bus.subjects);
  return fromPromise<z.output<R>, CallInput<z.input<Q>>>(async ({ input, signal }) => {
    // XState starts an invoked actor within the transition, before observers
    // see the new state: yield once so the span of the new state exists.
    await Promise.resolve();
    try {
      if (signal.aborted) {
        throw new SliceMeshError('internal', `call to ${subject} cancelled`, { retryable: false });
      }
      // (The subject form with the descriptor's parts: test doubles of the bus implement only it.)
      const request = hooks.upgrade ? hooks.upgrade(input.request) : input.request;
      const reply = await otelContext.with(parentOf(input.sliceId), () =>
        bus.request(subject, endpoint.request, request, endpoint.reply, {
          timeoutMs: input.timeoutMs,
        }),
      );
      const replySliceId: unknown =
        typeof reply === 'object' && reply !== null && 'sliceId' in reply
          ? reply.sliceId
          : undefined;
      if (replySliceId !== undefined && replySliceId !== input.sliceId) {
        // A peer that answers for another slice is broken; retrying will not help.
        throw new SliceMeshError(
          'invalid-message',
          `${subject} answered for slice ${String(replySliceId)} instead of ${input.sliceId}`,
          { retryable: false },
        );
      }
      // Before `after`: the next slice to place asks for the version this reply reports.
      hooks.note?.(reply, versions);
      return reply;
    } finally {
      hooks.after?.(input.sliceId);
    }
  });
}

/**
 * The lifecycle's six named actors. `viewNetwork` is local: it waits for the
 * slice's turn to place (`beforePlacement`, see placement-lock.ts) and
 * answers the infrastructure version this manager knows of, which the
 * placement request then asks the orchestrator to plan on. `placementDone`
 * runs once the placement's last call to the infrastructure — its apply, or
 * the decline of a refused slice — has its reply (or failed), after the
 * version it reports was taken note of: the end of what must be serialised.
 */
export function busActors(
  bus: Bus,
  parentOf: TraceParent,
  hooks: { beforePlacement?: BeforeCall; placementDone?: AfterCall } = {},
) {
  const versions = new ViewVersions();
  const last = hooks.placementDone ? { after: hooks.placementDone } : {};
  return {
    interpret: call(bus, parentOf, ENDPOINTS.interpreterInfer, versions),
    viewNetwork: fromPromise<ViewStep, CallInput<LocalViewRequest>>(async ({ input, signal }) => {
      // As the calls do: let the new state's span exist first.
      await Promise.resolve();
      if (hooks.beforePlacement) await hooks.beforePlacement(input.sliceId);
      if (signal.aborted) {
        throw new SliceMeshError('internal', 'network view cancelled', { retryable: false });
      }
      // Read once the turn is ours: the previous holder's reply has been noted.
      return { view: { version: versions.current } };
    }),
    plan: call(bus, parentOf, ENDPOINTS.orchestratorPlace, versions, {
      upgrade: currentPlacementRequest,
      note: observed,
    }),
    apply: call(bus, parentOf, ENDPOINTS.infraApply, versions, { note: settled, ...last }),
    release: call(bus, parentOf, ENDPOINTS.infraRelease, versions, { note: observed }),
    decline: call(bus, parentOf, ENDPOINTS.infraDecline, versions, { note: settled, ...last }),
  };
}
