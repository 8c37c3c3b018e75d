/**
 * Compares an exact nearest-neighbour list with Chroma's ranking, robust to
 * ties. Chroma computes distances in float32 and returns equal distances in
 * no defined order, so two records whose Chroma distances lie within
 * `tolerance` of each other form one tie group, and a group is compared as a
 * set. A group cut by the end of `actual` (its k-th hit) must draw its members
 * from the group; so `expected` should reach past `actual` (Chroma's full
 * ranking), or the cut group's other members are unknown.
 *
 *   const ties = compareRankings(chromaFull, indexTopK, 1e-5);  // [] when they agree
 */

export interface Ranked {
  readonly id: string;
  /** Distance in the collection's space (cosine: 1 − similarity). */
  readonly distance: number;
}

export interface RankingComparison {
  /** What disagrees, one line each; empty when the rankings agree. */
  readonly problems: string[];
  /** Tie groups of two or more records met within `actual`'s length. */
  readonly tieGroups: number;
  /** Largest |distance difference| of one id between the two lists. */
  readonly maxDistanceDiff: number;
}

/** Groups consecutive entries of `ranking` whose distances step by at most `tolerance`. */
export function tieGroups(ranking: readonly Ranked[], tolerance: number): Ranked[][] {
  const groups: Ranked[][] = [];
  let previous: Ranked | undefined;
  for (const r of ranking) {
    const last = groups[groups.length - 1];
    if (last !== undefined && previous !== undefined && r.distance - previous.distance <= tolerance)
      last.push(r);
    else groups.push([r]);
    previous = r;
  }
  return groups;
}

/** Whether `actual` is `expected`'s first `actual.length` entries up to the order within tie groups. */
export function compareRankings(
  expected: readonly Ranked[],
  actual: readonly Ranked[],
  tolerance: number,
): RankingComparison {
  const problems: string[] = [];
  const distanceOf = new Map(expected.map((r) => [r.id, r.distance]));
  let maxDistanceDiff = 0;
  for (const a of actual) {
    const d = distanceOf.get(a.id);
    if (d === undefined) {
      problems.push(`${a.id} is not in the expected ranking`);
      continue;
    }
    const diff = Math.abs(d - a.distance);
    maxDistanceDiff = Math.max(maxDistanceDiff, diff);
    if (diff > tolerance) problems.push(`${a.id}: distance ${a.distance}, expected ${d}`);
  }
  if (actual.length > expected.length)
    problems.push(`${actual.length} hits, the expected ranking has ${expected.length}`);
  let start = 0;
  let ties = 0;
  for (const group of tieGroups(expected, tolerance)) {
    if (start >= actual.length) break;
    const end = Math.min(actual.length, start + group.length);
    const members = new Set(group.map((r) => r.id));
    if (group.length > 1) ties += 1;
    const got = actual.slice(start, end).map((r) => r.id);
    const strays = got.filter((id) => !members.has(id));
    if (strays.length > 0 || new Set(got).size !== got.length)
      problems.push(
        `positions ${start}-${end - 1}: got ${got.join(',')}, expected from ${[...members].join(',')}`,
      );
    start += group.length;
  }
  return { problems, tieGroups: ties, maxDistanceDiff };
}
