/**
 * From the mesh's slice events to the event hub: a slice's first event is its intent's
 * IntentCreateEvent, a change of lifecycleStatus an IntentStatusChangeEvent, and a
 * transition that makes a report (report.ts) stores it and sends IntentReportCreateEvent.
 * Event ids are built from the slice and its transition number, so a redelivered slice
 * event makes the same events again (a listener can de-duplicate) and no second report.
 */
import type { TypedKv } from '../../shared/bus/index.js';
import type { StoredIntent } from '../../shared/contracts/api.js';
import {
  historyCount,
  tenantOf,
  type SliceEvent,
  type SliceQoeSummary,
} from '../../shared/contracts/messages.js';
import type { Hub, HubEvent } from './hub.js';
import { toIntent } from './intent.js';
import { lifecycleStatusOf } from './lifecycle.js';
import { reportOf, reportsOn, toIntentReport, withReport } from './report.js';
import type { EventType } from './schemas.js';
import { updateIntent } from './store.js';

export interface EventFeedOptions {
  readonly hub: Hub;
  readonly intents: TypedKv<StoredIntent>;
  readonly kpiOf: (sliceId: string) => Promise<SliceQoeSummary | undefined>;
}

function hubEvent(
  type: EventType,
  id: string,
  at: number,
  payload: Record<string, unknown>,
  correlationId: string,
): HubEvent {
  return {
    '@type': type,
    eventId: id,
    eventTime: new Date(at).toISOString(),
    eventType: type,
    correlationId,
    event: payload,
  };
}

/** The handler of one slice event (throws only what the consumer should retry). */
export function createEventFeed(options: EventFeedOptions): (event: SliceEvent) => Promise<void> {
  const { hub, intents } = options;
  return async (event) => {
    const n = historyCount(event.record);
    const base = `${event.sliceId}-${n}`;
    let stored = (await intents.get(event.sliceId))?.value;
    const intent = toIntent(event.record, stored);
    if (event.from === null) {
      await hub.publish(
        hubEvent('IntentCreateEvent', `${base}-create`, event.at, { intent }, event.sliceId),
      );
    } else if (lifecycleStatusOf(event.from) !== lifecycleStatusOf(event.to)) {
      await hub.publish(
        hubEvent('IntentStatusChangeEvent', `${base}-status`, event.at, { intent }, event.sliceId),
      );
    }
    if (!reportsOn(event)) return;
    const holding = event.to === 'active' || event.to === 'adapting';
    const report = reportOf(event, holding ? await options.kpiOf(event.sliceId) : undefined);
    stored = await updateIntent(intents, event.sliceId, (current) => withReport(current, report));
    if (!stored) {
      // A slice requested some other way (the CLI, a replay): its reports are kept all the same.
      stored = {
        type: 'api.intent.v1',
        sliceId: event.sliceId,
        tenant: tenantOf(event.record),
        name: event.sliceId,
        expression: intent.expression,
        createdAt: event.record.history[0]?.at ?? event.at,
        updatedAt: event.at,
        accepted: true,
        reports: [report],
      };
      await intents.put(event.sliceId, stored);
    }
    await hub.publish(
      hubEvent(
        'IntentReportCreateEvent',
        `${base}-report`,
        event.at,
        { intentReport: toIntentReport(event.sliceId, stored.name, report) },
        event.sliceId,
      ),
    );
  };
}
