/**
 * First node: makes request text safe to embed and to put in a prompt.
 * Empty or oversized text is a typed error; everything else gets an answer.
 */
import { SliceMeshError } from '../../shared/contracts/errors.js';

/** Same bound as the wire contract (`RequestText`), so in-process and bus callers behave alike. */
export const MAX_REQUEST_CHARS = 20_000;

export interface NormalizedText {
  /** Cleaned text, at most `maxChars` long. */
  readonly text: string;
  /** True when the text was cut to `maxChars` for embedding and reasoning. */
  readonly truncated: boolean;
}

// C0/C1 controls (except tab/newline) and bidi overrides can hide text from a reviewer of the prompt.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** NFKC, invisible characters removed, whitespace collapsed; cut at `maxChars` on a word boundary. */
export function normalizeRequestText(raw: unknown, maxChars: number): NormalizedText {
  if (typeof raw !== 'string')
    throw new SliceMeshError('invalid-message', 'request text must be a string');
  if (raw.length > MAX_REQUEST_CHARS) {
    throw new SliceMeshError(
      'payload-too-large',
      `request text has ${raw.length} characters; the limit is ${MAX_REQUEST_CHARS}`,
    );
  }
  const cleaned = raw.normalize('NFKC').replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim();
  if (cleaned.length === 0) throw new SliceMeshError('invalid-message', 'request text is empty');
  if (cleaned.length <= maxChars) return { text: cleaned, truncated: false };
  const cut = cleaned.slice(0, maxChars);
  const lastSpace = cut.lastIndexOf(' ');
  return {
    text: (lastSpace > maxChars * 0.8 ? cut.slice(0, lastSpace) : cut).trim(),
    truncated: true,
  };
}
