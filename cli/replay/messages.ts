/**
 * Scenario events → wire messages. Requests, changes and terminations go to
 * the slice-manager's intake; a surge is traffic on a running slice, so it
 * becomes a `TrafficLoad` for the infrastructure. Lifetimes are scaled by
 * the time factor so a replay at speed 10 also ends its slices ten times
 * sooner.
 */
import {
  DEFAULT_TENANT,
  type SliceChange,
  type SliceRequest,
  type SliceTermination,
  type TrafficLoad,
} from '../../shared/contracts/index.js';
import {
  toWallMs,
  type Adaptation,
  type Scenario,
  type ScenarioEvent,
  type Speed,
} from '../../shared/scenario/index.js';

export type OutgoingMessage =
  | { readonly kind: 'request'; readonly message: SliceRequest }
  | { readonly kind: 'change'; readonly message: SliceChange }
  | { readonly kind: 'terminate'; readonly message: SliceTermination }
  | { readonly kind: 'load'; readonly message: TrafficLoad };

/** Id of the change or surge at `index` in the scenario: stable across runs of the same file. */
export function changeIdFor(event: ScenarioEvent): string {
  return `${event.kind}-${event.index}`;
}

/** The message that carries `event`, stamped with `submittedAt` (epoch ms), for `tenant`'s slice. */
export function toMessage(
  event: ScenarioEvent,
  speed: Speed,
  submittedAt: number,
  adaptation: Adaptation = 'on',
  tenant: string = DEFAULT_TENANT,
): OutgoingMessage {
  switch (event.kind) {
    case 'request': {
      const message: SliceRequest = {
        type: 'slice.request.v2',
        sliceId: event.sliceId,
        tenant,
        text: event.text,
        demand: event.demand,
        submittedAt,
        ...(event.sla !== undefined ? { sla: event.sla } : {}),
        ...(adaptation === 'off' ? { adaptive: false } : {}),
        ...(event.lifetimeMs !== undefined
          ? {
              lifetimeMs: Math.max(
                1,
                Math.round(speed === 'max' ? event.lifetimeMs : toWallMs(event.lifetimeMs, speed)),
              ),
            }
          : {}),
      };
      return { kind: 'request', message };
    }
    case 'change':
      return {
        kind: 'change',
        message: {
          type: 'slice.change.v2',
          sliceId: event.sliceId,
          tenant,
          changeId: changeIdFor(event),
          submittedAt,
          ...(event.text !== undefined ? { text: event.text } : {}),
          ...(event.sla !== undefined ? { sla: event.sla } : {}),
          ...(event.demand !== undefined ? { demand: event.demand } : {}),
        },
      };
    case 'surge':
      return {
        kind: 'load',
        message: {
          type: 'infra.load.v1',
          sliceId: event.sliceId,
          at: submittedAt,
          factor: event.factor,
        },
      };
    case 'terminate':
      return {
        kind: 'terminate',
        message: {
          type: 'slice.terminate.v2',
          sliceId: event.sliceId,
          tenant,
          submittedAt,
          reason: event.reason ?? `scenario event ${event.index}`,
        },
      };
  }
}

/** Slice ids in the order the scenario requests them. */
export function requestedSliceIds(scenario: Scenario): string[] {
  return scenario.events.filter((e) => e.kind === 'request').map((e) => e.sliceId);
}
