import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  TEXT_FIXTURES,
  goldenKeys,
  goldenProgram,
  sha256,
  textFixtureName,
} from '../helpers/oracle-golden.js';

// The oracle's program text, pinned: fixtures written by the program builder as it was before
// it was split into one function per constraint family. A change to the formulation shows up
// here first; regenerate the fixtures only for a change that is meant.
const fixtures = new URL('../fixtures/oracle/', import.meta.url);
const hashes = JSON.parse(readFileSync(new URL('program-sha256.json', fixtures), 'utf8')) as Record<
  string,
  string
>;

describe('the oracle program text', () => {
  it('covers exactly the pinned instances', () => {
    expect(goldenKeys()).toEqual(Object.keys(hashes));
  });

  it.each(TEXT_FIXTURES)('is byte-identical to the fixture for %s', (key) => {
    const expected = readFileSync(new URL(textFixtureName(key), fixtures), 'utf8');
    expect(goldenProgram(key)).toBe(expected);
  });

  it('hashes as pinned for every seed, request count, pruning mode and model config', () => {
    const differing = goldenKeys().filter((key) => sha256(goldenProgram(key)) !== hashes[key]);
    expect(differing).toEqual([]);
  });
});
