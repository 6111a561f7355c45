/**
 * Explanations: for every decision, the inputs used, the rule set and version, the rules that were
 * evaluated (with each condition's fact value and result) and the one that decided. This is what
 * the studio shows for "why T2?" and "why grow?".
 */
import { DIMENSIONS, type Account, type Dimension } from './model.js';
import type { EspRules, RuleSetRef } from './compiled-rule-set.js';
import type { RuleExplanation } from './json-rules/evaluators.js';
import type { RuleSection } from './json-rules/facts.js';
import { bandIndex, DIMENSION_FIELDS } from './stages/grade.js';
import { interactionLevel } from './stages/relationship.js';
import { matrixCell } from './stages/classify.js';
import {
  decideSteps,
  monitorSteps,
  runSteps,
  type AccountDecision,
  type DecideContext,
  type MonitorContext,
  type MonitorResult,
  type RuleReply,
  type RuleRequest,
  type Steps,
} from './pipeline.js';

export interface RuleListTrace {
  list: RuleSection;
  mode: 'first' | 'all';
  /** The rules in evaluation order; a 'first' list stops after the deciding rule. */
  rules: (RuleExplanation & { index: number })[];
  /** Names of the rules that decided (the first match, or every match). */
  decidedBy: string[];
  /** True when no rule matched and the section's fallback was used. */
  usedFallback: boolean;
}

export interface GradeExplanation {
  dimensions: Record<
    Dimension,
    { field: string; value: number | null; band: { min: number; score: number } | null; score: number; weight: number; weighted: number }
  >;
  score: number;
  policy: { mode: 'threshold' | 'quota'; thresholds: Record<'T1' | 'T2' | 'T3', number> };
  tier: string;
  reason: string;
}

export interface AccountExplanation {
  ruleSet: RuleSetRef;
  profile: AccountDecision['profile'] & { minCompleteness: number };
  grade: GradeExplanation;
  classify: {
    contributionScore: number;
    potentialScore: number;
    cuts: { M: number; H: number };
    contributionLevel: string;
    potentialLevel: string;
    cell: { row: number; column: number };
    class: string;
  };
  relationship: {
    contacts: { id: string; name: string; influence: number; stance: number; interactions90d: number; level: string; factor: number }[];
    closeness: number;
    competitors: AccountDecision['relationship']['competitors'];
    advantage: number;
    flags: RuleListTrace;
  };
  coverage: RuleListTrace & { result: AccountDecision['coverage'] };
  strategy: RuleListTrace & { result: string };
  investment: RuleListTrace & { result: string };
  health?: RuleListTrace & { result: string };
}

function tierReason(score: number, tier: string, t: Record<'T1' | 'T2' | 'T3', number>): string {
  if (tier === 'T1') return `score ${score} ≥ T1 threshold ${t.T1}`;
  if (tier === 'T2') return `score ${score} ≥ T2 threshold ${t.T2} and < T1 threshold ${t.T1}`;
  if (tier === 'T3') return `score ${score} ≥ T3 threshold ${t.T3} and < T2 threshold ${t.T2}`;
  return `score ${score} < T3 threshold ${t.T3}`;
}

function traceCollector(rules: EspRules) {
  const traces = new Map<RuleSection, RuleListTrace>();
  const onRequest = (req: RuleRequest, reply: RuleReply) => {
    const list = rules.lists[req.list];
    const last = list.mode === 'first' && reply.length > 0 ? reply[0]! : list.rules.length - 1;
    traces.set(req.list, {
      list: req.list,
      mode: list.mode,
      rules: list.rules.slice(0, last + 1).map((r) => ({ ...r.explain(req.facts), index: r.index })),
      decidedBy: reply.map((i) => list.rules[i]!.name),
      usedFallback: list.mode === 'first' && reply.length === 0,
    });
  };
  return { traces, onRequest };
}

function build(
  account: Account,
  rules: EspRules,
  decision: AccountDecision,
  traces: Map<RuleSection, RuleListTrace>,
  ctx: DecideContext,
): AccountExplanation {
  const thresholdsUsed = thresholdsFor(rules, ctx);
  const rs = rules.ruleSet;
  const dims = {} as GradeExplanation['dimensions'];
  for (const d of DIMENSIONS) {
    const field = DIMENSION_FIELDS[d];
    const value = account[field] ?? null;
    const i = bandIndex(value ?? 0, rules.bands[d]);
    const weight = rs.grade.weights[d];
    dims[d] = {
      field,
      value,
      band: i < 0 ? null : rules.bands[d][i]!,
      score: decision.dimensions[d],
      weight,
      weighted: weight * decision.dimensions[d],
    };
  }
  const levels = rs.relationship.interactionLevels;
  return {
    ruleSet: rules.ref,
    profile: { ...decision.profile, minCompleteness: rs.profile.minCompleteness },
    grade: {
      dimensions: dims,
      score: decision.score,
      policy: { mode: rs.grade.tierPolicy.mode, thresholds: thresholdsUsed },
      tier: decision.tier,
      reason:
        rs.grade.tierPolicy.mode === 'quota' && ctx.quota?.rankedTier
          ? `quota mode: ranked into ${decision.tier} among the accounts of this rule set`
          : tierReason(decision.score, decision.tier, thresholdsUsed),
    },
    classify: {
      contributionScore: decision.dimensions.revenue,
      potentialScore: decision.dimensions.potential,
      cuts: rs.classify.cuts,
      contributionLevel: decision.contributionLevel,
      potentialLevel: decision.potentialLevel,
      cell: matrixCell(decision.potentialLevel, decision.contributionLevel),
      class: decision.class,
    },
    relationship: {
      contacts: account.contacts.map((c) => {
        const l = interactionLevel(c.interactions90d, levels);
        return { id: c.id, name: c.name, influence: c.influence, stance: c.stance, interactions90d: c.interactions90d, level: l.level, factor: l.factor };
      }),
      closeness: decision.closeness,
      competitors: decision.relationship.competitors,
      advantage: decision.advantage,
      flags: traces.get('flags')!,
    },
    coverage: { ...traces.get('coverage')!, result: decision.coverage },
    strategy: { ...traces.get('strategy')!, result: decision.strategy },
    investment: { ...traces.get('investment')!, result: decision.investment },
  };
}

function thresholdsFor(rules: EspRules, ctx: DecideContext): Record<'T1' | 'T2' | 'T3', number> {
  const policy = rules.ruleSet.grade.tierPolicy;
  return policy.mode === 'quota' && ctx.quota?.cutoffs ? ctx.quota.cutoffs : policy.thresholds;
}

function explained<T>(rules: EspRules, steps: Steps<T>) {
  const { traces, onRequest } = traceCollector(rules);
  return { result: runSteps(steps, rules, onRequest), traces };
}

export function explainAccount(account: Account, rules: EspRules, ctx: DecideContext = {}) {
  const { result: decision, traces } = explained(rules, decideSteps(account, rules, ctx));
  return { decision, explanation: build(account, rules, decision, traces, ctx) };
}

export function explainMonitor(account: Account, rules: EspRules, ctx: MonitorContext) {
  const { result, traces } = explained<MonitorResult>(rules, monitorSteps(account, rules, ctx));
  const explanation = build(account, rules, result.decision, traces, ctx);
  explanation.health = { ...traces.get('health')!, result: result.health };
  return { result, explanation };
}
