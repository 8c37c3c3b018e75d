/**
 * Every KPI sample the infrastructure publishes, whichever way it sent it: one
 * sample per message on `kpi.<slice>` (on an apply or a load change, carrying the
 * slice's trace) or many per message on `kpi-batch` (the periodic tick). What the
 * telemetry agent, replays and tests listen with.
 */
import type { Bus, Handler, SubscribeOptions, Subscription } from '../bus/index.js';
import { KpiBatch, KpiSample } from '../contracts/index.js';

export function subscribeKpis(
  bus: Bus,
  handler: Handler<KpiSample>,
  options: SubscribeOptions = { trace: false },
): Subscription {
  const single = bus.subscribe(bus.subjects.kpiAll(), KpiSample, handler, options);
  const batched = bus.subscribeBatch(bus.subjects.kpiBatch(), KpiBatch, handler, options);
  return {
    subject: `${single.subject} + ${batched.subject}`,
    stop: async () => {
      await Promise.all([single.stop(), batched.stop()]);
    },
  };
}
