/**
 * Tokenizer for short technical requests ("URLLC slice for AGV control, < 5 ms").
 *
 * It mirrors how the pre-trained word vectors were tokenised (lower case,
 * hyphenated words kept whole, e.g. "closed-loop") and additionally splits
 * number–unit glue such as "5ms" or "99.999%" into parts that exist in the
 * vocabulary ("5", "ms"), because requests write units both ways.
 */

/** A run of letters/digits, optionally joined by single "-", "'" or "." (as in "closed-loop", "99.999"). */
const TOKEN = /[\p{L}\p{N}]+(?:[-'.][\p{L}\p{N}]+)*/gu;
/** Boundary between a number and letters glued to it ("5ms", "4k", "10gbps"). */
const NUMBER_UNIT = /^(\d+(?:\.\d+)?)(\p{L}+)$/u;

/** Lower-cased, NFKC-normalised tokens of `text`, in order. Never throws. */
export function tokenize(text: string): string[] {
  const normalised = text.normalize('NFKC').toLowerCase();
  const out: string[] = [];
  for (const match of normalised.matchAll(TOKEN)) {
    const token = match[0];
    const glued = NUMBER_UNIT.exec(token);
    if (glued?.[1] !== undefined && glued[2] !== undefined) {
      out.push(glued[1], glued[2]);
    } else {
      out.push(token);
    }
  }
  return out;
}

/** True when `word` is exactly one token of `tokenize` (used to filter the vocabulary). */
export function isSingleToken(word: string): boolean {
  const tokens = tokenize(word);
  return tokens.length === 1 && tokens[0] === word;
}
