/**
 * The decision pipeline: grade → classify → relationship (+ flag rules) → coverage rules →
 * strategy rules → investment rules, and the monitor's health rules on top. It is written once as
 * a generator that yields "evaluate this rule list on these facts" requests, so the same stage code
 * runs with the compiled evaluators (`decideAccount`), with explanations (`explainAccount`), or with
 * json-rules-engine itself as the reference (the benchmark's baseline).
 */
import type { Account, AccountClass, Flag, Health, InvestmentLevel, Strategy, Tier } from './model.js';
import type { CompiledList, EspRules, RuleSetRef } from './compiled-rule-set.js';
import type { RuleSection } from './json-rules/facts.js';
import { round2 } from './round.js';
import { profile, type ProfileResult } from './stages/profile.js';
import { grade, type DimensionScores, type QuotaContext } from './stages/grade.js';
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
export type RuleReply = number[];

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

/** Returns the facts too, so the monitor's health rules see every fact the earlier lists saw. */
function* decideWithFacts(
  account: Account,
  rules: EspRules,
  ctx: DecideContext,
): Steps<{ decision: AccountDecision; facts: AccountFacts }> {
  const rs = rules.ruleSet;
  const prof = profile(account, rs, ctx.defaulted);
  const g = grade(account, rules, ctx.quota);
  const c = classify(g.dimensions, rs);
  const rel = relationship(account, rs);
  const facts = new AccountFacts(account);
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

  const flagList = rules.lists.flags;
  const flagHits = yield { list: 'flags', facts: facts as unknown as Facts };
  const flags: Flag[] = [];
  for (const i of flagHits) {
    const flag = (flagList.rules[i]!.rule.event.params as { flag: Flag }).flag;
    if (!flags.includes(flag)) flags.push(flag);
  }
  flags.sort();
  facts.flags = flags;

  const coverageHit = firstParams(rules.lists.coverage, yield { list: 'coverage', facts: facts as unknown as Facts }) as CoverageDecision | undefined;
  const cov = coverage(account, coverageHit ?? rs.coverage.fallback, rs, ctx.teams);

  const strategyHit = firstParams(rules.lists.strategy, yield { list: 'strategy', facts: facts as unknown as Facts });
  const strategy = (strategyHit?.['strategy'] as Strategy | undefined) ?? rs.strategy.fallback;
  facts.strategy = strategy;

  const investmentHit = firstParams(rules.lists.investment, yield { list: 'investment', facts: facts as unknown as Facts });
  const investment = (investmentHit?.['level'] as InvestmentLevel | undefined) ?? rs.investment.fallback;

  const decision: AccountDecision = {
    id: account.id,
    ruleSet: rules.ref,
    profile: prof,
    score: g.score,
    dimensions: g.dimensions,
    tier: g.tier,
    class: c.class,
    contributionLevel: c.contributionLevel,
    potentialLevel: c.potentialLevel,
    relationship: rel,
    closeness: rel.closeness,
    advantage: rel.advantage,
    flags,
    coverage: cov,
    strategy,
    investment,
  };
  return { decision, facts };
}

export function* decideSteps(account: Account, rules: EspRules, ctx: DecideContext = {}): Steps<AccountDecision> {
  return (yield* decideWithFacts(account, rules, ctx)).decision;
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

const SEVERITY: Record<Health, number> = { green: 0, amber: 1, red: 2 };

/** Stage 7, monitor (动态监控): importance, closeness and its change since the plan, then health. */
export function* monitorSteps(account: Account, rules: EspRules, ctx: MonitorContext): Steps<MonitorResult> {
  const { decision, facts } = yield* decideWithFacts(account, rules, ctx);
  const planStrategy = ctx.plan?.strategy ?? decision.strategy;
  facts.planStrategy = planStrategy;
  facts.closenessDropSincePlan = ctx.plan ? round2(ctx.plan.closeness - decision.closeness) : 0;
  facts.overdueVisits = ctx.overdueVisits;
  facts.openActions = ctx.openActions;
  facts.overdueActions = ctx.overdueActions;
  const list = rules.lists.health;
  const hits = yield { list: 'health', facts: facts as unknown as Facts };
  const alerts = hits
    .map((i) => {
      const r = list.rules[i]!;
      const p = r.rule.event.params as { health: Health; alert: string };
      return { health: p.health, alert: p.alert, rule: r.name };
    })
    .sort((a, b) => SEVERITY[b.health] - SEVERITY[a.health]);
  const health = alerts.reduce<Health>((h, a) => (SEVERITY[a.health] > SEVERITY[h] ? a.health : h), 'green');
  return { decision, health, alerts, planStrategy, backToPlan: ctx.plan !== undefined && decision.strategy !== ctx.plan.strategy };
}

// ---- drivers -----------------------------------------------------------------------------------

/** Answers a rule request with the compiled evaluators; 'first' lists stop at the first pass. */
export function answer(list: CompiledList, facts: Facts): RuleReply {
  const passed: number[] = [];
  const rules = list.rules;
  for (let i = 0; i < rules.length; i++) {
    if (rules[i]!.test(facts)) {
      passed.push(i);
      if (list.mode === 'first') break;
    }
  }
  return passed;
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

export function decideAccount(account: Account, rules: EspRules, ctx?: DecideContext): AccountDecision {
  return runSteps(decideSteps(account, rules, ctx), rules);
}

export function monitorAccount(account: Account, rules: EspRules, ctx: MonitorContext): MonitorResult {
  return runSteps(monitorSteps(account, rules, ctx), rules);
}
