import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { bearerAuth, presentedToken } from '../../agents/api/auth.js';
import { admittedTypes } from '../../agents/api/hub.js';
import { openApiDocument } from '../../agents/api/openapi.js';
import { filtersOf, matches, project } from '../../agents/api/query.js';

describe('TMF630 query conventions', () => {
  const intent = { '@type': 'Intent', id: 'a', href: '/x/a', name: 'n', lifecycleStatus: 'active' };

  it('filters on top-level attributes, either of comma-separated values', () => {
    const filters = filtersOf({
      offset: 0,
      limit: 10,
      fields: 'name',
      lifecycleStatus: 'active,adapting',
    });
    expect([...filters.keys()]).toEqual(['lifecycleStatus']);
    expect(matches(intent, filters)).toBe(true);
    expect(matches({ ...intent, lifecycleStatus: 'terminated' }, filters)).toBe(false);
    expect(matches(intent, filtersOf({ offset: 0, limit: 1, name: 'other' }))).toBe(false);
    expect(matches(intent, filtersOf({ offset: 0, limit: 1, missing: 'x' }))).toBe(false);
    expect(matches(intent, filtersOf({ offset: 0, limit: 1, access_token: 't' }))).toBe(true);
  });

  it('projects on fields, always keeping id, href and @type', () => {
    expect(project(intent, 'name')).toEqual({
      '@type': 'Intent',
      id: 'a',
      href: '/x/a',
      name: 'n',
    });
    expect(project(intent, undefined)).toBe(intent);
  });

  it("admits a listener's event types from its query", () => {
    expect(admittedTypes(undefined)).toBeUndefined();
    expect(admittedTypes('')).toBeUndefined();
    expect(admittedTypes('eventType=IntentCreateEvent,IntentReportCreateEvent')).toEqual(
      new Set(['IntentCreateEvent', 'IntentReportCreateEvent']),
    );
    expect(admittedTypes('eventType=IntentCreateEvent&eventType=IntentStatusChangeEvent')).toEqual(
      new Set(['IntentCreateEvent', 'IntentStatusChangeEvent']),
    );
    expect(admittedTypes('state=active')).toBeUndefined();
  });
});

describe('bearer authentication', () => {
  async function app() {
    const server = Fastify();
    server.addHook('onRequest', bearerAuth('s3cret-token-of-enough-length'));
    server.get('/x', async () => ({ ok: true }));
    await server.ready();
    return server;
  }

  it('takes the header or the access_token parameter, and nothing else', async () => {
    const server = await app();
    const status = async (url: string, headers: Record<string, string> = {}) =>
      (await server.inject({ method: 'GET', url, headers })).statusCode;
    expect(await status('/x', { authorization: 'Bearer s3cret-token-of-enough-length' })).toBe(200);
    expect(await status('/x', { authorization: 'bearer s3cret-token-of-enough-length' })).toBe(200);
    expect(await status('/x?access_token=s3cret-token-of-enough-length')).toBe(200);
    expect(await status('/x')).toBe(401);
    expect(await status('/x', { authorization: 'Bearer s3cret' })).toBe(401);
    expect(await status('/x', { authorization: 'Basic s3cret-token-of-enough-length' })).toBe(401);
    const refused = await server.inject({ method: 'GET', url: '/x' });
    expect(refused.json()).toEqual({
      '@type': 'Error',
      code: 'unauthorized',
      reason: 'Unauthorized',
      message: 'a bearer token is required',
      status: '401',
    });
    await server.close();
  });

  it('prefers the header to the parameter', () => {
    const request = {
      headers: { authorization: 'Bearer from-header' },
      query: { access_token: 'from-query' },
    } as unknown as Parameters<typeof presentedToken>[0];
    expect(presentedToken(request)).toBe('from-header');
  });
});

describe('the OpenAPI document', () => {
  it('resolves every $ref to one of its components', () => {
    const document = openApiDocument('test');
    const refs = [
      ...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g),
    ].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(document.components.schemas, name).toHaveProperty([name]);
  });
});
