/**
 * English descriptions for generated requests: a sentence about the
 * application of the slice's service type, then sentences hinting at its
 * latency, reliability and cost classes, with placeholders filled from the
 * seed. They give the interpreter realistic text to read; the generated
 * profile stays the ground truth.
 */
import type {
  CostClass,
  LatencyClass,
  ReliabilityClass,
  ServiceType,
} from '../contracts/common.js';
import type { Rng } from '../random.js';

const FILLERS: Readonly<Record<string, readonly string[]>> = {
  robot: [
    'robotic arm',
    'welding robot',
    'pick-and-place robot',
    'collaborative robot',
    'gantry robot',
  ],
  line: [
    'assembly line 3',
    'the body shop',
    'the packaging line',
    'cell B',
    'the press line',
    'the bottling line',
  ],
  area: [
    'hall 2',
    'the warehouse',
    'the paint shop',
    'the machining cell',
    'the north plant',
    'the loading dock',
  ],
  vehicle: [
    'overhead crane',
    'forklift',
    'automated guided vehicle',
    'drilling rig',
    'inspection drone',
  ],
  machine: [
    'the turbine',
    'the injection moulding machines',
    'the conveyor drives',
    'the CNC mills',
  ],
  sensor: [
    'vibration sensor',
    'temperature probe',
    'humidity sensor',
    'pressure transmitter',
    'gas detector',
  ],
  utility: ['electricity', 'compressed air', 'water', 'gas'],
  asset: ['pallets', 'tool carts', 'containers', 'spare parts bins'],
  count: ['4', '8', '12', '16', '24', '40', '120', '500'],
};

const APPLICATION: Readonly<Record<ServiceType, readonly string[]>> = {
  URLLC: [
    'Please help me to construct a network slice for the wireless control of {robot}s on {line}.',
    'We need a slice that carries closed-loop motion control between the PLC and {count} {robot}s in {area}.',
    'Set up connectivity for the emergency-stop and safety interlocks of {line}.',
    'Create a slice for remote teleoperation of an {vehicle} in {area}.',
    'Our {area} needs a network slice to synchronise {count} servo drives.',
    'Provide a slice for the protection relays that isolate faults in {area}.',
  ],
  eMBB: [
    'Please build a slice to stream {count} 4K video feeds from the inspection cameras in {area}.',
    'We want augmented-reality maintenance support for technicians working on {machine}.',
    'Set up a slice for the digital twin of {area}, streaming point clouds and video.',
    'Create a network slice for high-definition video surveillance of {area}.',
    'Provide bandwidth for remote expert video calls from {line}.',
    'Stream machine-vision images from {count} quality-inspection stations on {line} to the analytics servers.',
  ],
  mMTC: [
    'Connect {count} {sensor}s across {area} that report every few minutes.',
    'Please create a slice for smart metering of {utility} in {area}.',
    'We need to collect telemetry from {count} battery-powered {sensor}s.',
    'Set up a slice for asset-tracking tags on {asset} in {area}.',
    'Provide connectivity for condition monitoring of {machine} with {count} {sensor}s.',
  ],
};

const LATENCY: Readonly<Record<LatencyClass, readonly string[]>> = {
  high: [
    'Commands must arrive within a few milliseconds.',
    'It is time-critical: end-to-end delay has to stay under 30 ms.',
    'Real-time response is essential.',
    'Any lag beyond a few milliseconds stops production.',
  ],
  medium: [
    'Latency should stay moderate; around 100 ms is fine.',
    'Near-real-time delivery is enough.',
    'Some delay is acceptable as long as it stays below a tenth of a second.',
  ],
  'best-effort': [
    'Delay is not critical.',
    'The data can arrive with some delay.',
    'Timing is relaxed; best-effort delivery is fine.',
  ],
};

const RELIABILITY: Readonly<Record<ReliabilityClass, readonly string[]>> = {
  high: [
    'The connection must never drop; this is safety-critical.',
    'Please keep it isolated, it cannot share network functions with other traffic.',
    'Failures are unacceptable here.',
  ],
  medium: [
    'It should be reliable, though brief interruptions can be tolerated.',
    'Reasonable reliability is needed.',
    'Sharing resources with one other service would be acceptable.',
  ],
  'best-effort': [
    'Occasional losses are acceptable.',
    'Sharing infrastructure with other services is fine.',
    'Reliability requirements are modest.',
  ],
};

const COST: Readonly<Record<CostClass, readonly string[]>> = {
  'cost-sensitive': [
    'Keep the cost as low as possible.',
    'We are on a tight budget.',
    'It has to be cheap to run.',
  ],
  general: ['', 'Budget is not the main concern.', 'Standard pricing is fine.'],
};

/**
 * The sentence templates the descriptions are drawn from, `{name}` marking a
 * placeholder; exported so that tests can keep them out of the knowledge base
 * (an interpreter that retrieves the generator's own sentences measures
 * nothing on generated requests). `general` cost includes '' (no sentence).
 */
export const DESCRIPTION_TEMPLATES = Object.freeze({
  application: APPLICATION,
  latency: LATENCY,
  reliability: RELIABILITY,
  cost: COST,
});

function fill(template: string, rng: Rng): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const options = FILLERS[key];
    return options === undefined ? whole : rng.pick(options);
  });
}

/** A description of a request with the given classes, drawn from `rng`. */
export function describeRequest(
  rng: Rng,
  serviceType: ServiceType,
  latency: LatencyClass,
  reliability: ReliabilityClass,
  cost: CostClass,
): string {
  const qualifiers = rng.shuffle([
    rng.pick(LATENCY[latency]),
    rng.pick(RELIABILITY[reliability]),
    rng.pick(COST[cost]),
  ]);
  return [
    fill(rng.pick(APPLICATION[serviceType]), rng),
    ...qualifiers.filter((s) => s.length > 0),
  ].join(' ');
}
