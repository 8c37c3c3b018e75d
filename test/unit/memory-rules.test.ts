import { describe, expect, it } from 'vitest';
import {
  chooseEvictions,
  decodeMemoryEntry,
  encodeMemoryEntry,
  entryFromObservation,
  isMergeCandidate,
  mergeObservation,
  outcomeQuality,
  retention,
  toSimplex,
  type MemoryEntry,
  type Observation,
} from '../../agents/memory-curator/index.js';
import { rerank } from '../../agents/interpreter/retrieve.js';
import { DEFAULT_RETRIEVAL_OPTIONS } from '../../agents/interpreter/index.js';
import { DEFAULT_AGING, recencyFactor } from '../../shared/vectorstore/aging.js';
import { decodeIntentMetadata } from '../../shared/vectorstore/intent-entry.js';

const DAY = 86_400_000;
const urllc = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'high',
  cost: 'general',
} as const;
const latencyFirst = { latency: 0.7, reliability: 0.2, economics: 0.05, throughput: 0.05 };
const costFirst = { latency: 0.1, reliability: 0.1, economics: 0.7, throughput: 0.1 };

function obs(overrides: Partial<Observation> = {}): Observation {
  return {
    sliceId: 's1',
    at: 10 * DAY,
    text: 'robot arm control loop',
    preference: latencyFirst,
    profile: urllc,
    quality: 1,
    ...overrides,
  };
}

describe('outcome quality', () => {
  const base = { preference: latencyFirst, profile: urllc } as const;

  it('is 0 for unserved outcomes and 0.5 for served ones without figures', () => {
    expect(
      outcomeQuality({
        ...base,
        served: false,
        observed: { latencyMs: 1, cost: 1, reliabilityCost: 0 },
      }),
    ).toBe(0);
    expect(outcomeQuality({ ...base, served: true })).toBe(0.5);
  });

  it('grows with headroom on the dimensions the slice cares about', () => {
    // URLLC high latency class: 30 ms limit; general cost class: 40.
    const tight = outcomeQuality({
      ...base,
      served: true,
      observed: { latencyMs: 29, cost: 10, reliabilityCost: 0 },
    });
    const roomy = outcomeQuality({
      ...base,
      served: true,
      observed: { latencyMs: 6, cost: 10, reliabilityCost: 0 },
    });
    expect(roomy).toBeGreaterThan(tight);
    expect(tight).toBeGreaterThanOrEqual(0.5);
    expect(roomy).toBeLessThanOrEqual(1);
    // The same latency slack matters little to a slice that weighs cost.
    const costMinded = outcomeQuality({
      ...base,
      preference: costFirst,
      served: true,
      observed: { latencyMs: 6, cost: 10, reliabilityCost: 0 },
    });
    const costMindedTight = outcomeQuality({
      ...base,
      preference: costFirst,
      served: true,
      observed: { latencyMs: 29, cost: 10, reliabilityCost: 0 },
    });
    expect(roomy - tight).toBeGreaterThan(costMinded - costMindedTight);
  });

  it('counts shared nodes on the path against reliability', () => {
    const alone = outcomeQuality({
      ...base,
      served: true,
      observed: { latencyMs: 15, cost: 20, reliabilityCost: 0 },
    });
    const shared = outcomeQuality({
      ...base,
      served: true,
      observed: { latencyMs: 15, cost: 20, reliabilityCost: 2 },
    });
    expect(alone).toBeGreaterThan(shared);
  });
});

describe('merging', () => {
  it('keeps a quality-weighted running mean of the preference', () => {
    const first = entryFromObservation(obs({ quality: 1 }));
    const { entry, action } = mergeObservation(
      first,
      obs({ sliceId: 's2', at: 11 * DAY, preference: costFirst, quality: 0.5 }),
    );
    expect(action).toBe('merged');
    // (1·0.7 + 0.5·0.1) / 1.5 = 0.5
    expect(entry.preference.latency).toBeCloseTo(0.5, 9);
    expect(entry.preference.economics).toBeCloseTo((0.05 + 0.35) / 1.5, 9);
    expect(entry.weight).toBeCloseTo(1.5, 9);
    expect(entry.observations).toBe(2);
    expect(entry.lastSeenAt).toBe(11 * DAY);
    expect(entry.firstSeenAt).toBe(10 * DAY);
    expect(entry.text).toBe(first.text);
    expect(entry.id).toBe(first.id);
  });

  it('keeps the profile of the best-served outcome', () => {
    const first = entryFromObservation(obs({ quality: 0.9 }));
    const worse = mergeObservation(
      first,
      obs({
        sliceId: 's2',
        at: 11 * DAY,
        quality: 0.6,
        profile: { ...urllc, cost: 'cost-sensitive' },
      }),
    );
    expect(worse.entry.profile.cost).toBe('general');
    const better = mergeObservation(
      worse.entry,
      obs({
        sliceId: 's3',
        at: 12 * DAY,
        quality: 0.95,
        profile: { ...urllc, reliability: 'medium' },
      }),
    );
    expect(better.entry.profile.reliability).toBe('medium');
    expect(better.entry.bestQuality).toBe(0.95);
  });

  it('gives one slice one vote: its later outcome replaces the earlier one', () => {
    const first = entryFromObservation(obs({ quality: 1 }));
    const other = mergeObservation(
      first,
      obs({ sliceId: 's2', at: 11 * DAY, preference: costFirst, quality: 1 }),
    ).entry;
    const released = mergeObservation(
      other,
      obs({ at: 12 * DAY, preference: costFirst, quality: 1 }),
    );
    expect(released.action).toBe('superseded');
    expect(released.entry.observations).toBe(2);
    expect(released.entry.weight).toBeCloseTo(2, 9);
    // Both slices now vote for costFirst.
    expect(released.entry.preference.economics).toBeCloseTo(0.7, 9);
    expect(released.entry.lastSeenAt).toBe(12 * DAY);
  });

  it('ignores a redelivered or older outcome of a slice already counted', () => {
    const entry = mergeObservation(
      entryFromObservation(obs()),
      obs({ sliceId: 's2', at: 12 * DAY }),
    ).entry;
    const again = mergeObservation(
      entry,
      obs({ sliceId: 's2', at: 12 * DAY, preference: costFirst }),
    );
    expect(again.action).toBe('duplicate');
    expect(again.entry).toBe(entry);
    const older = mergeObservation(
      entry,
      obs({ sliceId: 's2', at: 11 * DAY, preference: costFirst }),
    );
    expect(older.action).toBe('stale');
    expect(older.entry).toBe(entry);
  });

  it('bounds the remembered contributions but keeps their weight in the mean', () => {
    let entry = entryFromObservation(obs());
    for (let i = 2; i <= 6; i++)
      entry = mergeObservation(entry, obs({ sliceId: `s${i}`, at: (10 + i) * DAY }), 3).entry;
    expect(entry.contributions.map((c) => c.sliceId)).toEqual(['s4', 's5', 's6']);
    expect(entry.observations).toBe(6);
    expect(entry.weight).toBeCloseTo(6, 9);
  });

  it('stays on the simplex', () => {
    let entry = entryFromObservation(obs());
    const prefs = [
      costFirst,
      { latency: 0, reliability: 0, economics: 0, throughput: 1 },
      latencyFirst,
    ];
    prefs.forEach((p, i) => {
      entry = mergeObservation(
        entry,
        obs({ sliceId: `x${i}`, at: (11 + i) * DAY, preference: p, quality: 0.3 + 0.2 * i }),
      ).entry;
    });
    const p = entry.preference;
    expect(p.latency + p.reliability + p.economics + p.throughput).toBeCloseTo(1, 12);
    expect(Math.min(p.latency, p.reliability, p.economics, p.throughput)).toBeGreaterThanOrEqual(0);
    expect(toSimplex({ latency: -1e-12, reliability: 0, economics: 0, throughput: 0 })).toEqual({
      latency: 0.25,
      reliability: 0.25,
      economics: 0.25,
      throughput: 0.25,
    });
  });

  it('merges only similar entries of the same service type', () => {
    const entry = entryFromObservation(obs());
    expect(isMergeCandidate(0.95, entry, obs(), 0.93)).toBe(true);
    expect(isMergeCandidate(0.92, entry, obs(), 0.93)).toBe(false);
    expect(
      isMergeCandidate(0.99, entry, obs({ profile: { ...urllc, serviceType: 'eMBB' } }), 0.93),
    ).toBe(false);
  });
});

describe('metadata', () => {
  it('round-trips, and the interpreter reads the entry with its last-seen time as the aging clock', () => {
    const entry = mergeObservation(
      entryFromObservation(obs({ qoe: { latencyMs: 12, cost: 20, reliabilityCost: 0 } })),
      obs({
        sliceId: 's2',
        at: 13 * DAY,
        quality: 0.7,
        qoe: { latencyMs: 18, cost: 22, reliabilityCost: 1 },
      }),
    ).entry;
    const metadata = encodeMemoryEntry(entry);
    expect(decodeMemoryEntry({ id: entry.id, document: entry.text, metadata })).toEqual(entry);
    const seenByInterpreter = decodeIntentMetadata(metadata, 'knowledge');
    expect(seenByInterpreter).toMatchObject({
      source: 'memory',
      createdAt: 13 * DAY,
      preference: entry.preference,
      profile: entry.profile,
      qoe: { latencyMs: 18, cost: 22, reliabilityCost: 1 },
    });
  });

  it('reads hand-written intent entries with neutral bookkeeping and refuses malformed ones', () => {
    const plain = encodeMemoryEntry(entryFromObservation(obs()));
    const handWritten = Object.fromEntries(
      Object.entries(plain).filter(([k]) => !k.startsWith('memory.')),
    );
    expect(decodeMemoryEntry({ id: 'h', document: 't', metadata: handWritten })).toMatchObject({
      weight: 1,
      observations: 1,
      lastSeenAt: 10 * DAY,
      contributions: [],
    });
    expect(
      decodeMemoryEntry({ id: 'bad', document: 't', metadata: { preference: '{' } }),
    ).toBeUndefined();
  });
});

describe('aging shared with retrieval', () => {
  it('is the interpreter’s re-ranking factor', () => {
    expect(DEFAULT_RETRIEVAL_OPTIONS.memoryHalfLifeMs).toBe(DEFAULT_AGING.memoryHalfLifeMs);
    expect(DEFAULT_RETRIEVAL_OPTIONS.memoryFloor).toBe(DEFAULT_AGING.memoryFloor);
    expect(DEFAULT_RETRIEVAL_OPTIONS.knowledgeRecency).toBe(DEFAULT_AGING.knowledgeRecency);
    const entry = entryFromObservation(obs({ at: 0 }));
    const now = DEFAULT_AGING.memoryHalfLifeMs;
    const [neighbour] = rerank(
      [
        {
          source: 'memory',
          hit: {
            id: entry.id,
            document: entry.text,
            metadata: encodeMemoryEntry(entry),
            similarity: 0.9,
          },
        },
      ],
      now,
      DEFAULT_RETRIEVAL_OPTIONS,
    );
    expect(neighbour?.recency).toBeCloseTo(recencyFactor('memory', 0, now), 12);
    expect(neighbour?.recency).toBeCloseTo(
      DEFAULT_AGING.memoryFloor + (1 - DEFAULT_AGING.memoryFloor) / 2,
      12,
    );
  });

  it('restarts when an outcome reinforces the entry', () => {
    const old = entryFromObservation(obs({ at: 0 }));
    const now = 30 * DAY;
    const reinforced = mergeObservation(old, obs({ sliceId: 's2', at: now })).entry;
    expect(retention(reinforced, now)).toBeGreaterThan(retention(old, now));
  });
});

describe('bounding', () => {
  const now = 100 * DAY;
  const entry = (id: string, lastSeenAt: number, weight: number): MemoryEntry => ({
    ...entryFromObservation(obs({ sliceId: id, at: lastSeenAt })),
    weight,
  });

  it('evicts the entry with the lowest aged usefulness first', () => {
    const entries = [
      entry('fresh-thin', now - DAY, 0.5),
      entry('old-thin', now - 60 * DAY, 0.5),
      entry('old-rich', now - 60 * DAY, 8),
      entry('fresh-rich', now, 8),
    ];
    const order = chooseEvictions(entries, 4, now).map((v) => v.entry.id);
    expect(order).toEqual([
      'mem-old-thin-' + (now - 60 * DAY),
      'mem-old-rich-' + (now - 60 * DAY),
      'mem-fresh-thin-' + (now - DAY),
      'mem-fresh-rich-' + now,
    ]);
    const [first] = chooseEvictions(entries, 1, now);
    expect(first?.retention).toBeCloseTo(retention(entries[1]!, now), 12);
  });

  it('never evicts a protected entry and does nothing without excess', () => {
    const entries = [entry('a', now - 90 * DAY, 0.5), entry('b', now, 8)];
    const protectedId = entries[0]!.id;
    expect(chooseEvictions(entries, 1, now, new Set([protectedId])).map((v) => v.entry.id)).toEqual(
      [entries[1]!.id],
    );
    expect(chooseEvictions(entries, 0, now)).toEqual([]);
  });

  it('breaks ties by age, then id, so the choice is deterministic', () => {
    const a = { ...entry('a', now, 1), id: 'b-id' };
    const b = { ...entry('b', now, 1), id: 'a-id' };
    expect(chooseEvictions([a, b], 1, now)[0]?.entry.id).toBe('a-id');
  });
});
