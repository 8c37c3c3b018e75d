/**
 * Labelled JSONL files (the knowledge base, evaluation sets): one JSON object a
 * line, each checked against a schema. A bad line is a `scenario` error that
 * names the file and the line, so it can be fixed by hand.
 */
import type { z } from 'zod';
import { SliceMeshError } from '../../shared/contracts/errors.js';

/**
 * Parses every non-blank line of `raw` with `schema`, then `check` (which
 * throws to reject a valid line, e.g. a duplicate id); throws on the first bad line.
 */
export function parseJsonLines<S extends z.ZodType>(
  raw: string,
  schema: S,
  origin: string,
  check?: (value: z.infer<S>, line: number) => void,
): z.infer<S>[] {
  const out: z.infer<S>[] = [];
  raw.split('\n').forEach((text, index) => {
    if (text.trim() === '') return;
    const line = index + 1;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SliceMeshError('scenario', `${origin} line ${line}: not valid JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SliceMeshError(
        'scenario',
        `${origin} line ${line}: ${issue ? `${issue.path.join('.') || 'line'}: ${issue.message}` : 'invalid'}`,
      );
    }
    check?.(parsed.data, line);
    out.push(parsed.data);
  });
  return out;
}
