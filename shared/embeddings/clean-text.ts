/**
 * The cleaning every request text gets before it is embedded, stored or put
 * in a prompt, wherever it enters: the interpreter on a request, the
 * memory-curator on an outcome. One definition, so both hold the same text.
 */

// C0/C1 controls (except tab/newline) and bidi overrides can hide text from a reviewer of the prompt.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** NFKC, invisible characters turned into spaces, whitespace collapsed and trimmed. */
export function cleanText(raw: string): string {
  return raw.normalize('NFKC').replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim();
}
