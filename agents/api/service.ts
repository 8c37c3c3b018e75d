/**
 * What the HTTP routes do on the mesh: read slices from the slice-manager, keep the
 * intents' TMF921 side in the api's bucket, and submit requests, changes and
 * terminations to the durable intake as the intent's tenant. A write is answered only
 * once JetStream has acknowledged the intake message; a bus that does not answer is a
 * typed `unavailable`/`timeout` (503), and then nothing was accepted.
 */
import { randomBytes } from 'node:crypto';
import type { Tracer } from '@opentelemetry/api';
import type { Bus, TypedKv } from '../../shared/bus/index.js';
import type { StoredIntent } from '../../shared/contracts/api.js';
import { ENDPOINTS, intakeSubject } from '../../shared/contracts/endpoints.js';
import { SliceMeshError, isSliceMeshError } from '../../shared/contracts/errors.js';
import {
  SliceChange,
  SliceRequest,
  SliceTermination,
  type SliceQoeSummary,
  type SliceRecord,
} from '../../shared/contracts/messages.js';
import { listSlicePages } from '../../shared/clients/slice-list.js';
import { instrument } from '../../shared/telemetry/instrument.js';
import { ATTR, SPAN } from '../../shared/telemetry/names.js';
import { HttpError, notFound } from './errors.js';
import {
  newIntentId,
  tenantOfIntent,
  toIntent,
  understand,
  type IntentInput,
  type IntentPatch,
  type IntentView,
} from './intent.js';
import { isFinished } from './lifecycle.js';
import { toIntentReport } from './report.js';
import { updateIntent } from './store.js';

export interface IntentServiceOptions {
  readonly bus: Bus;
  readonly intents: TypedKv<StoredIntent>;
  /** Tenants the mesh has (the api may send for these only). */
  readonly tenants: readonly string[];
  readonly defaultTenant: string;
  readonly now?: () => number;
  /** Per bus call (default 3 s): a client waits this long at most before a 503. */
  readonly timeoutMs?: number;
  /** Each write is a span, the parent of its intake message (the slice's trace starts here). */
  readonly tracer?: Tracer;
}

export type IntentReportView = ReturnType<typeof toIntentReport>;

/** A stored, accepted intent the slice-manager has not recorded yet: acknowledged. */
function pendingRecord(stored: StoredIntent): SliceRecord {
  return {
    sliceId: stored.sliceId,
    tenant: stored.tenant,
    state: 'requested',
    text: stored.description ?? stored.name,
    history: [{ state: 'requested', at: stored.createdAt }],
  };
}

export interface IntentService {
  create(input: IntentInput): Promise<IntentView>;
  get(id: string): Promise<IntentView>;
  list(): AsyncGenerator<IntentView>;
  patch(id: string, patch: IntentPatch): Promise<IntentView>;
  terminate(id: string): Promise<void>;
  reports(id: string): Promise<IntentReportView[]>;
  /** The telemetry agent's view of one slice (undefined when it has none or does not answer). */
  kpiOf(sliceId: string): Promise<SliceQoeSummary | undefined>;
}

export function createIntentService(options: IntentServiceOptions): IntentService {
  const { bus, intents } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const publishOptions = { timeoutMs, retryForMs: timeoutMs };
  const traced = <T>(operation: string, sliceId: string, fn: () => Promise<T>): Promise<T> =>
    options.tracer
      ? instrument(
          options.tracer,
          SPAN.apiIntent,
          { [ATTR.apiOperation]: operation, [ATTR.sliceId]: sliceId },
          fn,
        )
      : fn();

  /**
   * A round trip to the server before a write: while the connection is down the client
   * would buffer the intake message and send it after reconnecting, which would accept
   * an intent already answered 503. (A drop between this probe and the publish can still
   * do that; the publish's msgId keeps it to one slice.)
   */
  async function assertConnected(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const probeMs = Math.min(timeoutMs, 1_500);
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), probeMs);
    });
    try {
      const outcome = await Promise.race([bus.flush().then(() => 'ok' as const), timedOut]);
      if (outcome === 'timeout')
        throw new SliceMeshError('unavailable', `the bus did not answer within ${probeMs} ms`);
    } catch (error) {
      // A flush fails only when the connection does (disconnected, closed): unavailable.
      if (isSliceMeshError(error) && error.code === 'unavailable') throw error;
      throw new SliceMeshError('unavailable', 'the bus is not connected', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async function sliceOf(id: string): Promise<SliceRecord | null> {
    try {
      const reply = await bus.request(
        ENDPOINTS.sliceGet,
        { type: 'slice.get.request.v1', sliceId: id },
        { timeoutMs },
      );
      return reply.slice;
    } catch (error) {
      if (isSliceMeshError(error) && error.code === 'unknown-slice') return null;
      throw error;
    }
  }

  /** The record and stored intent of `id`; 404 when neither the mesh nor the api knows it. */
  async function lookup(id: string): Promise<{ record: SliceRecord; stored?: StoredIntent }> {
    const [record, entry] = await Promise.all([sliceOf(id), intents.get(id)]);
    const stored = entry?.value;
    if (record) return stored ? { record, stored } : { record };
    if (stored?.accepted) return { record: pendingRecord(stored), stored };
    throw notFound(`no intent ${id}`);
  }

  function assertTenant(tenant: string): void {
    if (!options.tenants.includes(tenant)) {
      throw new SliceMeshError(
        'invalid-message',
        `tenant ${JSON.stringify(tenant)} is not one of the mesh's tenants (${options.tenants.join(', ')})`,
      );
    }
  }

  return {
    async create(input) {
      const tenant = tenantOfIntent(input, options.defaultTenant);
      assertTenant(tenant);
      const { text, sla } = understand(input.name, input.description, input.expression);
      const at = now();
      const sliceId = newIntentId(at);
      const request = SliceRequest.safeParse({
        type: 'slice.request.v2',
        sliceId,
        tenant,
        text,
        ...(sla ? { sla } : {}),
        submittedAt: at,
      });
      if (!request.success)
        throw new SliceMeshError('invalid-message', `invalid intent: ${request.error.message}`);
      const stored: StoredIntent = {
        type: 'api.intent.v1',
        sliceId,
        tenant,
        name: input.name,
        ...(input.description === undefined ? {} : { description: input.description }),
        expression: { ...input.expression },
        createdAt: at,
        updatedAt: at,
        accepted: false,
        reports: [],
      };
      await traced('create', sliceId, async () => {
        await assertConnected();
        await intents.create(sliceId, stored);
        try {
          await bus.jsPublish(
            intakeSubject(bus.subjects, request.data),
            SliceRequest,
            request.data,
            { msgId: `request-${sliceId}`, ...publishOptions },
          );
        } catch (error) {
          // Not accepted: the stored half goes too (if the bus lets it; it stays hidden if not).
          await intents.delete(sliceId).catch(() => undefined);
          throw error;
        }
      });
      const accepted = { ...stored, accepted: true };
      // Accepted now whatever happens to this flag: the slice-manager's record shows it too.
      await intents.put(sliceId, accepted).catch(() => undefined);
      return toIntent(pendingRecord(accepted), accepted);
    },

    async get(id) {
      const { record, stored } = await lookup(id);
      return toIntent(record, stored);
    },

    async *list() {
      for await (const page of listSlicePages(bus, { timeoutMs })) {
        const stored = await Promise.all(page.map((r) => intents.get(r.sliceId)));
        for (const [i, record] of page.entries()) yield toIntent(record, stored[i]?.value);
      }
    },

    async patch(id, patch) {
      const { record, stored } = await lookup(id);
      if (isFinished(record.state))
        throw new HttpError(409, 'finished', 'Conflict', `intent ${id} is ${record.state}`);
      const name = patch.name ?? stored?.name ?? id;
      const at = now();
      if (patch.description !== undefined || patch.expression !== undefined) {
        const expression = patch.expression ??
          (stored?.expression as IntentInput['expression'] | undefined) ?? {
            '@type': 'JsonLdExpression',
            expressionValue: {},
          };
        const { text, sla } = understand(name, patch.description ?? record.text, expression);
        const change = SliceChange.safeParse({
          type: 'slice.change.v2',
          sliceId: id,
          tenant: record.tenant ?? stored?.tenant ?? options.defaultTenant,
          changeId: `change-${at.toString(36)}-${randomBytes(4).toString('hex')}`,
          ...(patch.description === undefined ? {} : { text }),
          ...(sla ? { sla } : {}),
          submittedAt: at,
        });
        if (!change.success)
          throw new SliceMeshError('invalid-message', `invalid change: ${change.error.message}`);
        const message = change.data;
        await traced('change', id, async () => {
          await assertConnected();
          await bus.jsPublish(intakeSubject(bus.subjects, message), SliceChange, message, {
            msgId: message.changeId,
            ...publishOptions,
          });
        });
      }
      const next = (current: StoredIntent): StoredIntent => ({
        ...current,
        name,
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.expression === undefined ? {} : { expression: { ...patch.expression } }),
        updatedAt: at,
      });
      const updated =
        (await updateIntent(intents, id, next)) ??
        // A slice requested elsewhere gets its TMF side on its first patch.
        (await (async () => {
          const created = next({
            type: 'api.intent.v1',
            sliceId: id,
            tenant: record.tenant ?? options.defaultTenant,
            name,
            expression: { '@type': 'JsonLdExpression', expressionValue: {} },
            createdAt: record.history[0]?.at ?? at,
            updatedAt: at,
            accepted: true,
            reports: [],
          });
          await intents.put(id, created);
          return created;
        })());
      return toIntent(record, updated);
    },

    async terminate(id) {
      const { record } = await lookup(id);
      // Already gone (or going): deleting again changes nothing.
      if (isFinished(record.state) || record.state === 'terminating') return;
      const termination = {
        type: 'slice.terminate.v2' as const,
        sliceId: id,
        tenant: record.tenant ?? options.defaultTenant,
        reason: 'DELETE /intent',
        submittedAt: now(),
      };
      await traced('terminate', id, async () => {
        await assertConnected();
        await bus.jsPublish(
          intakeSubject(bus.subjects, termination),
          SliceTermination,
          termination,
          { msgId: `terminate-${id}`, ...publishOptions },
        );
      });
    },

    async reports(id) {
      const { stored } = await lookup(id);
      const name = stored?.name ?? id;
      return (stored?.reports ?? []).map((r) => toIntentReport(id, name, r));
    },

    async kpiOf(sliceId) {
      try {
        const summary = await bus.request(
          ENDPOINTS.telemetrySummary,
          { type: 'telemetry.summary.request.v1', sliceIds: [sliceId] },
          { timeoutMs },
        );
        return summary.slices.find((s) => s.sliceId === sliceId);
      } catch {
        return undefined;
      }
    },
  };
}
