/**
 * The decision pipeline: grade → classify → relationship (+ flag rules) → coverage rules →
 * strategy rules → investment rules, and the monitor's health rules on top. The rule lists are
 * asked in one fixed sequence of steps, written once: `decideAccount` / `monitorAccount` answer them
 * directly with the compiled evaluators (the hot path: no generator), while `decideSteps` /
 * `monitorSteps` yield each "evaluate this rule list on these facts" request, so the same stage
 * code runs with explanations (`explainAccount`) or with json-rules-engine itself as the reference
 * (the benchmark's baseline).
 */
import type { Account, AccountClass, Flag, Health, InvestmentLevel, Strategy, Tier } from './model.js';
import type { CompiledList, EspRules, RuleSetRef } from './compiled-rule-set.js';
import type { RuleSection } from './json-rules/facts.js';
import { round2 } from './round.js';
import { profile, type ProfileResult } from './stages/profile.js';
import { grade, type DimensionScores, type GradeResult, type QuotaContext } from './stages/grade.js';
import { classify, type ClassifyResult } from './stages/classify.js';
import { relationship, type RelationshipMetrics } from './stages/relationship.js';
import { coverage, type CoverageDecision, type CoverageResult, type TeamDirectory } from './stages/coverage.js';

/** The facts rules see: the documented catalogue of `json-rules/facts.ts`, filled stage by stage. */
export type Facts = Record<string, unknown>;

export interface RuleRequest {
  list: RuleSection;
  facts: Facts;
}

export type { AccountFacts };

/** Indices into `rules.lists[list].rules` of the rules that passed (a 'first' list may stop early). */
export type RuleReply = readonly number[];

export type Steps<T> = Generator<RuleRequest, T, RuleReply>;

export interface DecideContext {
  /** Quota mode: the tier by rank, or the lowest score per tier at the last review. */
  quota?: QuotaContext | undefined;
  teams?: TeamDirectory | undefined;
  /** Fields an import only defaulted; the profile counts them as missing. */
  defaulted?: readonly string[] | undefined;
}

export interface AccountDecision {
  id: string;
  ruleSet: RuleSetRef;
  profile: ProfileResult;
  score: number;
  dimensions: DimensionScores;
  tier: Tier;
  class: AccountClass;
  contributionLevel: ClassifyResult['contributionLevel'];
  potentialLevel: ClassifyResult['potentialLevel'];
  relationship: RelationshipMetrics;
  closeness: number;
  advantage: number;
  flags: Flag[];
  coverage: CoverageResult;
  strategy: Strategy;
  investment: InvestmentLevel;
}

/**
 * The facts of one account, every catalogue fact declared up front: one object shape for all
 * accounts keeps property reads in the compiled rules monomorphic (the hot path of evaluation).
 * Facts of later stages hold neutral values until their stage sets them; the validator ensures no
 * rule reads a fact before the list that knows it.
 */
class AccountFacts {
  industry: string;
  region: string;
  status: string;
  employees: number;
  companyRevenue: number;
  revenueWithUs: number;
  potential: number;
  demonstration: number;
  winnability: number;
  score = 0;
  tier = '';
  revenueScore = 0;
  potentialScore = 0;
  demonstrationScore = 0;
  winnabilityScore = 0;
  class = '';
  contributionLevel = '';
  potentialLevel = '';
  contactCount = 0;
  championCount = 0;
  supporterCount = 0;
  opponentCount = 0;
  keyContactCount = 0;
  decisionMakersWithCompetitor = 0;
  coldKeyContacts = 0;
  competitorCount = 0;
  closeness = 0;
  maxCompetitorCloseness = 0;
  advantage = 0;
  closenessDrop = 0;
  flags: Flag[] = [];
  strategy = '';
  planStrategy = '';
  closenessDropSincePlan = 0;
  overdueVisits = 0;
  openActions = 0;
  overdueActions = 0;

  constructor(a: Account) {
    this.industry = a.industry ?? '';
    this.region = a.region ?? '';
    this.status = a.status ?? '';
    this.employees = a.employees ?? 0;
    this.companyRevenue = a.companyRevenue ?? 0;
    this.revenueWithUs = a.revenueWithUs ?? 0;
    this.potential = a.potential ?? 0;
    this.demonstration = a.demonstration ?? 0;
    this.winnability = a.winnability ?? 0;
  }
}

/** The event params of the first passing rule, or undefined when none passed. */
function firstParams(list: CompiledList, passed: RuleReply): Record<string, unknown> | undefined {
  const first = passed[0];
  return first === undefined ? undefined : (list.rules[first]!.rule.event.params as Record<string, unknown>);
}

/** What one account's evaluation has decided so far; the rule steps below fill it in order. */
class Evaluation {
  /** Left out of a brief evaluation, like the coverage's team and owner. */
  readonly prof: ProfileResult | undefined;
  readonly g: GradeResult;
  readonly c: ClassifyResult;
  readonly rel: RelationshipMetrics;
  readonly facts: AccountFacts;
  flags: Flag[] = [];
  coverage: CoverageResult | undefined = undefined;
  strategy: Strategy = 'wait-and-watch';
  investment: InvestmentLevel = 'low';
  health: Health = 'green';
  alerts: MonitorResult['alerts'] = [];

  constructor(
    readonly account: Account,
    readonly rules: EspRules,
    readonly ctx: DecideContext,
    /** Decisions only: no profile, no coverage team or owner (see `decideBrief`). */
    readonly brief = false,
  ) {
    const rs = rules.ruleSet;
    this.prof = brief ? undefined : profile(account, rs, ctx.defaulted);
    const g = (this.g = grade(account, rules, ctx.quota));
    const c = (this.c = classify(g.dimensions, rs));
    const rel = (this.rel = relationship(account, rs));
    const facts = (this.facts = new AccountFacts(account));
    facts.score = g.score;
    facts.tier = g.tier;
    facts.revenueScore = g.dimensions.revenue;
    facts.potentialScore = g.dimensions.potential;
    facts.demonstrationScore = g.dimensions.demonstration;
    facts.winnabilityScore = g.dimensions.winnability;
    facts.class = c.class;
    facts.contributionLevel = c.contributionLevel;
    facts.potentialLevel = c.potentialLevel;
    facts.contactCount = rel.contactCount;
    facts.championCount = rel.championCount;
    facts.supporterCount = rel.supporterCount;
    facts.opponentCount = rel.opponentCount;
    facts.keyContactCount = rel.keyContactCount;
    facts.decisionMakersWithCompetitor = rel.decisionMakersWithCompetitor;
    facts.coldKeyContacts = rel.coldKeyContacts;
    facts.competitorCount = rel.competitorCount;
    facts.closeness = rel.closeness;
    facts.maxCompetitorCloseness = rel.maxCompetitorCloseness;
    facts.advantage = rel.advantage;
    facts.closenessDrop = rel.closenessDrop;
  }

  decision(): AccountDecision {
    const { g, c, rel } = this;
    return {
      id: this.account.id,
      ruleSet: this.rules.ref,
      profile: this.prof!,
      score: g.score,
      dimensions: g.dimensions,
      tier: g.tier,
      class: c.class,
      contributionLevel: c.contributionLevel,
      potentialLevel: c.potentialLevel,
      relationship: rel,
      closeness: rel.closeness,
      advantage: rel.advantage,
      flags: this.flags,
      coverage: this.coverage!,
      strategy: this.strategy,
      investment: this.investment,
    };
  }
}

/**
 * One rule list the pipeline asks, in order: `prepare` sets the facts only this list reads, `take`
 * folds the indices of its passing rules into the evaluation. Every driver walks the same steps.
 */
interface RuleStep {
  list: RuleSection;
  prepare?(e: Evaluation): void;
  take(e: Evaluation, passed: RuleReply): void;
}

const DECIDE_STEPS: readonly RuleStep[] = [
  {
    list: 'flags',
    take(e, passed) {
      const rules = e.rules.lists.flags.rules;
      const flags: Flag[] = [];
      for (const i of passed) {
        const flag = (rules[i]!.rule.event.params as { flag: Flag }).flag;
        if (!flags.includes(flag)) flags.push(flag);
      }
      flags.sort();
      e.flags = e.facts.flags = flags;
    },
  },
  {
    list: 'coverage',
    take(e, passed) {
      if (e.brief) return;
      const rs = e.rules.ruleSet;
      const hit = firstParams(e.rules.lists.coverage, passed) as CoverageDecision | undefined;
      e.coverage = coverage(e.account, hit ?? rs.coverage.fallback, rs, e.ctx.teams);
    },
  },
  {
    list: 'strategy',
    take(e, passed) {
      const hit = firstParams(e.rules.lists.strategy, passed);
      e.strategy = e.facts.strategy = (hit?.['strategy'] as Strategy | undefined) ?? e.rules.ruleSet.strategy.fallback;
    },
  },
  {
    list: 'investment',
    take(e, passed) {
      const hit = firstParams(e.rules.lists.investment, passed);
      e.investment = (hit?.['level'] as InvestmentLevel | undefined) ?? e.rules.ruleSet.investment.fallback;
    },
  },
];

const SEVERITY: Record<Health, number> = { green: 0, amber: 1, red: 2 };

/** The monitor's health rules see every fact the earlier lists saw, and the plan's. */
const MONITOR_STEPS: readonly RuleStep[] = [
  ...DECIDE_STEPS,
  {
    list: 'health',
    prepare(e) {
      const ctx = e.ctx as MonitorContext;
      const facts = e.facts;
      facts.planStrategy = ctx.plan?.strategy ?? e.strategy;
      facts.closenessDropSincePlan = ctx.plan ? round2(ctx.plan.closeness - e.rel.closeness) : 0;
      facts.overdueVisits = ctx.overdueVisits;
      facts.openActions = ctx.openActions;
      facts.overdueActions = ctx.overdueActions;
    },
    take(e, passed) {
      const list = e.rules.lists.health;
      const alerts = passed
        .map((i) => {
          const r = list.rules[i]!;
          const p = r.rule.event.params as { health: Health; alert: string };
          return { health: p.health, alert: p.alert, rule: r.name };
        })
        .sort((a, b) => SEVERITY[b.health] - SEVERITY[a.health]);
      e.alerts = alerts;
      e.health = alerts.reduce<Health>((h, a) => (SEVERITY[a.health] > SEVERITY[h] ? a.health : h), 'green');
    },
  },
];

function* walk(e: Evaluation, steps: readonly RuleStep[]): Generator<RuleRequest, void, RuleReply> {
  for (const step of steps) {
    step.prepare?.(e);
    step.take(e, yield { list: step.list, facts: e.facts as unknown as Facts });
  }
}

/** The same steps answered directly by the compiled evaluators: no generator on the hot path. */
function walkCompiled(e: Evaluation, steps: readonly RuleStep[]): void {
  const lists = e.rules.lists;
  for (const step of steps) {
    step.prepare?.(e);
    step.take(e, answer(lists[step.list], e.facts as unknown as Facts));
  }
}

export interface MonitorContext extends DecideContext {
  /** The current plan's strategy and the closeness when it was made; none before the first plan. */
  plan?: { strategy: Strategy; closeness: number } | undefined;
  overdueVisits: number;
  openActions: number;
  overdueActions: number;
}

export interface MonitorResult {
  decision: AccountDecision;
  health: Health;
  /** The alerts of every health rule that fired, worst first. */
  alerts: { health: Health; alert: string; rule: string }[];
  planStrategy: Strategy;
  /** The strategy rules now pick another strategy than the plan's: back to `plan`. */
  backToPlan: boolean;
}

function monitorResult(e: Evaluation): MonitorResult {
  const decision = e.decision();
  const plan = (e.ctx as MonitorContext).plan;
  return {
    decision,
    health: e.health,
    alerts: e.alerts,
    planStrategy: plan?.strategy ?? decision.strategy,
    backToPlan: plan !== undefined && decision.strategy !== plan.strategy,
  };
}

export function* decideSteps(account: Account, rules: EspRules, ctx: DecideContext = {}): Steps<AccountDecision> {
  const e = new Evaluation(account, rules, ctx);
  yield* walk(e, DECIDE_STEPS);
  return e.decision();
}

/** Stage 7, monitor (动态监控): importance, closeness and its change since the plan, then health. */
export function* monitorSteps(account: Account, rules: EspRules, ctx: MonitorContext): Steps<MonitorResult> {
  const e = new Evaluation(account, rules, ctx);
  yield* walk(e, MONITOR_STEPS);
  return monitorResult(e);
}

// ---- drivers -----------------------------------------------------------------------------------

const NO_RULE: RuleReply = Object.freeze([]);
/** Shared replies of one index: a 'first' list's answer allocates nothing. */
const ONE_RULE: readonly RuleReply[] = Array.from({ length: 64 }, (_, i) => Object.freeze([i]));

/** Answers a rule request with the compiled evaluators; 'first' lists stop at the first pass. */
export function answer(list: CompiledList, facts: Facts): RuleReply {
  const rules = list.rules;
  if (list.mode === 'first') {
    for (let i = 0; i < rules.length; i++) if (rules[i]!.test(facts)) return ONE_RULE[i] ?? [i];
    return NO_RULE;
  }
  let passed: number[] | undefined;
  for (let i = 0; i < rules.length; i++) if (rules[i]!.test(facts)) (passed ??= []).push(i);
  return passed ?? NO_RULE;
}

export function runSteps<T>(steps: Steps<T>, rules: EspRules, onRequest?: (req: RuleRequest, reply: RuleReply) => void): T {
  let next = steps.next([]);
  while (!next.done) {
    const req = next.value;
    const reply = answer(rules.lists[req.list], req.facts);
    onRequest?.(req, reply);
    next = steps.next(reply);
  }
  return next.value;
}

export function decideAccount(account: Account, rules: EspRules, ctx: DecideContext = {}): AccountDecision {
  const e = new Evaluation(account, rules, ctx);
  walkCompiled(e, DECIDE_STEPS);
  return e.decision();
}

/** What `decideBrief` answers: the decisions a what-if compares, nothing to explain them. */
export interface BriefDecision {
  score: number;
  tier: Tier;
  class: AccountClass;
  strategy: Strategy;
  investment: InvestmentLevel;
}

/**
 * The decisions alone, for what-if and bulk runs: the same rule steps as `decideAccount` (so the
 * same score, tier, class, strategy and investment), without the profile and the coverage's team
 * and owner, which no later rule reads.
 */
export function decideBrief(account: Account, rules: EspRules, ctx: DecideContext = {}): BriefDecision {
  const e = new Evaluation(account, rules, ctx, true);
  walkCompiled(e, DECIDE_STEPS);
  return { score: e.g.score, tier: e.g.tier, class: e.c.class, strategy: e.strategy, investment: e.investment };
}

export function monitorAccount(account: Account, rules: EspRules, ctx: MonitorContext): MonitorResult {
  const e = new Evaluation(account, rules, ctx);
  walkCompiled(e, MONITOR_STEPS);
  return monitorResult(e);
}
