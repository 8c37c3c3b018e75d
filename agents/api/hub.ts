/**
 * The TMF921 event hub: listeners registered with POST /hub are kept in a KV bucket (so
 * a restarted api still calls them) and in memory (so an event does not read the bucket),
 * and every event is POSTed to each listener whose query admits it.
 *
 * Delivery is at least once per accepted event while the api runs: the slice events
 * feeding it come from a durable consumer that is acknowledged only after the callbacks
 * were tried. A listener that does not answer 2xx is tried again a few times, then
 * skipped for that event (logged), and rests for a while: the events of its rest are not
 * sent to it, so one dead listener cannot hold every event up by its timeouts.
 */
import { randomBytes } from 'node:crypto';
import type { TypedKv } from '../../shared/bus/index.js';
import type { HubRegistration } from '../../shared/contracts/api.js';
import type { Logger } from '../../shared/runtime/logger.js';
import type { EventType } from './schemas.js';

export interface HubEvent {
  readonly '@type': EventType;
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventType: EventType;
  readonly correlationId?: string;
  readonly event: Record<string, unknown>;
}

export interface HubOptions {
  readonly kv: TypedKv<HubRegistration>;
  readonly logger: Logger;
  /** Per callback attempt (default 2 s). */
  readonly timeoutMs?: number;
  /** Attempts per event and listener (default 3). */
  readonly attempts?: number;
  /** How long a listener that failed every attempt is left out (default 30 s). */
  readonly restMs?: number;
  readonly now?: () => number;
}

/**
 * The event types a listener's query admits. TMF630: `eventType=A,B` (or `eventType=A`);
 * no query, or one that names no eventType, admits every event.
 */
export function admittedTypes(query: string | undefined): Set<string> | undefined {
  if (query === undefined || query.trim() === '') return undefined;
  const params = new URLSearchParams(query.replace(/&amp;/g, '&'));
  const types = params
    .getAll('eventType')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return types.length === 0 ? undefined : new Set(types);
}

export interface Hub {
  /** Loads the registrations from the bucket (at start). */
  load(): Promise<void>;
  register(callback: string, query: string | undefined): Promise<HubRegistration>;
  /** false when the id is unknown. */
  unregister(id: string): Promise<boolean>;
  list(): HubRegistration[];
  /** Delivers to every admitting listener; resolves once each was tried. */
  publish(event: HubEvent): Promise<void>;
}

export function createHub(options: HubOptions): Hub {
  const { kv, logger } = options;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const attempts = options.attempts ?? 3;
  const now = options.now ?? Date.now;
  const restMs = options.restMs ?? 30_000;
  const listeners = new Map<string, HubRegistration>();
  /** Listener id → until when it rests after failing an event. */
  const resting = new Map<string, number>();

  async function deliver(listener: HubRegistration, event: HubEvent): Promise<void> {
    const until = resting.get(listener.id);
    if (until !== undefined && now() < until) {
      logger.debug('hub listener resting; event not sent', {
        hub: listener.id,
        eventType: event.eventType,
        eventId: event.eventId,
      });
      return;
    }
    const body = JSON.stringify(event);
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const response = await fetch(listener.callback, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The body is not read: drain it so the connection is reused.
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          resting.delete(listener.id);
          return;
        }
        logger.warn('hub listener refused an event', {
          hub: listener.id,
          status: response.status,
          eventType: event.eventType,
          attempt,
        });
      } catch (error) {
        logger.warn('hub listener unreachable', {
          hub: listener.id,
          eventType: event.eventType,
          attempt,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    resting.set(listener.id, now() + restMs);
    logger.warn('hub listener failed an event; resting', {
      hub: listener.id,
      eventId: event.eventId,
      restMs,
    });
  }

  return {
    async load() {
      listeners.clear();
      for (const key of await kv.keys()) {
        const entry = await kv.get(key);
        if (entry) listeners.set(entry.value.id, entry.value);
      }
    },
    async register(callback, query) {
      const registration: HubRegistration = {
        type: 'api.hub.v1',
        id: `hub-${randomBytes(8).toString('hex')}`,
        callback,
        ...(query === undefined ? {} : { query }),
        createdAt: now(),
      };
      // Stored before it is answered: a 201 means it survives a restart.
      await kv.create(registration.id, registration);
      listeners.set(registration.id, registration);
      return registration;
    },
    async unregister(id) {
      const known = listeners.has(id) || (await kv.get(id)) !== null;
      if (!known) return false;
      await kv.delete(id);
      listeners.delete(id);
      resting.delete(id);
      return true;
    },
    list: () => [...listeners.values()],
    async publish(event) {
      const targets = [...listeners.values()].filter((l) => {
        const admitted = admittedTypes(l.query);
        return admitted === undefined || admitted.has(event.eventType);
      });
      await Promise.all(targets.map((l) => deliver(l, event)));
    },
  };
}
