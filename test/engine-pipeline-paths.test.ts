/**
 * The pipeline's drivers decide alike: `decideAccount` / `monitorAccount` (the compiled evaluators
 * walking the rule steps directly, the bulk path), `decideBrief` (the decisions alone), the step
 * generators run by `runSteps`, and the explained path (`explainAccount` / `explainMonitor`) give
 * the same decisions for every account
 * of a generated portfolio, under the fallback and every industry's rule set.
 */
import { describe, expect, it } from 'vitest';
import { generateAccounts } from '../db/demo/generate.js';
import {
  decideAccount,
  decideBrief,
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

describe('pipeline drivers', () => {
  it('the direct and generator paths make the same decisions', () => {
    let flagged = 0;
    for (const [i, a] of accounts.entries()) {
      const rules = book.forIndustry(a.industry);
      const direct = decideAccount(a, rules);
      expect(runSteps(decideSteps(a, rules), rules)).toEqual(direct);
      expect(explainAccount(a, rules).decision).toEqual(direct);
      const { score, tier, class: cls, strategy, investment } = direct;
      expect(decideBrief(a, rules)).toEqual({ score, tier, class: cls, strategy, investment });
      const ctx = contexts[i % contexts.length]!;
      const monitored = monitorAccount(a, rules, ctx);
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
