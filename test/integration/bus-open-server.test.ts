/**
 * A server without authentication (NATS_URL pointed at one by the operator's
 * choice) still works, also for roles that have an identity, and the log
 * says once that the bus is open. A secured server draws no such warning.
 */
import { describe, expect, it } from 'vitest';
import { SliceGetReply, SliceGetRequest, clientIdentity } from '../../shared/contracts/index.js';
import { createLogger } from '../../shared/runtime/logger.js';
import { startSecuredTestNats, withNatsServer } from '../helpers/nats.js';

function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', sink: { write: (l) => lines.push(l) } }) };
}

const openWarnings = (lines: string[]) => lines.filter((line) => line.includes('the bus is open'));

describe('an open NATS server', () => {
  it('works for every identity and is warned about once', async () => {
    await withNatsServer(async (nats) => {
      const { lines, logger } = capturingLogger();
      const server = await nats.connectBus({
        name: 'slice-manager',
        identity: 'slice-manager',
        logger,
      });
      const client = await nats.connectBus({
        name: 'cli',
        namespace: server.namespace,
        identity: clientIdentity('acme'),
        logger,
      });
      server.serve(server.subjects.sliceGet(), SliceGetRequest, SliceGetReply, (req) => ({
        type: 'slice.get.reply.v1' as const,
        slice: { sliceId: req.sliceId, state: 'active' as const, text: 't', history: [] },
      }));
      await server.flush();
      const reply = await client.request(
        client.subjects.sliceGet(),
        SliceGetRequest,
        { type: 'slice.get.request.v1', sliceId: 's-1' },
        SliceGetReply,
      );
      expect(reply.slice.sliceId).toBe('s-1');
      // The reply came to the client's own inbox prefix, open server or not.
      expect(client.inbox().startsWith(`_INBOX.${client.namespace}.client-acme.`)).toBe(true);
      const warnings = openWarnings(lines);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(nats.url);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn' });
    });
  });

  it('is not what a secured server is', async () => {
    const nats = await startSecuredTestNats();
    try {
      const { lines, logger } = capturingLogger();
      const bus = await nats.connectAs('interpreter', { logger });
      await bus.flush();
      expect(openWarnings(lines)).toEqual([]);
    } finally {
      await nats.dispose();
    }
  });
});
