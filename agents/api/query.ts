/**
 * TMF630 query conventions on a list of resources: attribute filtering
 * (`?lifecycleStatus=active&name=x`, equality on top-level attributes; `a,b` matches
 * either), `fields` projection (id, href and @type always stay), `offset` and `limit`.
 */

/** Query parameters that are not attribute filters. */
const RESERVED = new Set(['fields', 'offset', 'limit', 'sort', 'access_token']);

export interface ListQuery {
  readonly fields?: string;
  readonly offset: number;
  readonly limit: number;
  readonly [attribute: string]: unknown;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The attribute filters of a query: attribute → accepted values. */
export function filtersOf(query: ListQuery): Map<string, Set<string>> {
  const filters = new Map<string, Set<string>>();
  for (const [key, raw] of Object.entries(query)) {
    if (RESERVED.has(key)) continue;
    const values = (Array.isArray(raw) ? raw : [raw])
      .map(scalar)
      .filter((v): v is string => v !== undefined)
      .flatMap((v) => v.split(','));
    if (values.length > 0) filters.set(key, new Set(values));
  }
  return filters;
}

export function matches(
  resource: Readonly<Record<string, unknown>>,
  filters: Map<string, Set<string>>,
): boolean {
  for (const [attribute, accepted] of filters) {
    const value = scalar(resource[attribute]);
    if (value === undefined || !accepted.has(value)) return false;
  }
  return true;
}

const ALWAYS = ['id', 'href', '@type'];

export function project<T extends Readonly<Record<string, unknown>>>(
  resource: T,
  fields: string | undefined,
): Partial<T> {
  if (fields === undefined || fields.trim() === '') return resource;
  const keep = new Set([...ALWAYS, ...fields.split(',').map((f) => f.trim())]);
  return Object.fromEntries(Object.entries(resource).filter(([k]) => keep.has(k))) as Partial<T>;
}
