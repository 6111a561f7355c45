/**
 * The decision pipeline: grade → classify → relationship (+ flag rules) → coverage rules →
 * strategy rules → investment rules, and the monitor's health rules on top. The rule lists are
 * asked in one fixed sequence of steps, written once: `decideAccount` / `monitorAccount` answer them
 * directly with the compiled evaluators (the hot path: no generator), while `decideSteps` /
 * `monitorSteps` yield each "evaluate this rule list on these facts" request, so the same stage
 * code runs with explanations (`explainAccount`) or with json-rules-engine itself as the reference
 * (the benchmark's baseline).
 *
 * Two modes share every step: the explained mode (`decideAccount`, `monitorAccount`, the step
 * generators) builds the result objects a stage result stores and an explanation shows (profile
 * item lists, competitor closenesses, alerts); the decision-only mode (`decideInto`, `monitorInto`,
 * and `decideBrief` / `monitorBrief` on top) writes the same decisions into a caller's
 * `DecisionRecord`, reusing one evaluation, so a bulk run allocates next to nothing per account.
 */
import { FLAGS, type Account, type AccountClass, type Flag, type Health, type InvestmentLevel, type Level, type Strategy, type Tier } from './model.js';
import type { CompiledList, EspRules, RuleSetRef } from './compiled-rule-set.js';
import type { RuleSection } from './json-rules/facts.js';
import type { ProfileItem } from './ruleset-format/schema.js';
import { AccountFacts } from './account-facts.js';
import { round2 } from './round.js';
import { profile, profileStatus, type ProfileResult, type ProfileStatus } from './stages/profile.js';
import { bandScore, tierOf, weightedScore, type DimensionScores, type QuotaContext } from './stages/grade.js';
import { classOf, level, type ClassifyResult } from './stages/classify.js';
import { measureRelationship, relationshipOf, type RelationshipMetrics } from './stages/relationship.js';
import { coverage, type CoverageDecision, type CoverageResult, type TeamDirectory } from './stages/coverage.js';
import type { DecisionRecord } from './decision-record.js';

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

/** The event params of the first passing rule, or undefined when none passed. */
function firstParams(list: CompiledList, passed: RuleReply): Record<string, unknown> | undefined {
  const first = passed[0];
  return first === undefined ? undefined : (list.rules[first]!.rule.event.params as Record<string, unknown>);
}

const NO_QUOTA: QuotaContext = Object.freeze({});

/**
 * What one account's evaluation has decided so far; `start` decides the stages before the rules,
 * the rule steps below fill in the rest, in order. The numbers live in `facts` (where the rules
 * read them); only the explained mode builds the result objects.
 */
class Evaluation {
  account!: Account;
  rules!: EspRules;
  ctx!: DecideContext;
  readonly facts = new AccountFacts();
  /** Each competitor's closeness, in `account.competitors` order. */
  readonly rivalCloseness: number[] = [];
  readonly status: ProfileStatus = { completeness: 0, ready: false };
  /** The explained mode's profile, with its item lists. */
  prof: ProfileResult | undefined = undefined;
  /** The decision-only mode's missing checklist items, reused account after account. */
  private readonly missing: ProfileItem[] = [];
  private readonly missingList = { missing: this.missing };
  /** Sorted; shared and frozen in the decision-only mode, the account's own in the explained mode. */
  flags: readonly Flag[] = [];
  /** The coverage rules' choice (line, presales tier, track). */
  covered: CoverageDecision | undefined = undefined;
  coverage: CoverageResult | undefined = undefined;
  strategy: Strategy = 'wait-and-watch';
  investment: InvestmentLevel = 'low';
  health: Health = 'green';
  alerts: MonitorResult['alerts'] = [];

  constructor(readonly explained: boolean) {}

  start(account: Account, rules: EspRules, ctx: DecideContext): this {
    this.account = account;
    this.rules = rules;
    this.ctx = ctx;
    const rs = rules.ruleSet;
    const f = this.facts;
    f.reset(account);
    if (this.explained) {
      const prof = (this.prof = profile(account, rs, ctx.defaulted));
      this.status.completeness = prof.completeness;
      this.status.ready = prof.ready;
    } else {
      while (this.missing.length > 0) this.missing.pop();
      profileStatus(account, rs, ctx.defaulted, this.status, this.missingList);
    }
    const b = rules.bands;
    f.revenueScore = bandScore(f.revenueWithUs, b.revenue);
    f.potentialScore = bandScore(f.potential, b.potential);
    f.demonstrationScore = bandScore(f.demonstration, b.demonstration);
    f.winnabilityScore = bandScore(f.winnability, b.winnability);
    f.score = weightedScore(f.revenueScore, f.potentialScore, f.demonstrationScore, f.winnabilityScore, rs.grade.weights);
    f.tier = tierOf(f.score, rules, ctx.quota ?? NO_QUOTA);
    const cuts = rs.classify.cuts;
    const contributionLevel = level(f.revenueScore, cuts);
    const potentialLevel = level(f.potentialScore, cuts);
    f.contributionLevel = contributionLevel;
    f.potentialLevel = potentialLevel;
    f.class = classOf(potentialLevel, contributionLevel, rs);
    measureRelationship(account, rs, f, this.rivalCloseness);
    this.flags = flagsOf(0);
    this.covered = undefined;
    this.coverage = undefined;
    this.strategy = 'wait-and-watch';
    this.investment = 'low';
    this.health = 'green';
    return this;
  }

  /** The explained mode's result. */
  decision(): AccountDecision {
    const f = this.facts;
    const dimensions: DimensionScores = {
      revenue: f.revenueScore,
      potential: f.potentialScore,
      demonstration: f.demonstrationScore,
      winnability: f.winnabilityScore,
    };
    const relationship = relationshipOf(this.account, f, this.rivalCloseness);
    return {
      id: this.account.id,
      ruleSet: this.rules.ref,
      profile: this.prof!,
      score: f.score,
      dimensions,
      tier: f.tier as Tier,
      class: f.class as AccountClass,
      contributionLevel: f.contributionLevel as Level,
      potentialLevel: f.potentialLevel as Level,
      relationship,
      closeness: f.closeness,
      advantage: f.advantage,
      flags: this.flags as Flag[],
      coverage: this.coverage!,
      strategy: this.strategy,
      investment: this.investment,
    };
  }

  /** The decision-only mode's result; lists are copied, so `out` never shares this evaluation's arrays. */
  record(out: DecisionRecord, monitored: boolean): DecisionRecord {
    const f = this.facts;
    const c = this.coverage!;
    out.id = this.account.id;
    out.ruleSet = this.rules.ref;
    out.completeness = this.status.completeness;
    out.ready = this.status.ready;
    copyInto(out.missing, this.missing, this.missing.length);
    copyInto(out.competitorCloseness, this.rivalCloseness, this.account.competitors.length);
    out.score = f.score;
    out.revenueScore = f.revenueScore;
    out.potentialScore = f.potentialScore;
    out.demonstrationScore = f.demonstrationScore;
    out.winnabilityScore = f.winnabilityScore;
    out.tier = f.tier as Tier;
    out.class = f.class as AccountClass;
    out.contributionLevel = f.contributionLevel as Level;
    out.potentialLevel = f.potentialLevel as Level;
    out.closeness = f.closeness;
    out.maxCompetitorCloseness = f.maxCompetitorCloseness;
    out.advantage = f.advantage;
    out.closenessDrop = f.closenessDrop;
    out.flags = this.flags;
    out.line = c.line;
    out.presalesTier = c.presalesTier;
    out.track = c.track;
    out.team = c.team;
    out.owner = c.owner;
    out.strategy = this.strategy;
    out.investment = this.investment;
    const plan = monitored ? (this.ctx as MonitorContext).plan : undefined;
    out.health = monitored ? this.health : null;
    out.backToPlan = plan !== undefined && this.strategy !== plan.strategy;
    return out;
  }
}

/**
 * `to` becomes the first `n` items of `from`, keeping its storage. By pop and push: setting an
 * array's `length` is a runtime call, which for lists of a few items costs more than the copy.
 */
function copyInto<T>(to: T[], from: readonly T[], n: number): void {
  while (to.length > n) to.pop();
  for (let i = 0; i < n; i++) {
    if (i < to.length) to[i] = from[i]!;
    else to.push(from[i]!);
  }
}

/** Each flag's bit (flag rules raise only catalogue flags: the validator checks their `flag`). */
const FLAG_BIT = Object.fromEntries(FLAGS.map((flag, i) => [flag, 1 << i])) as Record<Flag, number>;
/** The sorted flag list of each set of flags, by bit mask, made when first met. */
const FLAG_LISTS: (readonly Flag[])[] = [];

function flagsOf(mask: number): readonly Flag[] {
  let flags = FLAG_LISTS[mask];
  if (flags === undefined) FLAG_LISTS[mask] = flags = Object.freeze(FLAGS.filter((_, i) => mask & (1 << i)).sort());
  return flags;
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
      let mask = 0;
      for (const i of passed) mask |= FLAG_BIT[(rules[i]!.rule.event.params as { flag: Flag }).flag];
      const flags = flagsOf(mask);
      // The explained mode's decision owns its array; the decision-only mode shares the frozen one.
      e.flags = e.explained ? [...flags] : flags;
      e.facts.flags = flags;
    },
  },
  {
    list: 'coverage',
    take(e, passed) {
      const rs = e.rules.ruleSet;
      const hit = firstParams(e.rules.lists.coverage, passed) as CoverageDecision | undefined;
      e.covered = hit ?? rs.coverage.fallback;
      e.coverage = coverage(e.account, e.covered, rs, e.ctx.teams);
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
      facts.closenessDropSincePlan = ctx.plan ? round2(ctx.plan.closeness - facts.closeness) : 0;
      facts.overdueVisits = ctx.overdueVisits;
      facts.openActions = ctx.openActions;
      facts.overdueActions = ctx.overdueActions;
    },
    take(e, passed) {
      const list = e.rules.lists.health;
      let health: Health = 'green';
      for (const i of passed) {
        const h = (list.rules[i]!.rule.event.params as { health: Health }).health;
        if (SEVERITY[h] > SEVERITY[health]) health = h;
      }
      e.health = health;
      if (!e.explained) return;
      e.alerts = passed
        .map((i) => {
          const r = list.rules[i]!;
          const p = r.rule.event.params as { health: Health; alert: string };
          return { health: p.health, alert: p.alert, rule: r.name };
        })
        .sort((a, b) => SEVERITY[b.health] - SEVERITY[a.health]);
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
function walkCompiled(e: Evaluation, steps: readonly RuleStep[]): Evaluation {
  const lists = e.rules.lists;
  for (const step of steps) {
    step.prepare?.(e);
    step.take(e, answer(lists[step.list], e.facts as unknown as Facts));
  }
  return e;
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
  const e = new Evaluation(true).start(account, rules, ctx);
  yield* walk(e, DECIDE_STEPS);
  return e.decision();
}

/** `decideInto` as steps: for a driver that answers the rule lists itself (the benchmark's json-rules-engine). */
export function* decideIntoSteps(account: Account, rules: EspRules, ctx: DecideContext, out: DecisionRecord): Steps<DecisionRecord> {
  const e = new Evaluation(false).start(account, rules, ctx);
  yield* walk(e, DECIDE_STEPS);
  return e.record(out, false);
}

/** Stage 7, monitor (动态监控): importance, closeness and its change since the plan, then health. */
export function* monitorSteps(account: Account, rules: EspRules, ctx: MonitorContext): Steps<MonitorResult> {
  const e = new Evaluation(true).start(account, rules, ctx);
  yield* walk(e, MONITOR_STEPS);
  return monitorResult(e);
}

// ---- drivers -----------------------------------------------------------------------------------

const NO_RULE: RuleReply = Object.freeze([]);
/** Shared replies of one index: a 'first' list's answer allocates nothing. */
const ONE_RULE: readonly RuleReply[] = Array.from({ length: 64 }, (_, i) => Object.freeze([i]));

/** The reply of each set of passing rules of an 'all' list, by bit mask, made when first met. */
const BY_MASK = new Map<number, RuleReply>();

function replyOf(mask: number): RuleReply {
  let reply = BY_MASK.get(mask);
  if (reply === undefined) {
    const passed: number[] = [];
    for (let i = 0; i < 32; i++) if (mask & (1 << i)) passed.push(i);
    BY_MASK.set(mask, (reply = Object.freeze(passed)));
  }
  return reply;
}

/**
 * Answers a rule request with the compiled evaluators; 'first' lists stop at the first pass. Replies
 * are shared frozen arrays, so answering allocates nothing.
 */
export function answer(list: CompiledList, facts: Facts): RuleReply {
  const { pick } = list;
  if (list.mode === 'first') {
    const i = pick!(facts);
    return i < 0 ? NO_RULE : (ONE_RULE[i] ?? [i]);
  }
  if (pick) {
    const mask = pick(facts);
    return mask === 0 ? NO_RULE : replyOf(mask);
  }
  const rules = list.rules;
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
  return walkCompiled(new Evaluation(true).start(account, rules, ctx), DECIDE_STEPS).decision();
}

export function monitorAccount(account: Account, rules: EspRules, ctx: MonitorContext): MonitorResult {
  return monitorResult(walkCompiled(new Evaluation(true).start(account, rules, ctx), MONITOR_STEPS));
}

// ---- decision-only mode ------------------------------------------------------------------------

/** The decision-only mode's one evaluation, taken while in use (a re-entrant call makes its own). */
let spare: Evaluation | undefined = new Evaluation(false);

function decideOnly<O, T>(
  account: Account,
  rules: EspRules,
  ctx: DecideContext,
  steps: readonly RuleStep[],
  read: (e: Evaluation, out: O) => T,
  out: O,
): T {
  const e = spare ?? new Evaluation(false);
  spare = undefined;
  try {
    return read(walkCompiled(e.start(account, rules, ctx), steps), out);
  } finally {
    spare = e;
  }
}

const recordDecided = (e: Evaluation, out: DecisionRecord) => e.record(out, false);
const recordMonitored = (e: Evaluation, out: DecisionRecord) => e.record(out, true);

/**
 * The decisions of `decideAccount` (profile completeness and readiness, score, dimension scores,
 * tier, class, relationship counts, flags, coverage, strategy, investment) written into `out`,
 * with no explanation objects: for bulk runs and what-if. Returns `out`; the next call with the
 * same record overwrites it. `health` is null (see `monitorInto`).
 */
export function decideInto(account: Account, rules: EspRules, ctx: DecideContext, out: DecisionRecord): DecisionRecord {
  return decideOnly(account, rules, ctx, DECIDE_STEPS, recordDecided, out);
}

/** `decideInto` with the monitor's health rules on top: `health` and `backToPlan` as `monitorAccount`. */
export function monitorInto(account: Account, rules: EspRules, ctx: MonitorContext, out: DecisionRecord): DecisionRecord {
  return decideOnly(account, rules, ctx, MONITOR_STEPS, recordMonitored, out);
}

/** What `decideBrief` answers: the decisions a what-if compares, nothing to explain them. */
export interface BriefDecision extends CoverageDecision {
  score: number;
  tier: Tier;
  class: AccountClass;
  strategy: Strategy;
  investment: InvestmentLevel;
}

function brief(e: Evaluation): BriefDecision {
  const { line, presalesTier, track } = e.covered!;
  const f = e.facts;
  return {
    score: f.score,
    tier: f.tier as Tier,
    class: f.class as AccountClass,
    strategy: e.strategy,
    investment: e.investment,
    line,
    presalesTier,
    track,
  };
}

const briefDecided = (e: Evaluation) => brief(e);
const briefMonitored = (e: Evaluation) => ({ ...brief(e), health: e.health });

/** The decisions a what-if compares, in the decision-only mode: the same steps as `decideAccount`. */
export function decideBrief(account: Account, rules: EspRules, ctx: DecideContext = {}): BriefDecision {
  return decideOnly(account, rules, ctx, DECIDE_STEPS, briefDecided, undefined);
}

/** `decideBrief` and the monitor's health on top: what-if's decisions for a monitored account. */
export function monitorBrief(account: Account, rules: EspRules, ctx: MonitorContext): BriefDecision & { health: Health } {
  return decideOnly(account, rules, ctx, MONITOR_STEPS, briefMonitored, undefined);
}
