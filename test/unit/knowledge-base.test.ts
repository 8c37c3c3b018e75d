import { describe, expect, it } from 'vitest';
import {
  PREFERENCE_DIMENSIONS,
  SERVICE_TYPES,
  SIMPLEX_TOLERANCE,
  type PreferenceVector,
} from '../../shared/contracts/common.js';
import {
  countBy,
  dominantOf,
  evalRuleViolations,
  jaccard,
  loadEvaluation,
  loadKnowledge,
  missingEvalLabels,
  normalise,
  ruleViolations,
  wordSet,
  type EvalEntry,
  type KnowledgeEntry,
} from '../../scripts/check-knowledge.js';
import { DESCRIPTION_TEMPLATES } from '../../shared/model/descriptions.js';
import { generateInstance } from '../../shared/model/generator.js';

// Both files are parsed with the zod schemas in scripts/check-knowledge.ts (built on the shared
// contract enums and PreferenceVector); loading throws, naming the line, if any line is invalid.
const knowledge = loadKnowledge();
const evaluation = loadEvaluation();

function entry(
  preference: PreferenceVector,
  classes: Partial<KnowledgeEntry> = {},
): KnowledgeEntry {
  return {
    id: 'kb-9999',
    text: 'synthetic entry for a rule check',
    serviceType: 'URLLC',
    latency: 'high',
    reliability: 'high',
    cost: 'general',
    preference,
    ...classes,
  };
}

describe('labelling rules', () => {
  it('accept a consistent entry and name each rule a broken one violates', () => {
    expect(
      ruleViolations(entry({ latency: 0.5, reliability: 0.3, economics: 0.1, throughput: 0.1 })),
    ).toEqual([]);
    expect(
      ruleViolations(entry({ latency: 0.1, reliability: 0.3, economics: 0.1, throughput: 0.5 })),
    ).toEqual([
      'latency high: latency in top two and ≥ 0.25',
      'URLLC: latency or reliability dominant',
      'throughput dominant: eMBB only',
    ]);
    expect(
      ruleViolations(
        entry(
          { latency: 0.1, reliability: 0.1, economics: 0.1, throughput: 0.7 },
          {
            serviceType: 'eMBB',
            latency: 'best-effort',
            reliability: 'best-effort',
            cost: 'cost-sensitive',
          },
        ),
      ),
    ).toEqual(['cost-sensitive: economics ≥ 0.25']);
    expect(
      ruleViolations(entry({ latency: 0.4, reliability: 0.4, economics: 0.1, throughput: 0.1 })),
    ).toEqual(['a single dominant dimension', 'URLLC: latency or reliability dominant']);
  });
});

function evalLine(labels: Omit<EvalEntry, 'text'>): EvalEntry {
  return { text: 'synthetic request for a rule check', ...labels };
}

describe('labelling rules without a vector (evaluation lines)', () => {
  it('accept consistent class labels, and lines with only some of them', () => {
    expect(
      evalRuleViolations(
        evalLine({
          serviceType: 'URLLC',
          dominant: 'reliability',
          latency: 'medium',
          reliability: 'high',
          cost: 'general',
        }),
      ),
    ).toEqual([]);
    expect(evalRuleViolations(evalLine({ serviceType: 'mMTC', dominant: 'economics' }))).toEqual(
      [],
    );
    expect(
      evalRuleViolations(evalLine({ serviceType: 'URLLC', dominant: 'latency', latency: 'high' })),
    ).toEqual([]);
  });

  it('name the service-type rules a line breaks', () => {
    expect(
      evalRuleViolations(
        evalLine({
          serviceType: 'URLLC',
          dominant: 'reliability',
          latency: 'best-effort',
          reliability: 'medium',
          cost: 'general',
        }),
      ),
    ).toEqual(['URLLC: latency not best-effort', 'URLLC: latency or reliability high']);
    expect(
      evalRuleViolations(evalLine({ serviceType: 'mMTC', dominant: 'economics', latency: 'high' })),
    ).toEqual(['mMTC: latency not high']);
  });

  it('name a class the dominant dimension rules out (a dominant weight exceeds 0.25)', () => {
    expect(
      evalRuleViolations(
        evalLine({ serviceType: 'eMBB', dominant: 'latency', latency: 'best-effort' }),
      ),
    ).toEqual(['latency dominant: latency class not best-effort']);
    expect(
      evalRuleViolations(
        evalLine({ serviceType: 'mMTC', dominant: 'reliability', reliability: 'best-effort' }),
      ),
    ).toEqual(['reliability dominant: reliability class not best-effort']);
    expect(
      evalRuleViolations(evalLine({ serviceType: 'mMTC', dominant: 'economics', cost: 'general' })),
    ).toEqual(['economics dominant: cost-sensitive']);
  });

  it('list the class labels a line lacks', () => {
    expect(missingEvalLabels(evalLine({ serviceType: 'eMBB', dominant: 'throughput' }))).toEqual([
      'latency',
      'reliability',
      'cost',
    ]);
    expect(
      missingEvalLabels(
        evalLine({ serviceType: 'eMBB', dominant: 'throughput', reliability: 'medium' }),
      ),
    ).toEqual(['latency', 'cost']);
  });
});

describe('knowledge base (scenarios/knowledge/intents.jsonl)', () => {
  it('holds at least 330 entries with unique ids and unique texts', () => {
    expect(knowledge.length).toBeGreaterThanOrEqual(330);
    expect(new Set(knowledge.map((e) => e.id)).size).toBe(knowledge.length);
    expect(new Set(knowledge.map((e) => normalise(e.text))).size).toBe(knowledge.length);
  });

  it('has preference weights summing to 1', () => {
    for (const { id, preference: p } of knowledge) {
      const sum = p.latency + p.reliability + p.economics + p.throughput;
      expect(Math.abs(sum - 1), id).toBeLessThanOrEqual(SIMPLEX_TOLERANCE);
    }
  });

  it('keeps classes and preference vectors consistent with the labelling rules', () => {
    const broken = knowledge
      .map((e) => ({ id: e.id, rules: ruleViolations(e) }))
      .filter((result) => result.rules.length > 0);
    expect(broken).toEqual([]);
  });

  it('is roughly balanced across service types', () => {
    const counts = countBy(knowledge, (e) => e.serviceType);
    for (const type of SERVICE_TYPES) {
      expect(counts[type] ?? 0, type).toBeGreaterThanOrEqual(Math.floor(knowledge.length * 0.3));
    }
  });

  it('uses every dominant dimension and every class value', () => {
    const dominants = countBy(knowledge, (e) => dominantOf(e.preference));
    for (const dim of PREFERENCE_DIMENSIONS) {
      expect(dominants[dim] ?? 0, dim).toBeGreaterThanOrEqual(30);
    }
    expect(new Set(knowledge.map((e) => e.latency)).size).toBe(3);
    expect(new Set(knowledge.map((e) => e.reliability)).size).toBe(3);
    expect(new Set(knowledge.map((e) => e.cost)).size).toBe(2);
  });

  it('contains no near-copies (word-set Jaccard similarity below 0.6)', () => {
    const sets = knowledge.map((e) => ({ id: e.id, words: wordSet(e.text) }));
    const pairs: string[] = [];
    sets.forEach((a, i) => {
      for (const b of sets.slice(i + 1)) {
        if (jaccard(a.words, b.words) >= 0.6) pairs.push(`${a.id}~${b.id}`);
      }
    });
    expect(pairs).toEqual([]);
  });
});

describe('evaluation set (scenarios/knowledge/intents-eval.jsonl)', () => {
  it('holds at least 120 entries with unique texts', () => {
    expect(evaluation.length).toBeGreaterThanOrEqual(120);
    expect(new Set(evaluation.map((e) => normalise(e.text))).size).toBe(evaluation.length);
  });

  it('shares no text with the knowledge base, not even as a substring', () => {
    const kbTexts = knowledge.map((e) => normalise(e.text));
    const leaked = evaluation
      .map((e) => normalise(e.text))
      .filter((text) => kbTexts.some((kb) => kb.includes(text) || text.includes(kb)));
    expect(leaked).toEqual([]);
  });

  it('is not a near-paraphrase of any knowledge-base text (word-set Jaccard below 0.4)', () => {
    const kbSets = knowledge.map((e) => ({ id: e.id, words: wordSet(e.text) }));
    const close = evaluation.flatMap((e) => {
      const words = wordSet(e.text);
      return kbSets
        .filter((kb) => jaccard(words, kb.words) >= 0.4)
        .map((kb) => `${kb.id}: ${e.text}`);
    });
    expect(close).toEqual([]);
  });

  it('represents every dominant dimension ≥ 15 times and every service type ≥ 30 times', () => {
    const dominants = countBy(evaluation, (e) => e.dominant);
    for (const dim of PREFERENCE_DIMENSIONS) {
      expect(dominants[dim] ?? 0, dim).toBeGreaterThanOrEqual(15);
    }
    const types = countBy(evaluation, (e) => e.serviceType);
    for (const type of SERVICE_TYPES) expect(types[type] ?? 0, type).toBeGreaterThanOrEqual(30);
  });

  it('labels URLLC requests only with latency or reliability as the dominant dimension', () => {
    const odd = evaluation.filter(
      (e) => e.serviceType === 'URLLC' && e.dominant !== 'latency' && e.dominant !== 'reliability',
    );
    expect(odd).toEqual([]);
  });

  it('labels every line with latency, reliability and cost classes', () => {
    const unlabelled = evaluation
      .map((e, i) => ({ line: i + 1, missing: missingEvalLabels(e) }))
      .filter((result) => result.missing.length > 0);
    expect(unlabelled).toEqual([]);
  });

  it('keeps class labels consistent with the service type and the dominant dimension', () => {
    const broken = evaluation
      .map((e, i) => ({ line: i + 1, rules: evalRuleViolations(e) }))
      .filter((result) => result.rules.length > 0);
    expect(broken).toEqual([]);
  });

  it('uses every class value', () => {
    expect(new Set(evaluation.map((e) => e.latency)).size).toBe(3);
    expect(new Set(evaluation.map((e) => e.reliability)).size).toBe(3);
    expect(new Set(evaluation.map((e) => e.cost)).size).toBe(2);
  });

  it('includes crossovers: non-URLLC requests dominated by latency or reliability', () => {
    const crossovers = evaluation.filter(
      (e) =>
        e.serviceType !== 'URLLC' && (e.dominant === 'latency' || e.dominant === 'reliability'),
    );
    expect(crossovers.length).toBeGreaterThanOrEqual(10);
  });
});

// Every sentence template of the case-study description generator (the '' of general cost is no sentence).
const generatorTemplates = Object.values(DESCRIPTION_TEMPLATES)
  .flatMap((byClass) => Object.values<readonly string[]>(byClass).flat())
  .filter((template) => template.trim() !== '');

const NOT_WORD = '[^\\p{L}\\p{N}]+';

/**
 * A template as a case-insensitive pattern found anywhere in a text: each `{placeholder}` a
 * wildcard within one sentence (so it matches the template filled with anything, or unfilled),
 * any run of punctuation and spaces matching any other, the final full stop optional.
 */
function templatePattern(template: string): RegExp {
  const literal = (piece: string) =>
    piece.replace(/[^\p{L}\p{N}]+|[\p{L}\p{N}]+/gu, (token) =>
      /^[\p{L}\p{N}]/u.test(token) ? token : NOT_WORD,
    );
  const body = template
    .trim()
    .replace(/[.!?]$/, '')
    .split(/\{\w+\}/)
    .map(literal)
    .join('[^.!?]+?');
  return new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, 'iu');
}

const generatorPatterns = generatorTemplates.map((template) => ({
  template,
  pattern: templatePattern(template),
}));

function generatorSentencesIn(texts: readonly { where: string; text: string }[]): string[] {
  return texts.flatMap(({ where, text }) =>
    generatorPatterns
      .filter(({ pattern }) => pattern.test(text))
      .map(({ template }) => `${where} contains "${template}": ${text}`),
  );
}

describe('generator sentences (shared/model/descriptions.ts) stay out of the labelled data', () => {
  it('are recognised filled, unfilled and re-punctuated, and nothing else is', () => {
    expect(generatorTemplates.length).toBeGreaterThanOrEqual(40);
    const generated = generateInstance(1_000_000, 20).requests.map((r, i) => ({
      where: `request ${i + 1}`,
      text: r.description,
    }));
    // every description opens with a filled application sentence, so each is found
    const found = new Set(generatorSentencesIn(generated).map((hit) => hit.split(' contains')[0]));
    expect(found.size).toBe(generated.length);
    const one = (text: string) => generatorSentencesIn([{ where: 'probe', text }]).length;
    expect(one('Our {area} needs a network slice to synchronise {count} servo drives.')).toBe(1);
    expect(
      one('Budget aside: our hall 2 NEEDS a network slice to synchronise 8 servo-drives'),
    ).toBe(1);
    expect(one('Occasional losses, they say, are acceptable.')).toBe(0);
    expect(one('Real-time responses are essential.')).toBe(0);
  });

  it('are not in any knowledge-base text', () => {
    expect(generatorSentencesIn(knowledge.map((e) => ({ where: e.id, text: e.text })))).toEqual([]);
  });

  it('are not in any evaluation text', () => {
    expect(
      generatorSentencesIn(evaluation.map((e, i) => ({ where: `line ${i + 1}`, text: e.text }))),
    ).toEqual([]);
  });
});
