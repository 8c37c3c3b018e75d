/**
 * Size limits of the contracts that more than one place checks (the schema at the
 * bus boundary, the CLI before it sends, the interpreter in process), and the one
 * error code a refused value gets, so every path answers the same way.
 */
import type { z } from 'zod';
import type { ErrorCode } from './errors.js';

/** Longest request text, in characters once trimmed (`RequestText`, the interpreter, the CLI). */
export const MAX_REQUEST_TEXT_CHARS = 20_000;

/** Why a request text is refused for its length. */
export function requestTextTooLong(length: number): string {
  return `request text has ${length} characters; the limit is ${MAX_REQUEST_TEXT_CHARS}`;
}

/**
 * The code of a value its schema refused: `payload-too-large` when all that is wrong is
 * request text over MAX_REQUEST_TEXT_CHARS (a well-formed message, only too big; the same
 * code the interpreter and the CLI give it), else `invalid-message`.
 */
export function schemaErrorCode(
  error: z.ZodError,
): Extract<ErrorCode, 'invalid-message' | 'payload-too-large'> {
  const tooLongText = (issue: z.core.$ZodIssue) =>
    issue.code === 'too_big' &&
    issue.origin === 'string' &&
    issue.path[issue.path.length - 1] === 'text' &&
    Number(issue.maximum) === MAX_REQUEST_TEXT_CHARS;
  return error.issues.length > 0 && error.issues.every(tooLongText)
    ? 'payload-too-large'
    : 'invalid-message';
}
