/**
 * 1,000 malformed messages to the slice-manager's get/list service and to its
 * intake stream: each gets a typed error where a reply is possible, the
 * counters add up, and valid work goes on being served.
 */
import { createInbox, headers as natsHeaders, type Msg } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INTAKE_PARTITIONS,
  ErrorReply,
  SliceGetReply,
  SliceGetRequest,
  SliceListReply,
  SliceListRequest,
  SliceRequest,
  type ErrorCode,
} from '../../shared/contracts/index.js';
import { HEADER, errorFromReply, type Bus } from '../../shared/bus/index.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { SliceManager } from '../../agents/slice-manager/manager.js';
import { useNatsServer, uniqueNamespace } from '../helpers/nats.js';
import { serveAgentDoubles, sliceRequest, type AgentDoubles } from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const encoder = new TextEncoder();

/** 250 messages of each kind; "huge" are few but each is over the bus limit. */
const KINDS = { badJson: 160, wrongSchema: 160, huge: 20, unknownSlice: 160 } as const;
const PER_TARGET = Object.values(KINDS).reduce((a, b) => a + b, 0); // 500
const HUGE = 'x'.repeat(600 * 1024);

describe('slice-manager under malformed input', () => {
  let managerBus: Bus;
  let client: Bus;
  let manager: SliceManager;
  let doubles: AgentDoubles;

  beforeAll(async () => {
    const namespace = uniqueNamespace('bad');
    managerBus = await nats.connectBus({ namespace, name: 'slice-manager' });
    client = await nats.connectBus({ namespace, name: 'client' });
    doubles = serveAgentDoubles(client);
    manager = new SliceManager({ bus: managerBus, logger: silentLogger, clock: systemClock });
    await manager.start();
  });

  afterAll(async () => {
    await manager.stop();
    await doubles.stop();
  });

  /** The malformed payloads for one target; `valid` builds a well-formed one for an unknown slice. */
  function payloads(valid: (i: number) => unknown, wrong: (i: number) => unknown) {
    const out: { kind: keyof typeof KINDS; data: Uint8Array; expected: ErrorCode }[] = [];
    for (let i = 0; i < KINDS.badJson; i++) {
      out.push({
        kind: 'badJson',
        data: encoder.encode(`{"type": "slice.${i}`),
        expected: 'invalid-json',
      });
    }
    for (let i = 0; i < KINDS.wrongSchema; i++) {
      out.push({
        kind: 'wrongSchema',
        data: encoder.encode(JSON.stringify(wrong(i))),
        expected: 'invalid-message',
      });
    }
    for (let i = 0; i < KINDS.huge; i++) {
      out.push({
        kind: 'huge',
        data: encoder.encode(
          JSON.stringify({ type: 'slice.get.request.v1', sliceId: 'x', pad: HUGE }),
        ),
        expected: 'payload-too-large',
      });
    }
    for (let i = 0; i < KINDS.unknownSlice; i++) {
      out.push({
        kind: 'unknownSlice',
        data: encoder.encode(JSON.stringify(valid(i))),
        expected: 'unknown-slice',
      });
    }
    return out;
  }

  it('answers every malformed get or list with a typed error and counts it', async () => {
    const nc = client.connection;
    const messages = payloads(
      (i) => ({ type: 'slice.get.request.v1', sliceId: `ghost-${i}` }),
      (i) => ({ type: 'slice.list.request.v2', state: `state-${i}` }),
    );
    expect(messages).toHaveLength(PER_TARGET);
    const get = client.subjects.sliceGet();
    const list = client.subjects.sliceList();
    // Schema violations go to list, everything else to get.
    const replies = await Promise.all(
      messages.map((m) =>
        nc.request(m.kind === 'wrongSchema' ? list : get, m.data, { timeout: 10_000 }),
      ),
    );
    const codes = replies.map(
      (reply: Msg) => errorFromReply(reply.data, reply.headers, 'get')?.code,
    );
    expect(codes).toEqual(messages.map((m) => m.expected));

    const counters = managerBus.counters();
    expect(counters.invalid[get]).toEqual({
      'invalid-json': KINDS.badJson,
      'payload-too-large': KINDS.huge,
    });
    expect(counters.invalid[list]).toEqual({ 'invalid-message': KINDS.wrongSchema });
    expect(counters.handlerErrors[get]).toEqual({ 'unknown-slice': KINDS.unknownSlice });
    expect(manager.counters().unknownSlice).toBe(KINDS.unknownSlice);
  });

  it('refuses every malformed intake message with a typed error on its reply subject', async () => {
    const nc = client.connection;
    const { subjects } = client;
    const inbox = createInbox();
    const refusals: ErrorReply[] = [];
    const sub = client.subscribe(inbox, ErrorReply, (refusal) => {
      refusals.push(refusal);
    });
    const messages = payloads(
      (i) => ({
        type: 'slice.terminate.v2',
        tenant: 'default',
        sliceId: `ghost-${i}`,
        submittedAt: 1,
      }),
      (i) => ({ type: 'slice.change.v2', tenant: 'default', sliceId: `s${i}`, submittedAt: -1 }),
    );
    const js = messages.map((m, i) => {
      const headers = natsHeaders();
      headers.set(HEADER.replyTo, inbox);
      // Unknown-slice terminations must go to their own subject; the rest to any intake subject.
      const subject =
        m.kind === 'unknownSlice'
          ? subjects.sliceTerminate('default', `ghost-${i - (PER_TARGET - KINDS.unknownSlice)}`)
          : subjects.sliceChange('default', `junk-${i}`);
      nc.publish(subject, m.data, { headers });
      return m.expected;
    });
    await client.flush();
    await waitFor(() => refusals.length >= PER_TARGET, {
      timeoutMs: 60_000,
      what: `${PER_TARGET} refusals (got ${refusals.length})`,
    });
    await sub.stop();

    const tally = (codes: ErrorCode[]) =>
      codes.reduce<Record<string, number>>(
        (acc, code) => ({ ...acc, [code]: (acc[code] ?? 0) + 1 }),
        {},
      );
    expect(tally(refusals.map((r) => r.code))).toEqual(tally(js));

    // The intake is consumed per partition: add up the refusals of every partition's consumer.
    const filters = Array.from({ length: INTAKE_PARTITIONS }, (_, p) =>
      subjects.intakePartition(p),
    );
    const summed = (byFilter: Record<string, Partial<Record<ErrorCode, number>>>) => {
      const total: Partial<Record<ErrorCode, number>> = {};
      for (const filter of filters) {
        for (const [code, n] of Object.entries(byFilter[filter] ?? {}))
          total[code as ErrorCode] = (total[code as ErrorCode] ?? 0) + (n ?? 0);
      }
      return total;
    };
    const counters = managerBus.counters();
    expect(summed(counters.invalid)).toEqual({
      'invalid-json': KINDS.badJson,
      'invalid-message': KINDS.wrongSchema,
      'payload-too-large': KINDS.huge,
    });
    expect(summed(counters.handlerErrors)).toEqual({ 'unknown-slice': KINDS.unknownSlice });
    const terminated = Object.entries(counters.terminated)
      .filter(([durable]) => durable.startsWith('slice-manager-p'))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(terminated).toBe(PER_TARGET);
    expect(manager.counters().unknownSlice).toBe(2 * KINDS.unknownSlice);
  });

  it('goes on serving valid requests afterwards', async () => {
    await client.jsPublish(
      client.subjects.sliceRequest('default', 'after-1'),
      SliceRequest,
      sliceRequest('after-1'),
      {
        msgId: 'after-1',
      },
    );
    await waitFor(() => manager.records('active').some((r) => r.sliceId === 'after-1'), {
      what: 'after-1 active',
    });
    const got = await client.request(
      client.subjects.sliceGet(),
      SliceGetRequest,
      { type: 'slice.get.request.v1', sliceId: 'after-1' },
      SliceGetReply,
    );
    expect(got.slice.state).toBe('active');
    const listed = await client.request(
      client.subjects.sliceList(),
      SliceListRequest,
      { type: 'slice.list.request.v2' },
      SliceListReply,
    );
    // None of the malformed messages left a slice behind.
    expect(listed.slices.map((s) => s.sliceId)).toEqual(['after-1']);
    expect(doubles.total('apply')).toBe(1);
  });
});
