/**
 * The JSON Schemas of the api's TMF921 v5 resources, written from the public TMF921 v5
 * schemas (Intent, Intent_FVO, Intent_MVO, IntentReport, Hub, the events, Error) and
 * TS 28.312 expectation targets. One source of truth: Fastify validates requests with
 * them, /openapi.json publishes them, the tests check responses against them.
 *
 * Resources stay open (`additionalProperties`) as TMF's are: a client may send the
 * attributes TMF921 defines that this api does not use; they are ignored.
 */
import { MAX_REQUEST_TEXT_CHARS } from '../../shared/contracts/limits.js';
import { COMPLIANCE } from '../../shared/contracts/api.js';
import { INTENT_LIFECYCLE_STATUSES } from './lifecycle.js';
import { TARGET_CONDITIONS } from './targets.js';

const ID_REGEX = '^[A-Za-z0-9_-]{1,128}$';
const dateTime = { type: 'string', format: 'date-time' } as const;
const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;

const TimePeriod = {
  type: 'object',
  properties: { startDateTime: dateTime, endDateTime: dateTime },
} as const;

/** One TS 28.312 expectation target: its meaning is checked when the intent is read (422). */
const ExpectationTarget = {
  type: 'object',
  required: ['targetName', 'targetCondition', 'targetValueRange'],
  properties: {
    targetName: text(64),
    targetCondition: { type: 'string', enum: [...TARGET_CONDITIONS] },
    targetValueRange: {
      anyOf: [
        { type: 'number' },
        { type: 'string', maxLength: 64 },
        { type: 'array', maxItems: 16, items: { type: ['number', 'string'] } },
      ],
    },
    targetUnit: text(16),
  },
} as const;

const ExpectationTargets = { type: 'array', maxItems: 16, items: ExpectationTarget } as const;

/** A JSON-LD expression's value: any JSON-LD; targets, where stated, have their shape. */
const ExpressionValue = {
  type: 'object',
  properties: {
    '@context': { type: ['object', 'string', 'array'] },
    expectationTargets: ExpectationTargets,
    intentExpectations: {
      type: 'array',
      maxItems: 16,
      items: { type: 'object', properties: { expectationTargets: ExpectationTargets } },
    },
  },
} as const;

export const JsonLdExpression_FVO = {
  type: 'object',
  required: ['@type', 'expressionValue'],
  properties: {
    '@type': { const: 'JsonLdExpression' },
    iri: text(2_000),
    expressionValue: ExpressionValue,
  },
} as const;

export const JsonLdExpression = {
  ...JsonLdExpression_FVO,
  required: ['@type', 'expressionValue'],
} as const;

/** A party the intent is for: the one with role `tenant` names the slice's tenant. */
const RelatedParty = {
  type: 'object',
  required: ['partyOrPartyRole'],
  properties: {
    '@type': { const: 'RelatedPartyRefOrPartyRoleRef' },
    role: text(64),
    partyOrPartyRole: {
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string', pattern: ID_REGEX },
        name: text(256),
        '@type': text(64),
        '@referredType': text(64),
      },
    },
  },
} as const;

const intentAttributes = {
  name: { type: 'string', minLength: 1, maxLength: 256 },
  description: text(MAX_REQUEST_TEXT_CHARS),
  expression: JsonLdExpression_FVO,
  relatedParty: { type: 'array', maxItems: 16, items: RelatedParty },
  validFor: TimePeriod,
  priority: text(64),
  context: text(1_000),
  version: text(64),
} as const;

export const Intent_FVO = {
  type: 'object',
  required: ['@type', 'name', 'expression'],
  properties: { '@type': { const: 'Intent' }, ...intentAttributes },
} as const;

/** PATCH: what may change (a new description or expression is a slice change). */
export const Intent_MVO = {
  type: 'object',
  minProperties: 1,
  properties: {
    '@type': { const: 'Intent' },
    name: intentAttributes.name,
    description: intentAttributes.description,
    expression: intentAttributes.expression,
  },
} as const;

const StringCharacteristic = {
  type: 'object',
  required: ['@type', 'name', 'value'],
  properties: {
    '@type': { const: 'StringCharacteristic' },
    name: text(64),
    value: { type: 'string' },
  },
} as const;

export const Intent = {
  type: 'object',
  required: [
    '@type',
    'id',
    'href',
    'name',
    'expression',
    'lifecycleStatus',
    'creationDate',
    'lastUpdate',
    'statusChangeDate',
  ],
  properties: {
    '@type': { const: 'Intent' },
    id: { type: 'string', pattern: ID_REGEX },
    href: { type: 'string' },
    ...intentAttributes,
    expression: JsonLdExpression,
    lifecycleStatus: { type: 'string', enum: [...INTENT_LIFECYCLE_STATUSES] },
    creationDate: dateTime,
    lastUpdate: dateTime,
    statusChangeDate: dateTime,
    characteristic: { type: 'array', items: StringCharacteristic },
  },
} as const;

const IntentRef = {
  type: 'object',
  required: ['@type', 'id', 'href'],
  properties: {
    '@type': { const: 'IntentRef' },
    id: { type: 'string' },
    href: { type: 'string' },
    name: { type: 'string' },
  },
} as const;

const Figure = { type: 'number', minimum: 0 } as const;

/** The report's own expression: the observed QoE against the SLA's limits. */
const ReportValue = {
  type: 'object',
  required: ['compliance', 'sliceState', 'violations'],
  properties: {
    '@context': { type: ['object', 'string', 'array'] },
    compliance: { type: 'string', enum: [...COMPLIANCE] },
    sliceState: { type: 'string' },
    served: { type: 'boolean' },
    observed: {
      type: 'object',
      required: ['latencyMs', 'cost', 'reliabilityCost'],
      properties: { latencyMs: Figure, cost: Figure, reliabilityCost: Figure },
    },
    limits: {
      type: 'object',
      properties: { latencyMs: Figure, cost: Figure, sharing: Figure },
    },
    violations: { type: 'array', items: { type: 'string' } },
    kpi: {
      type: 'object',
      properties: {
        withinSla: { type: 'boolean' },
        qoe: { type: 'number', minimum: 0, maximum: 1 },
        latencyMs: Figure,
        violations: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;

export const IntentReport = {
  type: 'object',
  required: ['@type', 'id', 'href', 'name', 'creationDate', 'intent', 'expression'],
  properties: {
    '@type': { const: 'IntentReport' },
    id: { type: 'string', pattern: ID_REGEX },
    href: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    creationDate: dateTime,
    intent: IntentRef,
    expression: {
      type: 'object',
      required: ['@type', 'expressionValue'],
      properties: { '@type': { const: 'JsonLdExpression' }, expressionValue: ReportValue },
    },
  },
} as const;

export const Hub_FVO = {
  type: 'object',
  required: ['callback'],
  properties: {
    '@type': { type: 'string', maxLength: 64 },
    callback: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2_000 },
    query: text(1_000),
  },
} as const;

export const Hub = {
  type: 'object',
  required: ['id', 'callback'],
  properties: {
    '@type': { const: 'Hub' },
    id: { type: 'string', pattern: ID_REGEX },
    callback: { type: 'string', format: 'uri' },
    query: { type: 'string' },
  },
} as const;

export const EVENT_TYPES = [
  'IntentCreateEvent',
  'IntentStatusChangeEvent',
  'IntentReportCreateEvent',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const eventOf = (type: EventType, payload: Record<string, unknown>) =>
  ({
    type: 'object',
    required: ['@type', 'eventId', 'eventTime', 'eventType', 'event'],
    properties: {
      '@type': { const: type },
      eventId: { type: 'string' },
      eventTime: dateTime,
      eventType: { const: type },
      correlationId: { type: 'string' },
      event: { type: 'object', ...payload },
    },
  }) as const;

export const IntentCreateEvent = eventOf('IntentCreateEvent', {
  required: ['intent'],
  properties: { intent: Intent },
});
export const IntentStatusChangeEvent = eventOf('IntentStatusChangeEvent', {
  required: ['intent'],
  properties: { intent: Intent },
});
export const IntentReportCreateEvent = eventOf('IntentReportCreateEvent', {
  required: ['intentReport'],
  properties: { intentReport: IntentReport },
});

export const TmfError = {
  type: 'object',
  required: ['@type', 'code', 'reason', 'status'],
  properties: {
    '@type': { const: 'Error' },
    code: { type: 'string' },
    reason: { type: 'string' },
    message: { type: 'string' },
    status: { type: 'string', pattern: '^[1-5][0-9][0-9]$' },
    referenceError: { type: 'string' },
  },
} as const;

/** GET /intent: paging, projection and attribute filters (any other parameter). */
export const IntentListQuery = {
  type: 'object',
  properties: {
    fields: text(1_000),
    // Query strings are strings (nothing is coerced): digits only.
    offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$' },
  },
} as const;

export const IdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: ID_REGEX } },
} as const;

export const ReportParams = {
  type: 'object',
  required: ['id', 'reportId'],
  properties: {
    id: { type: 'string', pattern: ID_REGEX },
    reportId: { type: 'string', pattern: ID_REGEX },
  },
} as const;

/** Every named schema, as the OpenAPI document's components. */
export const COMPONENTS = {
  Intent,
  Intent_FVO,
  Intent_MVO,
  JsonLdExpression,
  IntentReport,
  Hub,
  Hub_FVO,
  IntentCreateEvent,
  IntentStatusChangeEvent,
  IntentReportCreateEvent,
  Error: TmfError,
} as const;
