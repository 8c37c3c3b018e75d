/**
 * What a request says about each SLA class, read the way the labelling rules
 * of docs/knowledge-base.md read it: a stated latency figure decides the
 * latency class (≤ 30 ms high, ≤ 100 ms medium, else best-effort); words
 * about sharing and tolerated loss decide the reliability class; words about
 * price decide the cost class. Tolerance and negation are read too: "brief
 * interruptions can be tolerated", "delay is not critical", "budget is not
 * the main concern", "it cannot share network functions".
 *
 * A statement outranks the neighbours' vote; where the text says nothing the
 * retrieval estimate decides (estimate.ts). Statements carry a strength so a
 * specific one ("brief interruptions can be tolerated") beats a general one
 * ("it should be reliable") when a request holds both.
 */
import type { CostClass, LatencyClass, ReliabilityClass } from '../../shared/contracts/common.js';
import { statedDurations, unreadDurations, type StatedDuration } from './quantities.js';

export interface ClassStatement<C extends string> {
  readonly value: C;
  /** 3: a figure or a specific statement; 2: an explicit but general one. */
  readonly strength: number;
  /** The words that decided it, for the rationale. */
  readonly evidence: string;
}

export interface ClassStatements {
  readonly latency?: ClassStatement<LatencyClass> | undefined;
  readonly reliability?: ClassStatement<ReliabilityClass> | undefined;
  readonly cost?: ClassStatement<CostClass> | undefined;
  /** The tightest plausible latency figure stated, in ms (what decided `latency`, when a figure did). */
  readonly latencyMs?: number | undefined;
  /** Figures that were ignored as implausible, for the rationale. */
  readonly ignored: readonly string[];
}

interface Rule<C extends string> {
  readonly value: C;
  readonly strength: number;
  readonly pattern: RegExp;
  /** Skip a match preceded by a negation ("not real-time", "no dedicated"). */
  readonly negatable?: boolean;
}

/** The case-study latency limits of the classes (paper §IV-B). */
export const LATENCY_LIMIT_MS: Readonly<Record<LatencyClass, number>> = {
  high: 30,
  medium: 100,
  'best-effort': 150,
};

/** The weakest latency class whose limit still meets a requirement of `ms`. */
export function latencyClassFor(ms: number): LatencyClass {
  if (ms <= LATENCY_LIMIT_MS.high) return 'high';
  if (ms <= LATENCY_LIMIT_MS.medium) return 'medium';
  return 'best-effort';
}

// Plausible latency figures: below a microsecond or above a day is a typo or a joke, not a requirement.
const MIN_PLAUSIBLE_MS = 0.001;
const MAX_PLAUSIBLE_MS = 86_400_000;

const NEGATION_BEFORE =
  /\b(not|no|nothing|none|never|without|nor|neither|hardly|n't|non)\b[\w\s-]{0,12}$|n't\s+[\w-]+\s*$/;

const LATENCY_RULES: readonly Rule<LatencyClass>[] = [
  {
    value: 'medium',
    strength: 2,
    pattern:
      /\b(near[- ]real[- ]time|quasi[- ]real[- ]time|soft real[- ]time|moderate (latency|delay)|(latency|delay|response time)s? (should|must|can|may|needs? to|has to) (stay|be|remain) (moderate|reasonable)|(reasonably|fairly|moderately) (fast|quick|responsive|low[- ]latency)|interactive (response|use|speed))\b/,
  },
  {
    value: 'best-effort',
    strength: 2,
    pattern:
      /\b((not|nothing|never) (very |particularly |really )?(time[- ]critical|latency[- ]critical|urgent|real[- ]time|in a hurry)|(nothing|none)( of (it|this|them))?( \w+){0,2} (is|are) (time[- ]critical|latency[- ]critical|urgent|real[- ]time)|no (rush|hurry|real[- ]time\w*|(latency|delay|timing) (requirements?|constraints?|needs?|demands?))|delay[- ]tolerant|(delay|latency|timing|speed|response time|lag)s? (is|are) (not (critical|important|an issue|a concern|a problem)|secondary|relaxed|irrelevant|unimportant|uncritical|of (no|little) (concern|importance))|(delay|latency|timing|speed|lag) (does not|doesn't|do not|don't) matter|best[- ]effort (delivery|latency|timing)|can (arrive|come in|wait|be (delayed|late|slow))|(arrive|delivered|come) (late|later|with (some|a) delay)|whenever (it|they) (arrive|get)|eventually|store[- ]and[- ]forward|fine to be slow|nobody is waiting|not a slow link)\b/,
  },
  {
    value: 'high',
    strength: 2,
    negatable: true,
    pattern:
      /(?<!near[- ]|quasi[- ]|soft )\b(real[- ]time|time[- ]critical|latency[- ]critical|hard (real[- ]time|deadlines?)|ultra[- ]low[- ](latency|delay)|(very|extremely|lowest|minimal) (low )?(latency|delay)|every (single )?(millisecond|microsecond) (counts|matters)|deterministic|isochronous|instant(ly|aneous(ly)?)?|without (any )?(noticeable )?(lag|delay)|sub-?millisecond|sub-?ms)\b/,
  },
];

const RELIABILITY_RULES: readonly Rule<ReliabilityClass>[] = [
  // Sharing with exactly one other slice is the medium class by definition.
  {
    value: 'medium',
    strength: 4,
    pattern:
      /\bshar(e|es|ed|ing)\b[\w\s,-]{0,40}\bwith (at most |no more than |only |just )?(one|a single|1) (other|more|additional|further)\b|\b(at most|no more than|only|just) (one|a single|1) (other )?(slice|service|tenant|co-?tenant|neighbou?r)s?\b[\w\s-]{0,30}\b(share|sharing|on the same)\b|\b(one|a single) (co-?tenant|neighbou?r(ing)? slice)\b/,
  },
  // Dedicated resources, no sharing: high.
  {
    value: 'high',
    strength: 4,
    pattern:
      /\b(can ?not|can't|cannot|must not|mustn't|may not|should not|shouldn't|must never|may never|never|won't|will not) (be )?(share|shared)\b|\b(no|without|not any) (sharing|shared (nodes?|resources|network functions|vnfs?|infrastructure))\b|\bnot (be )?shared with\b|\b(its|their|our) own (dedicated )?(nodes?|network functions|vnfs?|resources|infrastructure|hardware|instances?)\b|\bdedicated (nodes?|resources|network functions|vnfs?|slice|infrastructure|hardware|instances?|capacity)\b|\b(isolated|isolation|segregated|segregation)\b|\bnothing else (may|can|should|is allowed to|must) (share|run|sit)\b|\bexclusive(ly)?\b/,
  },
  {
    value: 'medium',
    strength: 3,
    pattern:
      /\b(brief|short|momentary|rare|infrequent|the odd short|short-lived) (interruptions?|outages?|glitches?|dropouts?|gaps?|disconnections?|hiccups?|breaks?)\b[\w\s,-]{0,20}\b(can|could|may|will|would) be (tolerated|accepted|acceptable|absorbed|handled)|\b(brief|short|momentary|rare|infrequent|short-lived) (interruptions?|outages?|glitches?|dropouts?|gaps?|disconnections?|hiccups?|breaks?) (is|are|seems?|(would|will|should|could|can|may)( still)? be)( still)? (perfectly |entirely |totally |quite |absolutely |really )?(acceptable|tolerable|fine|ok|okay|no problem|survivable)|\b(tolerate|accept|survive|live with|cope with|handle) (a |the odd |an occasional )?(brief|short|momentary|rare|short-lived) (interruptions?|outages?|glitches?|dropouts?|gaps?|disconnections?|hiccups?)\b/,
  },
  {
    value: 'best-effort',
    strength: 3,
    pattern:
      /\b(occasional|some|a few|the odd|sporadic|intermittent|minor|small) (packet )?(loss(es)?|drops?|dropouts?|gaps?|lost (readings?|samples?|messages?|packets?|frames?|reports?)|missed (readings?|samples?|reports?)|missing (readings?|samples?|data)|outages?|glitches?)\b[\w\s,-]{0,20}\b(is|are|seems?|(would|will|should|could|can|may)( still)? be)( still)? (perfectly |entirely |totally |quite |absolutely |really )?(acceptable|fine|ok|okay|tolerable|tolerated|no problem|harmless|not a problem)|\b(can|could|may) (afford to )?(lose|miss|drop) (a|an|the odd|one|some|occasional|a few)\b|\b(losing|missing|dropping) (a|an|the odd|one|some|occasional|a few) [\w-]+ (now and then |here and there )?(is|would be|does not|doesn't) (fine|ok|okay|acceptable|no problem|harmless|matter)|\bshar(e|es|ed|ing)\b[\w\s,-]{0,40}\b(is|are|seems?|(would|will|should|could|can|may)( still)? be)( still)? (perfectly |entirely |totally |quite |absolutely |really )?(fine|ok|okay|acceptable|no problem|allowed|tolerable)|\bshared (infrastructure|resources|nodes?|network functions|vnfs?|capacity) (is|are|seems?|(would|will|should|could|can|may)( still)? be)( still)? (perfectly |entirely |totally |quite |absolutely |really )?(fine|ok|okay|acceptable|tolerable)|\breliability (requirements?|needs?|demands?|expectations?)? ?(is|are) (modest|low|basic|relaxed|secondary|minimal|not (critical|important|a concern|an issue))|\bno (special|particular|strict|specific|high|great) (reliability|availability|redundancy|resilience)\b|\breliability (does not|doesn't) matter\b|\bnothing fancy on (redundancy|reliability)\b|\bnot (mission|safety|business)[- ]critical\b/,
  },
  {
    value: 'medium',
    strength: 2,
    pattern:
      /\b(reasonabl[ey]|moderate(ly)?|fairly|decent(ly)?|normal|standard|adequate(ly)?|good enough|sufficient(ly)?) (reliab\w*|availab\w*|uptime|robust\w*)\b|\breliable enough\b|\b(should|ought to) be (reliable|dependable|robust|stable)\b|(?<![\d.])99\.9(?!\d)\s*%/,
  },
  {
    value: 'high',
    strength: 2,
    negatable: true,
    pattern:
      /\b(must|shall|can ?not|can't|cannot|may not|mustn't|should never|must never|may never|never|will never) (ever )?(drop|fail|go down|be (lost|dropped|missed|interrupted|cut|disrupted|delayed indefinitely)|stop|break|miss|lose|disconnect|stall)\b|\b(failures?|outages?|downtime|interruptions?|loss(es)?|drop(out)?s?|gaps?) (is|are) (unacceptable|not acceptable|not an option|not tolerated|not allowed|intolerable|out of the question)|\b(safety|mission|life|business)[- ]critical\b|\bsil ?[1-4]\b|\bzero (loss|downtime|outages?|tolerance|gaps?|interruptions?|dropouts?)\b|\bfive nines\b|(?<![\d.])99\.99\d*\s*%|\b(every|each|all|any) (single )?(one|one of them|of them|command|message|packet|alarm|reading|frame|sample|signal|trip signal|event|notification)s? (must|has to|have to|needs? to|shall) (arrive|get through|be (delivered|received|seen)|make it|reach)\b|\b(delivery|arrival|transmission) (must|has to|needs? to) be (certain|guaranteed|assured|assured)\b|\bguaranteed delivery\b|\b(receive|get|see|deliver) (every|each|all) (single )?(one|one of them|of them|message|alarm|reading|report|event)s?\b|\b(drops?|fails?|goes down|is interrupted|cuts out|freezes)( \w+){0,2} (for )?even (a|one) (moment|second|instant|brief)|\b(a|any|one|each|every) (single )?(lost|dropped|missed|missing|late) (message|command|packet|alarm|frame|reading|signal|image|sample)s? (could|would|can|will|means?|costs?|trips?|kills?|stops?|ruins?|has to)\b|\bcan(no|'|’)?t afford (to )?(lose|loss|losing|any|downtime|outages?|gaps?|drop)|\b(highly|ultra|extremely|maximally|utterly) reliable\b|\b(high|maximum|utmost|the highest|top|extreme) (reliability|availability)\b|\b(rock[- ]solid|bulletproof|unbreakable|uninterrupted|always[- ]on)\b|\bnot (a single|one) (lost|dropped|missing)\b/,
  },
];

const COST_RULES: readonly Rule<CostClass>[] = [
  {
    value: 'general',
    strength: 3,
    pattern:
      /\b(budget|costs?|price|pricing|money|spend\w*|tariffs?|fees?|the bill)( \w+){0,2} (is|are|isn't|aren't) (not|no|of no|of little|a secondary|secondary|not really|never)( \w+){0,3}\b(concern|issue|object|problem|priority|constraint|factor|worry|question)?|\bmoney is no object\b|\b(standard|normal|regular|usual|list|default|ordinary|typical|market) (pricing|prices?|rates?|tariffs?|fees?)( \w+){0,2} (is|are|would be|will be) (fine|ok|okay|acceptable|expected)|\b(budget|costs?|price|money|spend\w*)( \w+){0,2} (does not|doesn't|do not|don't) matter|\b(whatever it costs|regardless of (the )?(cost|price)|(happy|willing|prepared|able) to pay|we (will|'ll) pay|premium (service|slice|tier|rates?) (is|are) (fine|ok|okay|expected|acceptable))\b|\bnot (cost|price|budget)[- ]sensitive\b|\bnot on a (tight |limited |strict )?budget\b|\bcost is secondary\b/,
  },
  {
    value: 'cost-sensitive',
    strength: 2,
    pattern:
      /\b(cheap(er|est|ly)?|low[- ]cost|inexpensive|(tight|limited|small|strict|modest|shoestring|restricted|fixed) budget|budget[- ](constrained|conscious|limited|slice|tier|friendly)|on a budget|budget (is|are) (tight|limited|small|strict|restricted|capped)|cost[- ](sensitive|driven|optimi[sz]ed|effective|efficient|conscious|aware|cutting)|(keep|keeping|hold|holding) (the )?(costs?|price|spend\w*|bill|fees?|opex|tariff)s? (as )?(low|down|minimal|small|to a minimum)|(lowest|minimal|minimum|smallest|least) (possible )?(monthly )?(cost|price|tariff|fee|spend|bill)s?|as little (money|cost) as possible|least expensive|(cost|price|money|spend)( \w+)? (is a (big|major|key|real) concern|matters|counts|is decisive|is the decisive factor)|(price|cost) per (sim|device|sensor|unit|tag)|per[- ]device (cost|price|fees?)|thin margins|watching the (bill|cost|budget)|(fees?|costs?|bill) (must|should|need to|has to) stay (low|small|down)|can(no|'|’)?t (pay|afford) premium|no premium|pennies|small grant|(zero|no|practically (zero|no)|almost no) budget|affordable|economical(ly)?)\b/,
  },
];

function readRules<C extends string>(
  text: string,
  rules: readonly Rule<C>[],
): ClassStatement<C> | undefined {
  let best: ClassStatement<C> | undefined;
  for (const rule of rules) {
    const flags = rule.pattern.flags.includes('g') ? rule.pattern.flags : `${rule.pattern.flags}g`;
    for (const m of text.matchAll(new RegExp(rule.pattern.source, flags))) {
      const before = text.slice(Math.max(0, (m.index ?? 0) - 24), m.index ?? 0);
      if (rule.negatable && NEGATION_BEFORE.test(before)) continue;
      // Rules are listed most specific first, so the first of the strongest wins.
      if (best === undefined || rule.strength > best.strength) {
        best = { value: rule.value, strength: rule.strength, evidence: m[0].trim() };
      }
      break;
    }
  }
  return best;
}

/** The tightest plausible latency figure among `durations`; implausible ones are added to `ignored`. */
function tightestLatency(
  durations: readonly StatedDuration[],
  ignored: string[],
): StatedDuration | undefined {
  let tightest: StatedDuration | undefined;
  for (const d of durations) {
    // Seconds and minutes are often reporting intervals; they speak of delay only as a bound or a tolerance.
    if (!d.fine && d.role !== 'bound' && d.role !== 'tolerance') continue;
    if (d.ms < MIN_PLAUSIBLE_MS || d.ms > MAX_PLAUSIBLE_MS) {
      ignored.push(d.text);
      continue;
    }
    if (tightest === undefined || d.ms < tightest.ms) tightest = d;
  }
  return tightest;
}

/** Reads the class statements of normalised request text (lower-cased inside). */
export function readClassStatements(text: string): ClassStatements {
  const lower = text.toLowerCase();
  // A figure that is not a plain number ("1e308 ms") is not read, but named as ignored.
  const ignored: string[] = unreadDurations(lower);
  const tightest = tightestLatency(statedDurations(lower), ignored);
  const figure: ClassStatement<LatencyClass> | undefined = tightest && {
    value: latencyClassFor(tightest.ms),
    strength: 3,
    evidence: tightest.text,
  };
  return {
    latencyMs: tightest?.ms,
    latency: figure ?? readRules(lower, LATENCY_RULES),
    reliability: readRules(lower, RELIABILITY_RULES),
    cost: readRules(lower, COST_RULES),
    ignored,
  };
}
