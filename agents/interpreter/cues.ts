/**
 * Domain cues: what an IIoT engineer reads directly off a request — stated
 * figures ("under 4 ms", "700 Mbps", "12,000 sensors") and telling phrases
 * ("cannot go down", "cheapest option", "no rush"). The offline reasoner uses
 * them to correct the neighbours' vote where the text is explicit; they are
 * also shown to an LLM reasoner as extracted facts.
 *
 * Every cue is a plain regular expression with a weight, so the behaviour is
 * inspectable and deterministic. Negative weights express relaxations
 * ("latency is secondary").
 */
import { readClassStatements, type ClassStatements } from './class-statements.js';
import { DIGIT_NUMBER, digitValue } from './quantities.js';
import {
  PREFERENCE_DIMENSIONS,
  SERVICE_TYPES,
  type PreferenceDimension,
  type ServiceType,
} from '../../shared/contracts/common.js';

export interface StatedFigures {
  /** Tightest latency bound stated, in ms (µs converted). */
  readonly latencyMs?: number;
  /** Largest data rate stated, in Mbit/s. */
  readonly rateMbps?: number;
  /** Largest data volume stated, in GB. */
  readonly volumeGb?: number;
  /** Largest number of devices stated. */
  readonly devices?: number;
  /** Availability or delivery ratio stated, in percent ("99.999 %"). */
  readonly availabilityPercent?: number;
}

export interface Cues {
  /** Evidence per preference dimension (positive: emphasised, negative: relaxed). */
  readonly dimensions: Record<PreferenceDimension, number>;
  /** Evidence per service type. */
  readonly serviceTypes: Record<ServiceType, number>;
  readonly figures: StatedFigures;
  /** What the text states about each SLA class (figures, tolerance, sharing, price). */
  readonly classes: ClassStatements;
  /** Labels of the cues that fired, for the rationale (deduplicated, in order). */
  readonly matched: readonly string[];
}

interface PhraseCue {
  readonly label: string;
  readonly pattern: RegExp;
  readonly dimension?: PreferenceDimension;
  readonly serviceType?: ServiceType;
  readonly weight: number;
}

// Order matters only for the rationale; each cue counts once per request.
const PHRASES: readonly PhraseCue[] = [
  // ---- latency relaxed: checked first so "no latency needs" is not read as a latency demand.
  {
    label: 'latency relaxed',
    dimension: 'latency',
    weight: -2,
    pattern:
      /\b(no|not|nothing|without)\b[\w\s-]{0,15}\b(time[- ]critical|urgent(ly)?|latency (needs|requirements?|constraints?)|real[- ]time)/,
  },
  {
    label: 'latency relaxed',
    dimension: 'latency',
    weight: -2,
    pattern:
      /\b(no rush|fine to be slow|can be slow|delay[- ]tolerant|speed is secondary|latency is secondary|latency (is|does)n?'?t? ?(not )?(matter|critical|important)|(a|an) \d+(\.\d+)? ?(ms|s|seconds?|minutes?) (delay |response |latency )?is (fine|ok|okay|acceptable))/,
  },
  {
    label: 'latency relaxed',
    dimension: 'latency',
    weight: -2,
    pattern:
      /\b\d+(\.\d+)? ?(ms|s|seconds?|minutes?)( \w+){0,2} (is|are) (fine|ok|okay|acceptable|enough|sufficient|tolerable)|\bnot (a )?slow (one|link)\b|\bnobody is waiting\b|\b(more|rather) than (speed|latency|delay)\b/,
  },
  {
    label: 'batch transfer',
    dimension: 'latency',
    weight: -1,
    pattern:
      /\b(nightly|overnight|once (a|per) (day|night|week)|daily|at night|off-peak|in the morning|batch(es)?|backups?)\b/,
  },
  // ---- latency emphasised.
  {
    label: 'sub-millisecond',
    dimension: 'latency',
    weight: 2.5,
    pattern: /\b(sub-?millisecond|sub-ms|microseconds?|µs|us cycle|khz)\b/,
  },
  {
    label: 'real-time control',
    dimension: 'latency',
    weight: 1,
    pattern:
      /\b(real[- ]time|low[- ](latency|delay)|round[- ]trip|jitter|cycle time|control (loop|cycle)|closed[- ]loop|synchroni[sz]\w*|skew|time[- ]critical|deterministic)\b/,
  },
  {
    label: 'quick response',
    dimension: 'latency',
    weight: 1,
    pattern:
      /\b(lag(s|ging)?|delays?|latency|quick(ly)?|fast|instant(ly|aneous)?|responsive|immediate(ly)?|within (a )?(few )?seconds?|(a )?few seconds old|every second|sub-second|freshness|stale|crisp|reaction time|haptic|force feedback|immersion)\b/,
  },
  // ---- comparatives name the dimension that wins a trade-off.
  {
    label: 'latency comes first',
    dimension: 'latency',
    weight: 2,
    pattern:
      /\b(latency|speed|delay|timing|response time|reaction time)( \w+)? (matters|counts|is) (more|most|the (critical|key|main|deciding) (figure|factor|point))/,
  },
  {
    label: 'reliability comes first',
    dimension: 'reliability',
    weight: 2,
    pattern:
      /\b(continuity|reliability|uptime|availability|delivery|integrity)( \w+)? (matters|counts|is) (more|most)|\bwhat worries us is (a |the )?(dropped|lost|missing)/,
  },
  {
    label: 'throughput comes first',
    dimension: 'throughput',
    weight: 2,
    pattern:
      /\b(bandwidth|throughput|data rate|picture quality|resolution|capacity)( \w+)? (matters|counts|is) (more|most)/,
  },
  // ---- reliability emphasised.
  {
    label: "can't afford loss",
    dimension: 'reliability',
    weight: 2,
    pattern:
      /\bcan(no|'|’)?t afford (to )?(lose|los(s|ing)|any|silent|gaps?|downtime|outages?|missing|drop)/,
  },
  {
    label: 'no loss tolerated',
    dimension: 'reliability',
    weight: 2,
    pattern:
      /\b(cannot|can(')?t|must not|may not|mustn't|never) (go down|fail|be lost|drop|stall|be interrupted|miss)|\bnot a single\b|\b(zero|no) (dropouts?|gaps?|loss|packet loss|interruptions?|downtime|outages?)\b|\bunbreakable\b|\bmust (always )?get through\b|\bat all times\b/,
  },
  {
    label: 'lost messages matter',
    dimension: 'reliability',
    weight: 1.5,
    pattern:
      /\b(any|a|each|every) (single )?(lost|dropped|missing|missed) (command|message|packet|frame|image|alarm|reading|signal|sample)s?\b|\b(unbroken|complete (footage|recording)|stay up|keep(s)? working|continuous (coverage|recording|for)|not allowed to [\w\s]{0,30}blind|segregat\w*|(must not|no|not) shar(e|ing))\b/,
  },
  {
    label: 'availability',
    dimension: 'reliability',
    weight: 1.5,
    pattern:
      /\b(reliab\w*|dependab\w*|availability|uptime|five nines|99\.9+|continuity|uninterrupted|interruptions?|dropouts?|outages?|redundan\w*|failover|isolat\w*|dedicated|safety|sil ?[1-4]|mission[- ]critical|licen[cs]e condition|regulat\w*|audit[- ]grade|evidence[- ]grade|certified|guarantee\w*|solid|robust|resilien\w*|alarms?|trip signals?|protection|emergency|shutdown)\b/,
  },
  // ---- economics.
  {
    label: 'cost-sensitive',
    dimension: 'economics',
    weight: 2,
    pattern:
      /\b(cheap(er|est)?|low[- ]cost|lowest (monthly )?(possible )?(cost|price)|(?<!(latency|time|timing|delay|round[- ]trip|command|error|power|link|loss|jitter|response) )budget(?! (is|of) (about |roughly |around )?\d)|pennies|inexpensive|(?<!can(?:no|'|’)?t )afford(able)?|econom(y|ical|ics)|spending|tariff|cost[- ](driven|optimi[sz]ed|sensitive|effective|efficient)|small grant|premium rates?|minimi[sz]e (the )?(cost|spend\w*)|keep (the )?(cost|spend\w*|price)s? (low|down))\b/,
  },
  {
    label: 'cost-sensitive',
    dimension: 'economics',
    weight: 2,
    pattern:
      /\b(cheaply|least expensive|as little (money|cost) as possible|cost (is a (big|major|key) concern|matters)|(money|cost|price) (matters|counts) more)\b/,
  },
  {
    label: 'cost',
    dimension: 'economics',
    weight: 1,
    pattern: /\b(costs?|price[ds]?|opex|capex|per (device|sensor|month)|money|fee)\b/,
  },
  // ---- throughput.
  {
    label: 'high-definition video',
    dimension: 'throughput',
    weight: 1.5,
    pattern:
      /\b([48]k|uhd|hd|high[- ]definition|video|streams?|streaming|livestream\w*|cameras?|cctv|footage|point clouds?|lidar scans?|bandwidth|throughput|high[- ]rate|bulk|large (files|volume|data)|uploads?|downloads?|images?)\b/,
  },
  // ---- service types.
  {
    label: 'low-power devices',
    serviceType: 'mMTC',
    weight: 1,
    pattern:
      /\b(battery[- ]powered|low[- ]power|battery life|years on (a|one) (battery|charge)|tiny packets|low data rate|low[- ]rate|nb-iot|lte-m|lorawan|lpwan|smart meters?|metering|tags|loggers?|trackers?)\b/,
  },
  {
    label: 'sensors',
    serviceType: 'mMTC',
    weight: 0.5,
    pattern:
      /\b(sensors|detectors|gauges|probes|transmitters|every (hour|day|\d+ minutes)|every few minutes)\b/,
  },
  {
    label: 'monitoring fleet',
    serviceType: 'mMTC',
    weight: 1,
    pattern:
      /\b((condition|environmental|energy|asset|remote|structural|level|leak) monitoring|telemetry|metering|asset[- ]tracking|tracking tags|readings?)\b/,
  },
  {
    label: 'video / immersive',
    serviceType: 'eMBB',
    weight: 1,
    pattern:
      /\b([48]k|uhd|hd|video|live ?streams?|streaming|cameras|cctv|ar|vr|xr|augmented[- ]reality|virtual[- ]reality|mixed[- ]reality|digital twins?|livestream\w*|machine[- ]vision)\b/,
  },
  {
    label: 'motion / protection control',
    serviceType: 'URLLC',
    weight: 1,
    pattern:
      /\b(control (loop|cycle)|closed[- ]loop|servo|plcs?|motion control|interlock\w*|(differential|busbar|feeder|line|distance) protection|protection (relay|ied|signals?|scheme)|trip signals?|teleoperat\w*|remote[- ](driving|controlled|control of)|steer(ing|-by-wire)?|haptic|force feedback|emergency stop|e-stop|sil ?[1-4]|khz)\b/,
  },
];

// The interpreter's one digit grammar: a number glued to another token ("1e308 mbps") is no figure.
const NUMBER = `(${DIGIT_NUMBER})`;
const RATE_FIGURE = new RegExp(
  String.raw`${NUMBER}\s*(kbps|kbit/s|mbps|mbit/s|mb/s|gbps|gbit/s|gb/s)\b`,
  'g',
);
const VOLUME_FIGURE = new RegExp(String.raw`${NUMBER}\s*(mb|gb|tb|pb)\b`, 'g');
const DEVICE_FIGURE = new RegExp(
  String.raw`${NUMBER}\s+(?:[\w-]+\s+){0,3}?(sensors?|devices?|meters?|tags?|units|nodes|loggers?|detectors?|gauges?|trackers?|modules?|endpoints?|beacons?|valves?|monitors?|thermostats?|padlocks?|extinguishers?|cameras?|wearables?|patches)\b`,
  'g',
);
const AVAILABILITY_FIGURE = new RegExp(String.raw`${NUMBER}\s*%`, 'g');

/** Rates, volumes, device counts and availability; the latency figure comes from the class statements. */
function extractFigures(text: string): Omit<StatedFigures, 'latencyMs'> {
  const figures: { -readonly [K in keyof StatedFigures]: StatedFigures[K] } = {};
  for (const m of text.matchAll(RATE_FIGURE)) {
    const value = digitValue(m[1] ?? '');
    const unit = m[2] ?? 'mbps';
    const mbps = unit.startsWith('k') ? value / 1000 : unit.startsWith('g') ? value * 1000 : value;
    if (Number.isFinite(mbps)) figures.rateMbps = Math.max(figures.rateMbps ?? 0, mbps);
  }
  for (const m of text.matchAll(VOLUME_FIGURE)) {
    const value = digitValue(m[1] ?? '');
    const unit = m[2] ?? 'gb';
    const gb =
      unit === 'mb'
        ? value / 1000
        : unit === 'tb'
          ? value * 1000
          : unit === 'pb'
            ? value * 1e6
            : value;
    if (Number.isFinite(gb)) figures.volumeGb = Math.max(figures.volumeGb ?? 0, gb);
  }
  for (const m of text.matchAll(DEVICE_FIGURE)) {
    const value = digitValue(m[1] ?? '');
    if (Number.isFinite(value)) figures.devices = Math.max(figures.devices ?? 0, value);
  }
  for (const m of text.matchAll(AVAILABILITY_FIGURE)) {
    const value = digitValue(m[1] ?? '');
    // Only the nines speak of availability ("99.99 %"); "40 %" is a load or a share.
    if (Number.isFinite(value) && value >= 90 && value < 100)
      figures.availabilityPercent = Math.max(figures.availabilityPercent ?? 0, value);
  }
  return figures;
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** Extracts cues from normalised request text. Pure and fast (a few dozen regexes). */
export function extractCues(text: string): Cues {
  const lower = text.toLowerCase();
  const dimensions = zeros(PREFERENCE_DIMENSIONS);
  const serviceTypes = zeros(SERVICE_TYPES);
  const matched: string[] = [];
  const note = (label: string) => {
    if (!matched.includes(label)) matched.push(label);
  };

  for (const cue of PHRASES) {
    if (!cue.pattern.test(lower)) continue;
    if (cue.dimension) dimensions[cue.dimension] += cue.weight;
    if (cue.serviceType) serviceTypes[cue.serviceType] += cue.weight;
    note(cue.label);
  }

  // The class statements read the durations once; their tightest plausible figure is the latency cue.
  const classes = readClassStatements(lower);
  const figures: StatedFigures = {
    ...extractFigures(lower),
    ...(classes.latencyMs !== undefined ? { latencyMs: classes.latencyMs } : {}),
  };
  if (figures.latencyMs !== undefined) {
    // Tight stated bounds are the clearest latency signal a request can give.
    const weight =
      figures.latencyMs <= 2
        ? 3
        : figures.latencyMs <= 10
          ? 2.5
          : figures.latencyMs <= 30
            ? 2
            : figures.latencyMs <= 100
              ? 0.5
              : -1;
    dimensions.latency += weight;
    // How tight a deadline is says how important the slice is, not what its traffic is: no service-type evidence.
    note(`stated latency ${figures.latencyMs} ms`);
  }
  if (figures.rateMbps !== undefined) {
    dimensions.throughput += figures.rateMbps >= 50 ? 2 : figures.rateMbps >= 5 ? 1 : 0;
    if (figures.rateMbps >= 25) serviceTypes.eMBB += 1.5;
    if (figures.rateMbps < 1) serviceTypes.mMTC += 1;
    note(`stated rate ${figures.rateMbps} Mbit/s`);
  }
  if (figures.volumeGb !== undefined && figures.volumeGb >= 1) {
    dimensions.throughput += 1.5;
    serviceTypes.eMBB += 1;
    note(`stated volume ${figures.volumeGb} GB`);
  }
  if (figures.devices !== undefined && figures.devices >= 200) {
    serviceTypes.mMTC += figures.devices >= 1000 ? 2 : 1;
    note(`${figures.devices} devices`);
  }
  if (figures.availabilityPercent !== undefined && figures.availabilityPercent >= 99.9) {
    dimensions.reliability += 2;
    note(`stated availability ${figures.availabilityPercent} %`);
  }
  // A statement that relaxes a class also relaxes its dimension ("budget is not the main concern").
  if (classes.cost?.value === 'general' && dimensions.economics > 0) {
    dimensions.economics = -1;
    note('cost relaxed');
  }
  if (classes.reliability?.value === 'best-effort' && dimensions.reliability > 0) {
    dimensions.reliability = -1;
    note('reliability relaxed');
  }
  return { dimensions, serviceTypes, figures, classes, matched };
}
