/**
 * Explanations: "why T2?" (dimension values, bands, weights, thresholds, rule set and version) and
 * "why grow?" (the strategy rules evaluated in priority order with their fact values, and the one
 * that decided), and the fallback when no rule matches.
 */
import { describe, expect, it } from 'vitest';
import { explainAccount, type RuleListTrace } from '../engine/index.js';
import type { ExplainedCondition, ExplainedFactCondition } from '../engine/json-rules/evaluators.js';
import { account, bookWith, contact, rulesWith } from './helpers/accounts.js';

// revenue 1,000,000 → 50, potential 100,000,000 → 100, demonstration 40 → 50, winnability 40 → 50
// 17.5 + 30 + 7.5 + 10 = 65 → T2 (≥ 65, < 80); contribution M (50), potential H (100) → C → grow
const t2 = account({
  industry: 'finance-like',
  revenueWithUs: 1_000_000,
  potential: 100_000_000,
  demonstration: 40,
  winnability: 40,
});
const book = bookWith({ 'finance-like': { description: 'same as *' } });
const rules = book.forIndustry('finance-like');

/** Every fact condition of an explained tree, depth first. */
function leaves(c: ExplainedCondition): ExplainedFactCondition[] {
  if ('fact' in c) return [c];
  return [...(c.all ?? []), ...(c.any ?? []), ...(c.not ? [c.not] : [])].flatMap(leaves);
}

describe('why T2?', () => {
  const { decision, explanation } = explainAccount(t2, rules);

  it('decides T2 with score 65', () => {
    expect(decision).toMatchObject({ score: 65, tier: 'T2', class: 'C', strategy: 'grow' });
  });

  it('names the rule set and its versions', () => {
    expect(explanation.ruleSet).toEqual({ industry: 'finance-like', version: 10, baseVersion: 1 });
    expect(book.forIndustry('unknown').ref).toEqual({ industry: '*', version: 1, baseVersion: 1 });
  });

  it('lists each dimension: raw field and value, the band reached, its score, weight and weighted points', () => {
    expect(explanation.grade.dimensions).toEqual({
      revenue: {
        field: 'revenueWithUs',
        value: 1_000_000,
        band: { min: 1_000_000, score: 50 },
        score: 50,
        weight: 0.35,
        weighted: 17.5,
      },
      potential: {
        field: 'potential',
        value: 100_000_000,
        band: { min: 100_000_000, score: 100 },
        score: 100,
        weight: 0.3,
        weighted: 30,
      },
      demonstration: { field: 'demonstration', value: 40, band: { min: 40, score: 50 }, score: 50, weight: 0.15, weighted: 7.5 },
      winnability: { field: 'winnability', value: 40, band: { min: 40, score: 50 }, score: 50, weight: 0.2, weighted: 10 },
    });
  });

  it('states the thresholds and the reason', () => {
    expect(explanation.grade.score).toBe(65);
    expect(explanation.grade.tier).toBe('T2');
    expect(explanation.grade.policy).toEqual({ mode: 'threshold', thresholds: { T1: 80, T2: 65, T3: 45 } });
    expect(explanation.grade.reason).toBe('score 65 ≥ T2 threshold 65 and < T1 threshold 80');
  });

  it('a value below every band has no band and scores 0', () => {
    const { explanation: e } = explainAccount(account({ demonstration: 19.99, revenueWithUs: null }), rules);
    expect(e.grade.dimensions.demonstration).toMatchObject({ value: 19.99, band: null, score: 0, weighted: 0 });
    expect(e.grade.dimensions.revenue).toMatchObject({ value: null, band: null, score: 0 });
    // 0 + 0.30·50 + 0 + 0.20·50 = 25
    expect(e.grade.reason).toBe('score 25 < T3 threshold 45');
  });

  it('explains the class from the nine-box', () => {
    expect(explanation.classify).toEqual({
      contributionScore: 50,
      potentialScore: 100,
      cuts: { M: 40, H: 70 },
      contributionLevel: 'M',
      potentialLevel: 'H',
      cell: { row: 0, column: 1 },
      class: 'C',
    });
  });

  it('explains closeness per contact with the interaction level and factor', () => {
    const { explanation: e } = explainAccount(
      account({
        contacts: [
          contact('a', { influence: 4, stance: 1, interactions90d: 2 }),
          contact('b', { influence: 2, stance: -1, interactions90d: 0 }),
        ],
      }),
      rules,
    );
    expect(e.relationship.contacts).toEqual([
      { id: 'a', name: 'Contact a', influence: 4, stance: 1, interactions90d: 2, level: 'low', factor: 0.75 },
      { id: 'b', name: 'Contact b', influence: 2, stance: -1, interactions90d: 0, level: 'none', factor: 0.5 },
    ]);
    // 4·(3/4)·0.75 = 2.25; 2·(1/4)·0.5 = 0.25 → 2.5 / 6 = 41.666… → 41.67
    expect(e.relationship.closeness).toBe(41.67);
  });
});

describe('why grow?', () => {
  const { explanation } = explainAccount(t2, rules);
  const trace: RuleListTrace & { result: string } = explanation.strategy;

  it('lists the rules evaluated in priority order up to the deciding one', () => {
    expect(trace.mode).toBe('first');
    expect(trace.rules.map((r) => [r.name, r.priority, r.passed])).toEqual([
      ['wait-and-watch', 50, false],
      ['win-back', 40, false],
      ['acquire', 30, false],
      ['grow', 20, true],
    ]);
    expect(trace.decidedBy).toEqual(['grow']);
    expect(trace.usedFallback).toBe(false);
    expect(trace.result).toBe('grow');
  });

  it('gives the fact values each condition saw', () => {
    const [waitAndWatch, winBack, acquire, grow] = trace.rules;
    expect(leaves(waitAndWatch!.conditions)).toEqual([
      expect.objectContaining({ fact: 'status', operator: 'equal', value: 'lost', factResult: 'active', result: false }),
    ]);
    expect(leaves(acquire!.conditions)[0]).toMatchObject({
      fact: 'status',
      value: 'prospect',
      factResult: 'active',
      result: false,
    });
    expect(leaves(grow!.conditions)).toEqual([
      expect.objectContaining({ fact: 'class', operator: 'equal', value: 'C', factResult: 'C', result: true }),
    ]);
    const wb = Object.fromEntries(
      leaves(winBack!.conditions)
        .filter((l) => 'factResult' in l)
        .map((l) => [l.fact, l.factResult]),
    );
    expect(wb).toMatchObject({ status: 'active', class: 'C' });
  });

  it('the rule index points into the rule set list', () => {
    expect(trace.rules.map((r) => r.index)).toEqual([0, 1, 2, 3]);
  });

  it('explains the investment the same way', () => {
    expect(explanation.investment.result).toBe('high');
    expect(explanation.investment.decidedBy).toEqual(['grow']);
    const decided = explanation.investment.rules.at(-1)!;
    expect(decided).toMatchObject({ name: 'grow', passed: true });
  });

  it('explains coverage and the flags (flags: every rule evaluated, every match listed)', () => {
    expect(explanation.coverage.decidedBy).toEqual(['t2-key-account']);
    expect(explanation.coverage.result).toMatchObject({ line: 'industry', presalesTier: 'priority', track: 'major-project' });
    expect(explanation.relationship.flags.mode).toBe('all');
    expect(explanation.relationship.flags.rules).toHaveLength(6);
    // one champion (default account) → single-threaded only
    expect(explanation.relationship.flags.decidedBy).toEqual(['single-threaded']);
  });
});

describe('fallback when no rule matches', () => {
  const noRetain = rulesWith({ strategy: { rules: [{ name: 'retain', remove: true }] } });

  it('a class B active account matches no strategy rule: the fallback retain is used and said so', () => {
    const { decision, explanation } = explainAccount(account(), noRetain);
    expect(decision.strategy).toBe('retain');
    expect(explanation.strategy.usedFallback).toBe(true);
    expect(explanation.strategy.decidedBy).toEqual([]);
    expect(explanation.strategy.rules.map((r) => [r.name, r.passed])).toEqual([
      ['wait-and-watch', false],
      ['win-back', false],
      ['acquire', false],
      ['grow', false],
    ]);
    expect(explanation.strategy.result).toBe('retain');
  });

  it('a different fallback is used as is', () => {
    const r = rulesWith({ strategy: { rules: [{ name: 'retain', remove: true }], fallback: 'wait-and-watch' } });
    const { decision, explanation } = explainAccount(account(), r);
    expect(decision.strategy).toBe('wait-and-watch');
    expect(explanation.strategy.usedFallback).toBe(true);
    // the investment rules see the fallback strategy
    expect(decision.investment).toBe('low');
  });

  it('the rules still decide when one matches (grow for class C)', () => {
    expect(explainAccount(t2, noRetain).explanation.strategy).toMatchObject({ usedFallback: false, decidedBy: ['grow'] });
  });
});
