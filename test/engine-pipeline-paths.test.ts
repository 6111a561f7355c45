/**
 * The pipeline's drivers decide alike: `decideAccount` / `monitorAccount` (the compiled evaluators
 * walking the rule steps directly), the decision-only mode (`decideInto` / `monitorInto` into a
 * reused record; `decideBrief` / `monitorBrief` on top), the step generators run by `runSteps`, and
 * the explained path (`explainAccount` / `explainMonitor`) give the same decisions for every account
 * of a generated portfolio, under the fallback and every industry's rule set.
 */
import { describe, expect, it } from 'vitest';
import { generateAccounts } from '../db/demo/generate.js';
import {
  decideAccount,
  decideBrief,
  decideInto,
  decideIntoSteps,
  monitorInto,
  DecisionRecord,
  type AccountDecision,
  type MonitorResult,
  monitorBrief,
  decideSteps,
  explainAccount,
  explainMonitor,
  monitorAccount,
  monitorSteps,
  runSteps,
  type MonitorContext,
} from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';

const book = loadRuleBook();
const accounts = generateAccounts(2_000, 11);
const contexts: MonitorContext[] = [
  { overdueVisits: 0, openActions: 0, overdueActions: 0 },
  { overdueVisits: 2, openActions: 3, overdueActions: 1, plan: { strategy: 'retain', closeness: 80 } },
  { overdueVisits: 0, openActions: 1, overdueActions: 0, plan: { strategy: 'grow', closeness: 20 } },
];

/** What the decision-only mode must agree on: every decision of the explained mode, as plain fields. */
function asRecord(d: AccountDecision, monitored?: MonitorResult): Record<string, unknown> {
  return {
    id: d.id,
    ruleSet: d.ruleSet,
    completeness: d.profile.completeness,
    ready: d.profile.ready,
    missing: d.profile.missing,
    score: d.score,
    revenueScore: d.dimensions.revenue,
    potentialScore: d.dimensions.potential,
    demonstrationScore: d.dimensions.demonstration,
    winnabilityScore: d.dimensions.winnability,
    tier: d.tier,
    class: d.class,
    contributionLevel: d.contributionLevel,
    potentialLevel: d.potentialLevel,
    closeness: d.closeness,
    maxCompetitorCloseness: d.relationship.maxCompetitorCloseness,
    competitorCloseness: d.relationship.competitors.map((c) => c.closeness),
    advantage: d.advantage,
    closenessDrop: d.relationship.closenessDrop,
    flags: d.flags,
    line: d.coverage.line,
    presalesTier: d.coverage.presalesTier,
    track: d.coverage.track,
    team: d.coverage.team,
    owner: d.coverage.owner,
    strategy: d.strategy,
    investment: d.investment,
    health: monitored ? monitored.health : null,
    backToPlan: monitored ? monitored.backToPlan : false,
  };
}

describe('pipeline drivers', () => {
  it('the decision-only mode makes the explained mode\'s decisions, for every rule set and context', () => {
    // One record for every call, as a bulk run uses it: nothing of an account may leak into the next.
    const record = new DecisionRecord();
    const seen = { industries: new Set<string>(), health: new Set<string>(), backToPlan: 0, flags: new Set<string>(), missing: new Set<number>(), rivals: new Set<number>() };
    const many = generateAccounts(6_000, 23);
    for (const [i, a] of many.entries()) {
      const rules = book.forIndustry(a.industry);
      // Odd accounts with the defaulted fields an import leaves, so readiness varies too.
      const ctx = { ...contexts[i % contexts.length]!, defaulted: i % 2 ? ['potential'] : undefined };
      const explained = monitorAccount(a, rules, ctx);
      expect({ ...monitorInto(a, rules, ctx, record) }).toEqual(asRecord(explained.decision, explained));
      expect({ ...decideInto(a, rules, ctx, record) }).toEqual(asRecord(decideAccount(a, rules, ctx)));
      expect({ ...runSteps(decideIntoSteps(a, rules, ctx, new DecisionRecord()), rules) }).toEqual({ ...record });
      seen.industries.add(rules.ref.industry);
      seen.health.add(explained.health);
      if (explained.backToPlan) seen.backToPlan++;
      for (const f of explained.decision.flags) seen.flags.add(f);
      seen.missing.add(explained.decision.profile.missing.length);
      seen.rivals.add(a.competitors.length);
    }
    expect(seen.industries.size).toBe(book.industries.length);
    expect(seen.health.size).toBe(3);
    expect(seen.backToPlan).toBeGreaterThan(0);
    expect(seen.flags.size).toBeGreaterThan(4);
    // The reused record's lists grow and shrink: missing items and competitors of several lengths.
    expect(seen.missing.size).toBeGreaterThan(1);
    expect(seen.rivals.size).toBeGreaterThan(2);
  });

  it('the direct and generator paths make the same decisions', () => {
    let flagged = 0;
    for (const [i, a] of accounts.entries()) {
      const rules = book.forIndustry(a.industry);
      const direct = decideAccount(a, rules);
      expect(runSteps(decideSteps(a, rules), rules)).toEqual(direct);
      expect(explainAccount(a, rules).decision).toEqual(direct);
      const { score, tier, class: cls, strategy, investment } = direct;
      const { line, presalesTier, track } = direct.coverage;
      const brief = { score, tier, class: cls, strategy, investment, line, presalesTier, track };
      expect(decideBrief(a, rules)).toEqual(brief);
      const ctx = contexts[i % contexts.length]!;
      const monitored = monitorAccount(a, rules, ctx);
      expect(monitorBrief(a, rules, ctx)).toEqual({ ...brief, health: monitored.health });
      expect(runSteps(monitorSteps(a, rules, ctx), rules)).toEqual(monitored);
      expect(explainMonitor(a, rules, ctx).result).toEqual(monitored);
      expect(monitored.decision).toEqual(direct);
      if (monitored.alerts.length > 0) flagged++;
    }
    // The sample reaches the health rules' alerts, not only green accounts.
    expect(flagged).toBeGreaterThan(0);
  });

  it('the sample covers several rule sets, strategies and tiers', () => {
    const decisions = accounts.map((a) => decideAccount(a, book.forIndustry(a.industry)));
    expect(new Set(decisions.map((d) => d.ruleSet.industry)).size).toBeGreaterThan(3);
    expect(new Set(decisions.map((d) => d.strategy)).size).toBeGreaterThan(3);
    expect(new Set(decisions.map((d) => d.tier)).size).toBe(4);
  });
});
