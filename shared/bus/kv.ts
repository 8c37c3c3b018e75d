/** KV buckets whose values are checked by a schema on the way in and out. */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { z } from 'zod';
import { SliceMeshError, isSliceMeshError } from '../contracts/errors.js';
import type { TypedKv } from './types.js';
import { decodeMessage, encodeMessage, fromNatsError } from './wire.js';

const NO_SIZE_LIMIT = Number.POSITIVE_INFINITY;

/** True when `error` is JetStream's "stream not found". */
export function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/**
 * Opens `bucket`, creating it (file storage, `replicas` copies on a cluster's nodes) when it
 * does not exist yet. An existing bucket with another replica count (made before the mesh
 * ran on a cluster) is given `replicas`: JetStream copies it to more nodes while serving it.
 */
export async function openBucket(
  js: JetStreamClient,
  jsm: JetStreamManager,
  bucket: string,
  history: number,
  replicas = 1,
  ttlMs?: number,
): Promise<KV> {
  const kvm = new Kvm(js);
  const stream = `KV_${bucket}`;
  try {
    const info = await jsm.streams.info(stream);
    if (info.config.num_replicas !== replicas)
      await jsm.streams.update(stream, { num_replicas: replicas });
    return await kvm.open(bucket);
  } catch (error) {
    if (!isStreamNotFound(error)) throw fromNatsError(error, `KV ${bucket}`);
  }
  return kvm.create(bucket, {
    history,
    replicas,
    ...(ttlMs === undefined ? {} : { ttl: ttlMs }),
  });
}

/** How many keys' last entries `liveKeys` reads at once. */
const KEY_CHECK_BATCH = 100;

/**
 * The bucket's keys that hold a value, read from its stream's subjects and each candidate's
 * last entry (deleted and purged keys keep a marker there). Not `kv.keys()`: that runs an
 * ephemeral consumer, which nats-server up to 2.11 may place on a cluster node that is down,
 * so while one is, about one listing in three waits out its request timeout and fails.
 * Stream info is answered by the stream's leader and a get by any replica, so this works
 * whenever the bucket does.
 */
async function liveKeys(kv: KV, jsm: JetStreamManager, bucket: string): Promise<string[]> {
  const prefix = `$KV.${bucket}.`;
  const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}>` });
  const candidates = Object.keys(info.state.subjects ?? {}).map((subject) =>
    subject.slice(prefix.length),
  );
  const live: string[] = [];
  for (let i = 0; i < candidates.length; i += KEY_CHECK_BATCH) {
    const batch = candidates.slice(i, i + KEY_CHECK_BATCH);
    const entries = await Promise.all(batch.map((key) => kv.get(key)));
    entries.forEach((entry, j) => {
      if (entry?.operation === 'PUT') live.push(batch[j]!);
    });
  }
  return live.sort();
}

/** Wraps a bucket with schema validation and SliceMeshError mapping. */
export function typedKv<S extends z.ZodType>(
  kv: KV,
  bucket: string,
  schema: S,
  jsm: JetStreamManager,
): TypedKv<z.output<S>> {
  const what = `value of KV ${bucket}`;
  const wrap = async <T>(op: string, key: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (isSliceMeshError(error)) throw error;
      if (
        error instanceof JetStreamApiError &&
        error.code === JetStreamApiCodes.StreamWrongLastSequence
      ) {
        throw new SliceMeshError('stale-view', `KV ${bucket}/${key} changed since it was read`, {
          cause: error,
        });
      }
      const message = error instanceof Error ? error.message : String(error);
      if (/invalid key/i.test(message)) {
        throw new SliceMeshError('invalid-message', `invalid KV key ${JSON.stringify(key)}`, {
          cause: error,
        });
      }
      throw fromNatsError(error, `KV ${bucket} ${op} ${key}`);
    }
  };
  return {
    bucket,
    get: (key) =>
      wrap('get', key, async () => {
        const entry = await kv.get(key);
        if (!entry || entry.operation !== 'PUT') return null;
        const decoded = decodeMessage(schema, entry.value, NO_SIZE_LIMIT);
        if (!decoded.ok) {
          throw new SliceMeshError(
            'invalid-message',
            `stored ${what} under ${key}: ${decoded.error.message}`,
          );
        }
        return { value: decoded.value, revision: entry.revision };
      }),
    put: (key, value) =>
      wrap('put', key, () => kv.put(key, encodeMessage(schema, value as z.input<S>, what))),
    update: (key, value, revision) =>
      wrap('update', key, () =>
        kv.update(key, encodeMessage(schema, value as z.input<S>, what), revision),
      ),
    create: (key, value) =>
      wrap('create', key, () => kv.create(key, encodeMessage(schema, value as z.input<S>, what))),
    delete: (key) => wrap('delete', key, () => kv.delete(key)),
    keys: () => wrap('keys', '*', () => liveKeys(kv, jsm, bucket)),
  };
}
