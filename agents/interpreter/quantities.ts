/**
 * Durations stated in a request, as an engineer writes them: "4 ms",
 * "500 microseconds", "a tenth of a second", "half a millisecond",
 * "two hundred milliseconds", "a few milliseconds", "sub-20 ms", "1.5 s".
 *
 * Each duration comes with how it is stated, because that decides what it
 * means for the latency class: a figure in milliseconds is a latency figure
 * whatever surrounds it ("2 ms cycle", "within 10 ms"), while seconds and
 * minutes are often reporting intervals ("every 5 minutes") and count only
 * with a word that makes them a delay bound or tolerance ("within 2 seconds",
 * "a delay of a second is fine").
 */

/** How a duration is stated. */
export type DurationRole =
  /** An upper limit: "within", "under", "at most", "no more than", "sub-". */
  | 'bound'
  /** An accepted figure: "60 ms is fine", "can take 80 ms", "tolerates 2 s". */
  | 'tolerance'
  /** A cycle or repetition: "every 10 ms", "a 2 ms cycle", "loop period". */
  | 'period'
  /** A bare figure. */
  | 'plain';

export interface StatedDuration {
  readonly ms: number;
  readonly role: DurationRole;
  /** The words as written, for the rationale. */
  readonly text: string;
  /** The figure's unit was milliseconds or finer. */
  readonly fine: boolean;
}

const UNITS: readonly { pattern: string; ms: number }[] = [
  { pattern: 'µs|μs|us|usec|microseconds?', ms: 0.001 },
  { pattern: 'ms|msec|msecs|millisecs?|milliseconds?', ms: 1 },
  { pattern: 's|sec|secs|seconds?', ms: 1_000 },
  { pattern: 'min|mins|minutes?', ms: 60_000 },
  { pattern: 'h|hrs?|hours?', ms: 3_600_000 },
];

const SMALL: Readonly<Record<string, number>> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};

/** Vague amounts, read as the figure an engineer would plan with. */
const VAGUE: Readonly<Record<string, number>> = {
  'a few': 3,
  'a couple of': 2,
  'a couple': 2,
  few: 3,
  several: 5,
  'single-digit': 9,
  'single digit': 9,
  'tens of': 30,
  'hundreds of': 300,
};

const FRACTIONS: Readonly<Record<string, number>> = {
  half: 1 / 2,
  halves: 1 / 2,
  third: 1 / 3,
  thirds: 1 / 3,
  quarter: 1 / 4,
  quarters: 1 / 4,
  fifth: 1 / 5,
  fifths: 1 / 5,
  tenth: 1 / 10,
  tenths: 1 / 10,
  twentieth: 1 / 20,
  hundredth: 1 / 100,
  hundredths: 1 / 100,
  thousandth: 1 / 1000,
  thousandths: 1 / 1000,
};

const WORD = Object.keys(SMALL).join('|');
const FRACTION = Object.keys(FRACTIONS).join('|');
const VAGUE_WORDS = Object.keys(VAGUE)
  .sort((a, b) => b.length - a.length)
  .join('|');
const UNIT = UNITS.map((u) => u.pattern).join('|');

/**
 * A number written in digits — thousands separated by commas or spaces ("12,000",
 * "12 000"), decimals after a point — that is neither the tail nor the head of another
 * token ("1e308", "v2.5", "x10", "1.2.3"). Every figure the interpreter reads uses it:
 * durations here, rates, volumes, device counts and availability in cues.ts.
 */
export const DIGIT_NUMBER = String.raw`(?<![\w.])(?:\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w.]\d)`;

/** The value of a DIGIT_NUMBER match. */
export function digitValue(digits: string): number {
  return Number(digits.replace(/[ ,]/g, ''));
}

const DIGITS = DIGIT_NUMBER;
// "twenty five", "two hundred", "a hundred and fifty", "one and a half"
const WORDS = String.raw`(?:${WORD})(?:[\s-]+(?:${WORD}))?(?:\s+hundred(?:\s+and\s+(?:${WORD})(?:[\s-]+(?:${WORD}))?)?)?(?:\s+and\s+a\s+half)?`;
const AMOUNT = String.raw`(?:(?<fracN>${WORD}|\d+)\s+(?<frac>${FRACTION})\s+of\s+an?|half\s+an?|(?<vague>${VAGUE_WORDS})|(?<digits>${DIGITS})|(?<words>${WORDS}))`;
const DURATION = new RegExp(
  String.raw`(?<lead>\bsub-?)?(?:\b|(?<=[<≤~]))${AMOUNT}(?:\s*-\s*|\s*)(?<unit>${UNIT})\b`,
  'gu',
);

function wordsValue(text: string): number | undefined {
  let total = 0;
  let current = 0;
  for (const token of text.split(/[\s-]+/)) {
    if (token === 'and') continue;
    if (token === 'hundred') {
      current = (current || 1) * 100;
      continue;
    }
    if (token === 'half') {
      current += 0.5;
      continue;
    }
    const v = SMALL[token];
    if (v === undefined) return undefined;
    // "a half" after "and": the article carries no value of its own.
    if ((token === 'a' || token === 'an') && current > 0) continue;
    current += v;
  }
  total += current;
  return total > 0 ? total : undefined;
}

function amountOf(groups: Record<string, string | undefined>): number | undefined {
  if (groups.frac !== undefined) {
    const n = groups.fracN ?? 'a';
    const count = /^\d+$/.test(n) ? Number(n) : (SMALL[n] ?? 1);
    return count * (FRACTIONS[groups.frac] ?? 0);
  }
  if (groups.vague !== undefined) return VAGUE[groups.vague];
  if (groups.digits !== undefined) return digitValue(groups.digits);
  if (groups.words !== undefined) return wordsValue(groups.words);
  // "half a second"
  return 0.5;
}

function unitMs(unit: string): number {
  for (const u of UNITS) if (new RegExp(`^(?:${u.pattern})$`).test(unit)) return u.ms;
  return 1;
}

const BOUND_BEFORE =
  /\b(within|under|below|beneath|less than|lower than|shorter than|faster than|no more than|not more than|no longer than|no later than|at most|at the most|up to|max(imum)?( of)?|not exceed(ing)?|inside|budget( of)?|limit( of)?|deadline( of)?|before|in)\s*(about|around|roughly|approximately|some|well|just|the)?\s*$|[<≤]\s*$/;
const BOUND_AFTER =
  /^\s*(max(imum)?|at most|or (less|better|faster|sooner)|tops|end[- ]to[- ]end)\b/;
const TOLERANCE_BEFORE =
  /\b(can take|may take|tolerat\w*|accept(s|able)?|allow(s|ed)?|fine with|okay with|ok with|happy with|live with|even|as much as|as long as)\s*(about|around|roughly|up to)?\s*$/;
const TOLERANCE_AFTER =
  /^\s*((of )?(delay|latency|lag|response( time)?|wait(ing)?|round[- ]trip|reaction)\s*)?((is|are|seems?|remains?|(would|will|should|could|can|may)( still)? be) (still )?(perfectly |entirely |quite |absolutely )?(fine|ok|okay|acceptable|tolerable|enough|sufficient|no problem|good enough|plenty|perfectly fine|alright|all right)|will do|does it|(is|are) (not|no) (a )?problem|(late|delay|old) (is|are) (fine|ok|acceptable))/;
const PERIOD_BEFORE =
  /\b(every|each|once (a|an|per|every)|per|period( of| is)?|cycle( of| is)?|interval( of| is)?|at)\s*(about|around|roughly)?\s*$/;
const PERIOD_AFTER =
  /^\s*(-?(cycle|loop|period|interval|tick|update|updates|rate|refresh|frames?|scan)\b|(cycle|loop|period|interval)s?\b)/;

// A token that starts like a number but is not one ("1e308", "2.5.1", "10x5") before a unit.
const UNREAD_FIGURE = new RegExp(
  String.raw`(?<![\w.])(?<token>\d[\w.]*\d|\d)(?:\s*-\s*|\s*)(?<unit>${UNIT})\b`,
  'gu',
);
const WHOLE_NUMBER = new RegExp(String.raw`^(?:${DIGIT_NUMBER})$`, 'u');

/**
 * Durations `statedDurations` refuses to read because their figure is not a plain number
 * ("latency 1e308 ms"), as written: the rationale names them instead of reading part of them.
 */
export function unreadDurations(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(UNREAD_FIGURE)) {
    const token = m.groups?.token ?? '';
    if (!WHOLE_NUMBER.test(token)) found.push(m[0].trim());
  }
  return found;
}

/** Every duration stated in `text` (lower-cased), in order. */
export function statedDurations(text: string): StatedDuration[] {
  const found: StatedDuration[] = [];
  for (const m of text.matchAll(DURATION)) {
    const groups = m.groups ?? {};
    const amount = amountOf(groups);
    const unit = groups.unit ?? 'ms';
    if (amount === undefined || !Number.isFinite(amount) || amount <= 0) continue;
    const factor = unitMs(unit);
    // "s" alone is only a unit after digits ("2 s"), never after a word ("a few s").
    if (factor === 1_000 && unit === 's' && groups.digits === undefined) continue;
    if (factor === 3_600_000 && unit === 'h' && groups.digits === undefined) continue;
    const ms = amount * factor;
    const index = m.index ?? 0;
    const before = text.slice(Math.max(0, index - 40), index);
    const after = text.slice(index + m[0].length, index + m[0].length + 60);
    let role: DurationRole = 'plain';
    if (groups.lead !== undefined || BOUND_BEFORE.test(before) || BOUND_AFTER.test(after))
      role = 'bound';
    if (TOLERANCE_BEFORE.test(before) || TOLERANCE_AFTER.test(after)) role = 'tolerance';
    if (role === 'plain' && (PERIOD_BEFORE.test(before) || PERIOD_AFTER.test(after)))
      role = 'period';
    found.push({ ms, role, text: m[0].trim(), fine: factor <= 1 });
  }
  return found;
}
