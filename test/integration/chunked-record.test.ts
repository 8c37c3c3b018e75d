import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ChunkedRecord } from '../../shared/bus/chunked-record.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../../shared/bus/index.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';

const nats = useNatsServer();

const Big = z
  .object({
    type: z.literal('big.v1'),
    items: z.array(z.object({ id: z.string(), n: z.number() })),
  })
  .strict();
type Big = z.infer<typeof Big>;

function big(count: number, n = 1): Big {
  return {
    type: 'big.v1',
    items: Array.from({ length: count }, (_, i) => ({ id: `slice-${i}`, n: n + i })),
  };
}

async function open(namespace: string, chunkChars?: number) {
  const bus = await nats.connectBus({ namespace, name: 'owner' });
  const bucket = `${namespace.toUpperCase()}_RECORD`;
  const record = await ChunkedRecord.open(bus, bucket, 'state', Big, {
    ...(chunkChars === undefined ? {} : { chunkChars }),
  });
  return { bus, bucket, record };
}

describe('ChunkedRecord on a real JetStream KV', () => {
  it('keeps a record larger than one message and reads it back whole, from a new connection too', async () => {
    const namespace = uniqueNamespace('chunked');
    const { record } = await open(namespace);
    const value = big(40_000);
    expect(JSON.stringify(value).length).toBeGreaterThan(2 * DEFAULT_MAX_PAYLOAD_BYTES);
    expect(await record.load()).toBeNull();
    await record.save(value);
    expect(await record.load()).toEqual(value);
    const again = await open(namespace);
    expect(await again.record.load()).toEqual(value);
  });

  it('alternates slots: each save replaces the record, a shorter one after a longer one included', async () => {
    const namespace = uniqueNamespace('chunked');
    const { record, bus, bucket } = await open(namespace, 1_000);
    await record.save(big(200, 1));
    await record.save(big(300, 2));
    await record.save(big(5, 3));
    expect(await record.load()).toEqual(big(5, 3));
    // A reader that opens later sees the last save, and the slot's stale chunks are gone.
    const reopened = await open(namespace, 1_000);
    expect(await reopened.record.load()).toEqual(big(5, 3));
    const keys = await (await bus.kv(bucket, z.unknown())).keys();
    expect(keys).toContain('state.head');
    // Saves went a, b, a: slot a holds the last (one chunk), b the longer one before it.
    expect(keys.filter((k) => k.startsWith('state.a.'))).toEqual(['state.a.0']);
    expect(keys.filter((k) => k.startsWith('state.b.')).length).toBeGreaterThan(1);
  });

  it('reads a record an earlier version stored whole under the key', async () => {
    const namespace = uniqueNamespace('chunked');
    const { record, bus, bucket } = await open(namespace);
    await (await bus.kv(bucket, Big)).put('state', big(3));
    expect(await record.load()).toEqual(big(3));
    await record.save(big(4));
    expect(await record.load()).toEqual(big(4));
  });

  it('refuses to store a value its schema refuses, and says a head without its chunks is incomplete', async () => {
    const namespace = uniqueNamespace('chunked');
    const { record, bus, bucket } = await open(namespace, 100);
    await expect(record.save({ type: 'big.v1', items: 'x' } as never)).rejects.toMatchObject({
      code: 'invalid-message',
    });
    await record.save(big(20));
    await (await bus.kv(bucket, z.unknown())).delete('state.a.1');
    await expect(record.load()).rejects.toMatchObject({
      code: 'invalid-message',
      message: expect.stringMatching(/incomplete/),
    });
  });
});
