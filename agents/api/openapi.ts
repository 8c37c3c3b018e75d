/**
 * The OpenAPI 3.1 document of the api, built from the same schemas the routes validate
 * with (schemas.ts), served at /openapi.json.
 */
import { COMPONENTS, IntentListQuery, type EventType, EVENT_TYPES } from './schemas.js';
import { BASE_PATH } from './intent.js';

const ref = (name: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof COMPONENTS) => ({
  content: { 'application/json': { schema: ref(name) } },
});
const error = (description: string) => ({ description, ...json('Error') });
const ERRORS = {
  '400': error('malformed request (bad JSON or a schema violation)'),
  '401': error('no valid bearer token'),
  '503': error('the mesh’s bus is not answering; nothing was accepted'),
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

function queryParams() {
  return Object.entries(IntentListQuery.properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema,
  }));
}

export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'SliceMesh Intent Management (TMF921 v5)',
      version,
      description:
        'Intents become network slices of the mesh. Every route but this document needs `Authorization: Bearer <token>`.',
    },
    servers: [{ url: BASE_PATH }],
    security: [{ bearer: [] }],
    paths: {
      '/intent': {
        get: {
          summary: 'List intents (attribute filters, fields, offset, limit)',
          parameters: [
            ...queryParams(),
            {
              name: 'lifecycleStatus',
              in: 'query',
              required: false,
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: 'intents; X-Total-Count and X-Result-Count headers',
              content: {
                'application/json': { schema: { type: 'array', items: ref('Intent') } },
              },
            },
            ...ERRORS,
          },
        },
        post: {
          summary: 'Create an intent: submits a slice request',
          requestBody: { required: true, ...json('Intent_FVO') },
          responses: {
            '201': { description: 'accepted (stored in the durable intake)', ...json('Intent') },
            ...ERRORS,
            '413': error('body larger than the limit'),
            '422': error('the intent cannot be understood'),
          },
        },
      },
      '/intent/{id}': {
        parameters: [idParam],
        get: {
          responses: { '200': { description: 'the intent', ...json('Intent') }, ...ERRORS },
        },
        patch: {
          summary: 'Change an intent: a new description or expression changes the slice',
          requestBody: {
            required: true,
            content: {
              'application/merge-patch+json': { schema: ref('Intent_MVO') },
              'application/json': { schema: ref('Intent_MVO') },
            },
          },
          responses: {
            '200': { description: 'the intent', ...json('Intent') },
            ...ERRORS,
            '404': error('unknown intent'),
            '409': error('the intent is finished'),
            '422': error('the change cannot be understood'),
          },
        },
        delete: {
          summary: 'Terminate an intent: its slice is released',
          responses: { '204': { description: 'termination accepted' }, ...ERRORS },
        },
      },
      '/intent/{id}/intentReport': {
        parameters: [idParam],
        get: {
          responses: {
            '200': {
              description: 'reports, oldest first',
              content: {
                'application/json': { schema: { type: 'array', items: ref('IntentReport') } },
              },
            },
            ...ERRORS,
          },
        },
      },
      '/intent/{id}/intentReport/{reportId}': {
        parameters: [
          idParam,
          { name: 'reportId', in: 'path', required: true, schema: { type: 'string' } },
        ],
        get: {
          responses: { '200': { description: 'the report', ...json('IntentReport') }, ...ERRORS },
        },
      },
      '/hub': {
        post: {
          summary: 'Register a listener',
          requestBody: { required: true, ...json('Hub_FVO') },
          responses: { '201': { description: 'registered', ...json('Hub') }, ...ERRORS },
        },
      },
      '/hub/{id}': {
        parameters: [idParam],
        delete: { responses: { '204': { description: 'unregistered' }, ...ERRORS } },
      },
    },
    webhooks: Object.fromEntries(
      EVENT_TYPES.map((type: EventType) => [
        type,
        {
          post: {
            requestBody: { required: true, ...json(type) },
            responses: { '200': { description: 'received' } },
          },
        },
      ]),
    ),
    components: {
      schemas: COMPONENTS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
