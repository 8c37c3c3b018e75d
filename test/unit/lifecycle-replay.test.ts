/**
 * Replay test of the slice lifecycle: snapshots persisted by an earlier build
 * (test/fixtures/lifecycle-snapshots/, written by
 * scripts/record-lifecycle-snapshots.ts) must restore on the current machine
 * and take the same next transitions. A change to the machine that fails here
 * would strand or misroute slices already stored in a KV bucket.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePersistedLifecycle } from '../../agents/slice-manager/lifecycle/persistence.js';
import {
  LEAF_SCENARIOS,
  TRANSIENT_LEAVES,
  captureLeaf,
  machineStructure,
  replayStep,
  stateNodes,
  type LeafFixture,
} from '../helpers/lifecycle-replay.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'lifecycle-snapshots');
/**
 * Snapshots stored before the placement request named a version (v1 carried
 * the whole network view, in the context and in the in-flight call's input):
 * slices stored then must still restore and go the same way.
 */
const V1_DIR = join(import.meta.dirname, '..', 'fixtures', 'lifecycle-snapshots-v1');

function fixture(leaf: string, dir = DIR): LeafFixture {
  return JSON.parse(readFileSync(join(dir, `${leaf}.json`), 'utf8')) as LeafFixture;
}

/** Every state id of the lifecycle machine; persisted snapshots name these. */
const STATE_IDS = [
  'slice',
  'slice.requested',
  'slice.interpreting',
  'slice.interpreting.calling',
  'slice.interpreting.calling.waiting',
  'slice.interpreting.backoff',
  'slice.planning',
  'slice.planning.viewing',
  'slice.planning.viewing.calling',
  'slice.planning.viewing.calling.waiting',
  'slice.planning.viewing.backoff',
  'slice.planning.placing',
  'slice.planning.placing.calling',
  'slice.planning.placing.calling.waiting',
  'slice.planning.placing.backoff',
  'slice.planning.declining',
  'slice.deploying',
  'slice.deploying.calling',
  'slice.deploying.calling.waiting',
  'slice.deploying.backoff',
  'slice.active',
  'slice.active.deciding',
  'slice.active.expiring',
  'slice.active.open',
  'slice.adapting',
  'slice.adapting.deciding',
  'slice.adapting.interpreting',
  'slice.adapting.interpreting.calling',
  'slice.adapting.interpreting.calling.waiting',
  'slice.adapting.interpreting.backoff',
  'slice.adapting.viewing',
  'slice.adapting.viewing.calling',
  'slice.adapting.viewing.calling.waiting',
  'slice.adapting.viewing.backoff',
  'slice.adapting.placing',
  'slice.adapting.placing.calling',
  'slice.adapting.placing.calling.waiting',
  'slice.adapting.placing.backoff',
  'slice.adapting.applying',
  'slice.adapting.applying.calling',
  'slice.adapting.applying.calling.waiting',
  'slice.adapting.applying.backoff',
  'slice.terminating',
  'slice.terminating.deciding',
  'slice.terminating.calling',
  'slice.terminating.calling.waiting',
  'slice.terminating.backoff',
  'slice.released',
  'slice.rejected',
  'slice.failed',
];

describe('lifecycle machine shape', () => {
  it('has exactly the committed state ids, in document order', () => {
    expect(stateNodes().map((node) => node.id)).toEqual(STATE_IDS);
  });

  it('routes every event, timer and eventless transition to the committed targets', () => {
    const committed = JSON.parse(readFileSync(join(DIR, 'structure.json'), 'utf8')) as unknown;
    expect(machineStructure()).toEqual(committed);
  });

  it('has a fixture for every stable leaf state and none for a state that is gone', () => {
    const leaves = stateNodes()
      .filter((node) => Object.keys(node.states).length === 0)
      .map((node) => node.id.replace(/^slice\./, ''))
      .filter((id) => !TRANSIENT_LEAVES.includes(id))
      .sort();
    const files = readdirSync(DIR)
      .filter((name) => name.endsWith('.json') && name !== 'structure.json')
      .map((name) => name.replace(/\.json$/, ''))
      .sort();
    expect(files).toEqual(leaves);
    expect(Object.keys(LEAF_SCENARIOS).sort()).toEqual(leaves);
  });
});

describe.each(Object.keys(LEAF_SCENARIOS))('persisted slice in %s', (leaf) => {
  const stored = fixture(leaf);

  it('is the snapshot the machine persists there today', async () => {
    expect(parsePersistedLifecycle(stored.snapshot)).toEqual(stored.snapshot);
    const { snapshot, capturedAt } = await captureLeaf(leaf);
    expect(capturedAt).toBe(stored.capturedAt);
    expect(snapshot).toEqual(stored.snapshot);
  });

  const steps = Object.entries(LEAF_SCENARIOS[leaf]?.steps ?? {});
  it.each(steps)('restores and takes the same transition on "%s"', async (name, step) => {
    const expected = stored.next[name];
    expect(expected, `fixture of ${leaf} has no step ${name}`).toBeDefined();
    const result = await replayStep(stored.snapshot, stored.capturedAt, step);
    expect({ state: result.state, status: result.status, calls: result.calls }).toEqual({
      state: expected?.state,
      status: expected?.status,
      calls: expected?.calls,
    });
    expect(result.snapshot).toEqual(expected?.snapshot);
  });
});

const V1_LEAVES = readdirSync(V1_DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => name.replace(/\.json$/, ''));

describe.each(V1_LEAVES)('slice stored with a v1 placement request in %s', (leaf) => {
  const stored = fixture(leaf, V1_DIR);
  const steps = Object.entries(LEAF_SCENARIOS[leaf]?.steps ?? {});

  it.each(steps)('restores and takes the transition it took then on "%s"', async (name, step) => {
    const expected = stored.next[name];
    expect(expected, `fixture of ${leaf} has no step ${name}`).toBeDefined();
    const result = await replayStep(stored.snapshot, stored.capturedAt, step);
    expect({ state: result.state, status: result.status, calls: result.calls }).toEqual({
      state: expected?.state,
      status: expected?.status,
      calls: expected?.calls,
    });
    // The record it ends with is the one it ended with then.
    expect(result.snapshot.context.record).toEqual(expected?.snapshot.context.record);
  });
});
