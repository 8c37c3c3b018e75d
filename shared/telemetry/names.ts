/**
 * Span and attribute names used across the mesh. Keep names here so traces
 * stay searchable in Jaeger and agents do not invent near-duplicates.
 * Roles add their own span names to `SPAN` with a one-line edit.
 */

/** Span names (low cardinality: ids go into attributes, never into names). */
export const SPAN = {
  // Bus layer (the subject or stream is appended: `bus.request slicemesh.svc.orchestrator.place`).
  busPublish: 'bus.publish',
  busRequest: 'bus.request',
  busServe: 'bus.serve',
  busReceive: 'bus.receive',
  busJsPublish: 'bus.js.publish',
  busConsume: 'bus.consume',
  // Slice lifecycle and the agents' own work.
  sliceLifecycle: 'slice.lifecycle',
  sliceTransition: 'slice.transition',
  interpreterInfer: 'interpreter.infer',
  interpreterNormalize: 'interpreter.normalize',
  interpreterEmbed: 'interpreter.embed',
  interpreterRetrieve: 'interpreter.retrieve',
  interpreterReason: 'interpreter.reason',
  interpreterValidate: 'interpreter.validate',
  interpreterRespond: 'interpreter.respond',
  orchestratorPlace: 'orchestrator.place',
  infraApply: 'infrastructure.apply',
  infraRelease: 'infrastructure.release',
  infraDecline: 'infrastructure.decline',
  infraLoad: 'infrastructure.load',
  telemetryViolation: 'telemetry.violation',
  memoryCurate: 'memory.curate',
  memoryEvict: 'memory.evict',
  auditAppend: 'audit.append',
  /** The api role's write of an intent (operation in ATTR.apiOperation): where its slice's trace starts. */
  apiIntent: 'api.intent',
} as const;
export type SpanName = (typeof SPAN)[keyof typeof SPAN];

/** Attribute keys: `slicemesh.*` for the domain, OpenTelemetry messaging conventions for the bus. */
export const ATTR = {
  sliceId: 'slicemesh.slice.id',
  /** The api role: `create`, `change` or `terminate`. */
  apiOperation: 'slicemesh.api.operation',
  sliceState: 'slicemesh.slice.state',
  /** The state a slice transition left (absent on the first). */
  slicePreviousState: 'slicemesh.slice.previous_state',
  /** Why a slice transition happened (e.g. `applied`, `stale-view`, `violation`). */
  sliceCause: 'slicemesh.slice.cause',
  method: 'slicemesh.method',
  messageType: 'slicemesh.message.type',
  errorCode: 'slicemesh.error.code',
  reasoner: 'slicemesh.reasoner',
  /** Interpreter retrieve: the collections Chroma did not serve (`knowledge`, `memory`, comma-separated). */
  interpreterUnavailable: 'slicemesh.interpreter.unavailable',
  /** Infrastructure: the network version a plan was made on / the state is at after a change. */
  viewVersion: 'slicemesh.view.version',
  /** Infrastructure: `applied`, `refused:<reason>`, `released`, `not-held`, `counted` or `already-counted`. */
  infraOutcome: 'slicemesh.infra.outcome',
  /** Traffic load factor of a slice (1 = nominal). */
  loadFactor: 'slicemesh.load.factor',
  /** Telemetry: the SLA dimension a violation is about. */
  slaDimension: 'slicemesh.sla.dimension',
  /** Orchestrator: the action chosen (e.g. `cloud-new/vnf:snn`), or `reject`. */
  orchestratorAction: 'slicemesh.orchestrator.action',
  /** Orchestrator: JSON object of action → probability (learned methods; non-zero entries). */
  orchestratorProbabilities: 'slicemesh.orchestrator.probabilities',
  /** Orchestrator: `planned` or `rejected`. */
  orchestratorOutcome: 'slicemesh.orchestrator.outcome',
  /** Orchestrator: the checkpoint a learned decision used (`<method>@<steps>`). */
  orchestratorCheckpoint: 'slicemesh.orchestrator.checkpoint',
  /** Expected QoE of a plan. */
  expectedLatencyMs: 'slicemesh.qoe.expected.latency_ms',
  expectedCost: 'slicemesh.qoe.expected.cost',
  expectedReliabilityCost: 'slicemesh.qoe.expected.reliability_cost',
  /** Memory-curator: what an outcome did to the bank (`inserted`, `merged`, `superseded`, `duplicate`, `skipped-unserved`). */
  memoryAction: 'slicemesh.memory.action',
  /** Memory-curator: the memory entry written or evicted. */
  memoryEntryId: 'slicemesh.memory.entry.id',
  /** Memory-curator: cosine similarity of an outcome to its nearest memory entry. */
  memorySimilarity: 'slicemesh.memory.similarity',
  /** Memory-curator: quality in [0, 1] an outcome was weighted with. */
  memoryQuality: 'slicemesh.memory.quality',
  /** Memory-curator: entries in the bank after the update. */
  memoryEntries: 'slicemesh.memory.entries',
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperation: 'messaging.operation.type',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  messagingBodySize: 'messaging.message.body.size',
  /** Items in a batch message (OTel messaging semconv). */
  batchItems: 'messaging.batch.message_count',
  messagingMessageId: 'messaging.message.id',
  messagingDeliveryCount: 'messaging.nats.delivery.count',
  messagingStreamSeq: 'messaging.nats.stream.sequence',
} as const;
export type AttrName = (typeof ATTR)[keyof typeof ATTR];
