/**
 * First node: makes request text safe to embed and to put in a prompt.
 * Empty or oversized text is a typed error; everything else gets an answer.
 */
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { MAX_REQUEST_TEXT_CHARS, requestTextTooLong } from '../../shared/contracts/limits.js';
import { cleanText } from '../../shared/embeddings/clean-text.js';

export interface NormalizedText {
  /** Cleaned text, at most `maxChars` long. */
  readonly text: string;
  /** True when the text was cut to `maxChars` for embedding and reasoning. */
  readonly truncated: boolean;
}

/** NFKC, invisible characters removed, whitespace collapsed; cut at `maxChars` on a word boundary. */
export function normalizeRequestText(raw: unknown, maxChars: number): NormalizedText {
  if (typeof raw !== 'string')
    throw new SliceMeshError('invalid-message', 'request text must be a string');
  // The wire contract's bound, measured as it measures it (once trimmed), so in-process
  // and bus callers get the same answer.
  const length = raw.trim().length;
  if (length > MAX_REQUEST_TEXT_CHARS)
    throw new SliceMeshError('payload-too-large', requestTextTooLong(length));
  const cleaned = cleanText(raw);
  if (cleaned.length === 0) throw new SliceMeshError('invalid-message', 'request text is empty');
  if (cleaned.length <= maxChars) return { text: cleaned, truncated: false };
  const cut = cleaned.slice(0, maxChars);
  const lastSpace = cut.lastIndexOf(' ');
  return {
    text: (lastSpace > maxChars * 0.8 ? cut.slice(0, lastSpace) : cut).trim(),
    truncated: true,
  };
}

/** True when `text` has a letter in any script: something a reader (or a reasoner) can read. */
export function hasWords(text: string): boolean {
  return /\p{L}/u.test(text);
}
