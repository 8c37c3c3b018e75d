/**
 * The api's event hub on its own: registrations in a real JetStream KV bucket, callbacks
 * to local HTTP listeners, a failing listener retried, then left to rest without holding
 * up the others.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type HubEvent } from '../../agents/api/hub.js';
import { HubRegistration } from '../../shared/contracts/api.js';
import { createLogger } from '../../shared/runtime/logger.js';
import { useNatsServer } from '../helpers/nats.js';

interface Listener {
  readonly url: string;
  readonly hits: string[];
  readonly server: Server;
}

async function listen(status: number): Promise<Listener> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      hits.push((JSON.parse(body) as HubEvent).eventId);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
    hits,
    server,
  };
}

const event = (eventId: string, eventType: HubEvent['eventType']): HubEvent => ({
  '@type': eventType,
  eventId,
  eventTime: new Date(0).toISOString(),
  eventType,
  event: {},
});

const nats = useNatsServer();
const logger = createLogger({ level: 'silent' });
let good: Listener;
let bad: Listener;

beforeAll(async () => {
  [good, bad] = await Promise.all([listen(204), listen(500)]);
});
afterAll(async () => {
  await Promise.all([good, bad].map((l) => new Promise((r) => l.server.close(r))));
});

describe('the event hub', () => {
  it('keeps registrations in its bucket, filters by query, and rests a failing listener', async () => {
    const bus = await nats.connectBus();
    const kv = await bus.kv('HUB_TEST', HubRegistration, { history: 1 });
    let clock = 1_000;
    const hub = createHub({ kv, logger, now: () => clock, attempts: 2, restMs: 10_000 });
    const all = await hub.register(good.url, undefined);
    const reportsOnly = await hub.register(good.url, 'eventType=IntentReportCreateEvent');
    const failing = await hub.register(bad.url, undefined);

    // Another hub on the same bucket (a restarted api) knows them all.
    const restarted = createHub({ kv, logger });
    await restarted.load();
    expect(
      restarted
        .list()
        .map((r) => r.id)
        .sort(),
    ).toEqual([all.id, reportsOnly.id, failing.id].sort());

    await hub.publish(event('e1', 'IntentCreateEvent'));
    expect(good.hits).toEqual(['e1']);
    expect(bad.hits).toEqual(['e1', 'e1']);

    // Resting: the failing listener is not called, the others are.
    await hub.publish(event('e2', 'IntentReportCreateEvent'));
    expect(good.hits.sort()).toEqual(['e1', 'e2', 'e2']);
    expect(bad.hits).toEqual(['e1', 'e1']);

    // After its rest it is tried again.
    clock += 10_001;
    await hub.publish(event('e3', 'IntentStatusChangeEvent'));
    expect(bad.hits).toEqual(['e1', 'e1', 'e3', 'e3']);

    expect(await hub.unregister(failing.id)).toBe(true);
    expect(await hub.unregister(failing.id)).toBe(false);
    await restarted.load();
    expect(restarted.list().map((r) => r.id)).not.toContain(failing.id);
  });
});
