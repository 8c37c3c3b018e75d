/**
 * One limit and one error code for request text that is too long, whichever way it
 * comes in: the CLI before it sends, the bus boundary when it arrives, the interpreter
 * in process. A 25,000-character text used to be `payload-too-large` in the
 * interpreter but `invalid-message` on the bus and on the CLI.
 */
import { describe, expect, it } from 'vitest';
import { normalizeRequestText } from '../../agents/interpreter/index.js';
import { buildRequest } from '../../cli/commands/request.js';
import { decodeMessage } from '../../shared/bus/wire.js';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { InferenceRequest, SliceRequest } from '../../shared/contracts/messages.js';
import { MAX_REQUEST_TEXT_CHARS } from '../../shared/contracts/limits.js';

const encoder = new TextEncoder();
const MAX_PAYLOAD = 512 * 1024;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isSliceMeshError(error) ? error.code : `not a SliceMeshError: ${String(error)}`;
  }
  return undefined;
}

/** The request the CLI would send for `text`, built without validating its text. */
function requestWith(text: string): Record<string, unknown> {
  return { ...buildRequest({ text: 'a robot cell', id: 'long-1', timeout: '30s' }, 1), text };
}

/** The code each path gives `text`: CLI, bus (slice intake), bus (interpreter), interpreter. */
function codes(text: string): (string | undefined)[] {
  const onBus = (schema: typeof SliceRequest | typeof InferenceRequest, body: object) => {
    const decoded = decodeMessage(schema, encoder.encode(JSON.stringify(body)), MAX_PAYLOAD);
    return decoded.ok ? undefined : decoded.error.code;
  };
  return [
    codeOf(() => buildRequest({ text, id: 'long-1', timeout: '30s' }, 1)),
    onBus(SliceRequest, requestWith(text)),
    onBus(InferenceRequest, { type: 'interpreter.infer.request.v1', sliceId: 'long-1', text }),
    codeOf(() => normalizeRequestText(text, 4_000)),
  ];
}

describe('request text over the limit', () => {
  it('is payload-too-large on the CLI, on the bus and in the interpreter alike', () => {
    expect(codes('robot '.repeat(25_000 / 6))).toEqual([
      'payload-too-large',
      'payload-too-large',
      'payload-too-large',
      'payload-too-large',
    ]);
  });

  it('has one limit: at it every path accepts the text, one character over every path refuses it', () => {
    const atLimit = 'r'.repeat(MAX_REQUEST_TEXT_CHARS);
    expect(codes(atLimit)).toEqual([undefined, undefined, undefined, undefined]);
    expect(codes(`${atLimit}r`)).toEqual(Array(4).fill('payload-too-large'));
    // Surrounding whitespace does not count, on any path.
    expect(codes(`  ${atLimit}\n`)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('says what the limit is', () => {
    try {
      buildRequest({ text: 'x'.repeat(25_000), timeout: '30s' }, 1);
    } catch (error) {
      expect((error as Error).message).toContain('25000 characters; the limit is 20000');
    }
    expect.assertions(1);
  });

  it('stays invalid-message when something else is wrong too', () => {
    const body = { ...requestWith('x'.repeat(25_000)), sliceId: 'not an id' };
    const decoded = decodeMessage(SliceRequest, encoder.encode(JSON.stringify(body)), MAX_PAYLOAD);
    expect(decoded.ok ? undefined : decoded.error.code).toBe('invalid-message');
  });
});
