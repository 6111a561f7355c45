/**
 * Stage 6, plan (做规划, GOSART): Goal, Objectives, Strategy, Actions, Resources, Tests, and the
 * value proposition (价值植入) against the top two competitors.
 */
import type { Account, InvestmentLevel, PresalesTier, Strategy, Tier } from '../model.js';
import { round2 } from '../round.js';
import type { RuleSet, TacticTemplate } from '../ruleset-format/schema.js';
import type { CompetitorCloseness } from './relationship.js';
import { addDays } from './execute.js';

export interface PlanAction {
  key: string;
  title: string;
  description?: string | undefined;
  role: TacticTemplate['role'];
  owner: string | null;
  dueDate: string;
}

export interface ValueProposition {
  ourSolution: string | null;
  businessValue: string | null;
  versus: { competitorId: string; name: string; share: number; closeness: number; theirOffer: string | null; ourEdge: string | null }[];
}

export interface Plan {
  goal: string;
  objectives: {
    /** target = baseline × (1 + growth), or for acquire `firstDealShare` × potential. */
    revenue: { baseline: number; target: number; growth: number | null; firstDealShare: number | null };
    closenessTarget: number;
  };
  strategy: Strategy;
  actions: PlanAction[];
  resources: { owner: string | null; presalesTier: PresalesTier; investment: InvestmentLevel };
  tests: { kpi: string; target: number; checkpoints: readonly string[] }[];
  valueProposition: ValueProposition;
  needsApproval: boolean;
  startDate: string;
}

/** revenueWithUs × (1 + g) per strategy; acquire aims at a first deal of a share of `potential`. */
export function revenueObjective(account: Account, strategy: Strategy, rules: RuleSet): Plan['objectives']['revenue'] {
  const baseline = account.revenueWithUs ?? 0;
  if (strategy === 'acquire') {
    const share = rules.plan.acquireFirstDealShare;
    return { baseline, target: round2((account.potential ?? 0) * share), growth: null, firstDealShare: share };
  }
  const g = rules.plan.objectiveGrowth[strategy];
  return { baseline, target: round2(baseline * (1 + g)), growth: g, firstDealShare: null };
}

/** The top two competitors by share, then by their closeness, then id. */
export function topCompetitors(competitors: readonly CompetitorCloseness[], n = 2): CompetitorCloseness[] {
  return [...competitors]
    .sort((a, b) => b.share - a.share || b.closeness - a.closeness || (a.id < b.id ? -1 : 1))
    .slice(0, n);
}

/** Our solution and business value against the top competitors, with what each offers and our edge. */
export function valuePropositionFor(account: Account, competitors: readonly CompetitorCloseness[]): ValueProposition {
  return {
    ourSolution: account.solution ?? null,
    businessValue: account.businessValue ?? null,
    versus: topCompetitors(competitors).map((c) => {
      const row = account.competitors.find((k) => k.id === c.id);
      return {
        competitorId: c.id,
        name: c.name,
        share: c.share,
        closeness: c.closeness,
        theirOffer: row?.theirOffer ?? null,
        ourEdge: row?.ourEdge ?? null,
      };
    }),
  };
}

export interface PlanInput {
  account: Account;
  tier: Tier;
  strategy: Strategy;
  investment: InvestmentLevel;
  presalesTier: PresalesTier;
  owner: string | null;
  closeness: number;
  competitors: readonly CompetitorCloseness[];
  startDate: string;
}

interface Schedule {
  dueDates: readonly string[];
  checkpoints: readonly string[];
}

/**
 * Due dates and checkpoints depend only on the rule set, the strategy and the start date, and a
 * portfolio's plans mostly share a start date: computed once, shared (frozen) by those plans.
 */
const schedules = new WeakMap<RuleSet, Map<string, Schedule>>();

function scheduleFor(rules: RuleSet, strategy: Strategy, startDate: string): Schedule {
  let byKey = schedules.get(rules);
  if (!byKey) schedules.set(rules, (byKey = new Map()));
  const key = `${strategy}|${startDate}`;
  let schedule = byKey.get(key);
  if (!schedule) {
    const n = rules.plan.checkpointsPerYear;
    schedule = {
      dueDates: Object.freeze(rules.plan.templates[strategy].map((t) => addDays(startDate, t.dueInDays))),
      checkpoints: Object.freeze(Array.from({ length: n }, (_, i) => addDays(startDate, Math.round(((i + 1) * 365) / n)))),
    };
    byKey.set(key, schedule);
  }
  return schedule;
}

export function plan(input: PlanInput, rules: RuleSet): Plan {
  const { account, strategy, startDate } = input;
  const revenue = revenueObjective(account, strategy, rules);
  const { dueDates, checkpoints } = scheduleFor(rules, strategy, startDate);
  const actions = rules.plan.templates[strategy].map((t, i) => ({
    key: `${strategy}-${i + 1}`,
    title: t.title,
    description: t.description,
    role: t.role,
    owner: t.role === 'owner' ? input.owner : t.role === 'presales' ? `presales:${input.presalesTier}` : 'executive-sponsor',
    dueDate: dueDates[i]!,
  }));
  const closenessTarget = Math.min(100, round2(input.closeness + (strategy === 'grow' || strategy === 'win-back' ? 10 : 0)));
  return {
    goal: rules.plan.goals[strategy],
    objectives: { revenue, closenessTarget },
    strategy,
    actions,
    resources: { owner: input.owner, presalesTier: input.presalesTier, investment: input.investment },
    tests: [
      { kpi: 'revenueWithUs', target: revenue.target, checkpoints },
      { kpi: 'closeness', target: closenessTarget, checkpoints },
      { kpi: 'actionsDone', target: actions.length, checkpoints },
    ],
    valueProposition: valuePropositionFor(account, input.competitors),
    needsApproval: rules.plan.approvalTiers.includes(input.tier),
    startDate,
  };
}
