/** A scenario after parsing and checking: every time in ms, every demand resolved. */
import type { ResourceDemand, SlaClasses, SliceProfile } from '../contracts/index.js';
import type { Speed } from './duration.js';

/** Where an event came from in the scenario file (1-based). */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

interface EventBase {
  /** Position of the event in the file's `events` list, from 0. */
  readonly index: number;
  /** Scenario time of the event, from the start of the replay. */
  readonly atMs: number;
  readonly position: SourcePosition;
  readonly sliceId: string;
}

export interface RequestEvent extends EventBase {
  readonly kind: 'request';
  readonly text: string;
  /** Classes stated to the mesh: each overrides what the interpreter infers. */
  readonly sla?: SlaClasses;
  /** What the requester actually needs: read by the replay's judge only, never sent to the mesh. */
  readonly truth?: SliceProfile;
  /** Explicit in the file, or drawn from the scenario seed (`demandSource`). */
  readonly demand: ResourceDemand;
  readonly demandSource: 'explicit' | 'seed';
  readonly lifetimeMs?: number;
}

export interface ChangeEvent extends EventBase {
  readonly kind: 'change';
  readonly text?: string;
  readonly sla?: SlaClasses;
  readonly demand?: ResourceDemand;
}

/**
 * A traffic surge: the traffic observed on a running slice, not a new
 * request. It reaches the infrastructure as a `TrafficLoad`; the slice's
 * reservation stays as it is, its resource use and the congestion of shared
 * nodes follow the load.
 */
export interface SurgeEvent extends EventBase {
  readonly kind: 'surge';
  /** Traffic relative to the slice's nominal demand: 1 = nominal, 2 = doubled. */
  readonly factor: number;
}

export interface TerminateEvent extends EventBase {
  readonly kind: 'terminate';
  readonly reason?: string;
}

export type ScenarioEvent = RequestEvent | ChangeEvent | SurgeEvent | TerminateEvent;

/** on: violations are answered with a re-placement; off: only recorded. */
export type Adaptation = 'on' | 'off';

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly seed: number;
  /** Orchestrator method named in the file; the CLI's `--method` wins over it. */
  readonly method?: string;
  readonly speed: Speed;
  /** Whether the mesh answers SLA violations with re-placements (default on). */
  readonly adaptation: Adaptation;
  readonly fluctuation?: { readonly amplitude: number };
  /** In file order, which is also time order. */
  readonly events: readonly ScenarioEvent[];
  /** File name (or `<inline>`) used in error messages. */
  readonly source: string;
}

/** One problem found in a scenario file. */
export interface ScenarioIssue {
  readonly line: number;
  readonly col: number;
  /** Dotted path of the offending node, e.g. `events[2].request.demand.cpu` (empty for the document). */
  readonly path: string;
  readonly message: string;
}
