/**
 * An intent is a slice seen through TMF921: the slice-manager's record gives its
 * state and history, the api's stored intent its name and expression. A slice requested
 * some other way (the CLI, a replay) is an intent too, named after its id, with the
 * expression its request implies.
 */
import { randomBytes } from 'node:crypto';
import type { SlaClasses } from '../../shared/contracts/common.js';
import type { StoredIntent } from '../../shared/contracts/api.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { tenantOf, type SliceRecord } from '../../shared/contracts/messages.js';
import { lifecycleStatusOf } from './lifecycle.js';
import { slaFromTargets, targetsOf } from './targets.js';

export const BASE_PATH = '/tmf-api/intentManagement/v5';

export interface JsonLdExpressionBody {
  readonly '@type': 'JsonLdExpression';
  readonly iri?: string;
  readonly expressionValue: Record<string, unknown>;
}

/** What POST /intent accepts (validated against Intent_FVO before it gets here). */
export interface IntentInput {
  readonly '@type': 'Intent';
  readonly name: string;
  readonly description?: string;
  readonly expression: JsonLdExpressionBody;
  readonly relatedParty?: readonly {
    readonly role?: string;
    readonly partyOrPartyRole: { readonly id: string };
  }[];
}

/** What PATCH /intent/{id} accepts (Intent_MVO). */
export interface IntentPatch {
  readonly name?: string;
  readonly description?: string;
  readonly expression?: JsonLdExpressionBody;
}

/** The party role that names the tenant an intent is for. */
export const TENANT_PARTY_ROLE = 'tenant';

/** A fresh slice id for an intent: sorts by creation time, unguessable enough to never collide. */
export function newIntentId(now: number): string {
  return `intent-${now.toString(36)}-${randomBytes(5).toString('hex')}`;
}

/** The tenant an intent is for: its `relatedParty` with role `tenant`, else the default. */
export function tenantOfIntent(input: IntentInput, defaultTenant: string): string {
  const party = input.relatedParty?.find((p) => p.role?.toLowerCase() === TENANT_PARTY_ROLE);
  return party?.partyOrPartyRole.id ?? defaultTenant;
}

/**
 * What the slice request says: the description to interpret (the name when there is none
 * but there are targets) and the SLA classes the targets state. Neither a description nor
 * a target: nothing to understand.
 */
export function understand(
  name: string,
  description: string | undefined,
  expression: JsonLdExpressionBody,
): { text: string; sla: SlaClasses | undefined } {
  const sla = slaFromTargets(targetsOf(expression.expressionValue));
  const said = description?.trim();
  if ((said === undefined || said === '') && sla === undefined) {
    throw new SliceMeshError(
      'invalid-message',
      'the intent states neither a description to interpret nor expectation targets',
    );
  }
  return { text: said !== undefined && said !== '' ? said : name, sla };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The expression a slice's request implies, for a slice without a stored intent. */
function impliedExpression(record: SliceRecord): Record<string, unknown> {
  return {
    '@type': 'JsonLdExpression',
    expressionValue: {
      '@context': { slicemesh: 'urn:slicemesh:' },
      ...(record.sla ? { 'slicemesh:sla': record.sla } : {}),
    },
  };
}

export interface IntentView {
  readonly '@type': 'Intent';
  readonly id: string;
  readonly href: string;
  readonly name: string;
  readonly description: string;
  readonly expression: Record<string, unknown>;
  readonly lifecycleStatus: string;
  readonly creationDate: string;
  readonly lastUpdate: string;
  readonly statusChangeDate: string;
  readonly relatedParty: readonly Record<string, unknown>[];
  readonly characteristic: readonly Record<string, unknown>[];
  readonly [key: string]: unknown;
}

export function intentHref(id: string): string {
  return `${BASE_PATH}/intent/${id}`;
}

/** The TMF921 Intent of a slice. */
export function toIntent(record: SliceRecord, stored: StoredIntent | undefined): IntentView {
  const first = record.history[0]?.at ?? stored?.createdAt ?? 0;
  const last = record.history.at(-1)?.at ?? first;
  const created = stored?.createdAt ?? first;
  const updated = Math.max(last, stored?.updatedAt ?? 0);
  const characteristic = [
    { name: 'sliceState', value: record.state },
    ...(record.traceId ? [{ name: 'traceId', value: record.traceId }] : []),
    ...(record.profile ? [{ name: 'serviceType', value: record.profile.serviceType }] : []),
    ...(record.reason ? [{ name: 'reason', value: record.reason }] : []),
  ].map((c) => ({ '@type': 'StringCharacteristic', ...c }));
  return {
    '@type': 'Intent',
    id: record.sliceId,
    href: intentHref(record.sliceId),
    name: stored?.name ?? record.sliceId,
    description: record.text,
    expression: stored?.expression ?? impliedExpression(record),
    lifecycleStatus: lifecycleStatusOf(record.state),
    creationDate: iso(created),
    lastUpdate: iso(updated),
    statusChangeDate: iso(last),
    relatedParty: [
      {
        '@type': 'RelatedPartyRefOrPartyRoleRef',
        role: TENANT_PARTY_ROLE,
        partyOrPartyRole: { '@type': 'PartyRef', id: tenantOf(record) },
      },
    ],
    characteristic,
  };
}
