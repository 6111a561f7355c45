/**
 * One activity per ESP+ stage. Each loads what it needs, calls the engine, and in one transaction
 * writes its audit row (with the rule set version) and the account's computed columns. The audit
 * row's idempotency key is the activity's identity, so a retried or re-run activity returns what
 * the first run decided instead of deciding (and writing) again.
 */
import { Context } from '@temporalio/activity';
import type { Db } from '../../db/client.js';
import {
  getAccountWithState,
  updateComputed,
  type AccountComputedPatch,
  type AccountState as AccountRowState,
} from '../../db/repositories/accounts.js';
import { listActions } from '../../db/repositories/actions.js';
import { approvePlan, createPlan, currentPlan, getPlan, rejectPlan, withdrawPendingPlans } from '../../db/repositories/plans.js';
import { recordReview } from '../../db/repositories/reviews.js';
import { appendStageResult, stageResultByKey } from '../../db/repositories/stage-results.js';
import { getTeam, memberLoads } from '../../db/repositories/teams.js';
import { listVisits } from '../../db/repositories/visits.js';
import type { PlanActionRow, PlanRow, StageResultRow } from '../../db/schema.js';
import {
  actionStatus,
  addDays,
  decideAccount,
  explainAccount,
  explainMonitor,
  plan as makePlan,
  profile,
  reviewAccount,
  visitStatus,
  type Account,
  type DecideContext,
  type EspRules,
  type Stage,
  type TeamDirectory,
} from '../../engine/index.js';
import {
  ASSESS_STAGES,
  type AssessSummary,
  type ClassifySummary,
  type CoverageSummary,
  type ExecuteSummary,
  type GradeSummary,
  type MonitorInput,
  type MonitorSummary,
  type PlanDecisionInput,
  type PlanDecisionSummary,
  type PlanRevisionInput,
  type PlanStartSummary,
  type PlanSummary,
  type ProfileAssessSummary,
  type ProfileSummary,
  type ReevaluateMonitorInput,
  type ReevaluateMonitorSummary,
  type ReevaluatePlanInput,
  type ReevaluationBasis,
  type ReevaluatePlanSummary,
  type ReevaluationChange,
  type RelationshipSummary,
  type ReviewStageInput,
  type ReviewSummary,
  type Snapshot,
  type StageInput,
  type WithdrawnPlanRef,
} from '../types.js';
import { guarded, idempotencyKey, NonRetryable, ruleSetUsed, testDelay, type Shared } from './deps.js';
import { revisedPlanWork } from './plan-revision.js';
import { openActionsOf, planSummaryOf } from './plan-summary.js';
import { reevaluationChanges, reevaluationLine, rebuildsPlan } from '../reevaluation.js';
import { reviewAcks } from './review-acks.js';
import { getOpportunitiesByIds } from '../../db/repositories/opportunities.js';

export interface Loaded {
  account: Account;
  state: AccountRowState;
  rules: EspRules;
}

export interface StageWork<T> {
  summary: T;
  input: unknown;
  output: Record<string, unknown>;
  explanation?: unknown;
  patch: AccountComputedPatch;
}

class AlreadyRecorded extends Error {
  constructor(readonly row: StageResultRow) {
    super('stage result already recorded');
  }
}

const summaryOf = <T>(row: StageResultRow): T => (row.output as { summary: T }).summary;

// An action without a due date is never overdue.
const actionLike = (a: PlanActionRow) => ({
  dueDate: a.dueDate ?? '9999-12-31',
  doneAt: a.doneAt ? a.doneAt.toISOString() : null,
});

// `defaulted`: fields an import only defaulted count as missing in every stage's decision.
function decideContext(input: StageInput, state: AccountRowState, extra: Partial<DecideContext> = {}): DecideContext {
  return {
    ...(input.quotaCutoffs ? { quota: { cutoffs: input.quotaCutoffs } } : {}),
    defaulted: state.importedDefaults,
    ...extra,
  };
}

function snapshotOf(d: {
  score: number;
  tier: Snapshot['tier'];
  class: Snapshot['class'];
  strategy: Snapshot['strategy'];
  closeness: number;
}): Snapshot {
  return { score: d.score, tier: d.tier, class: d.class, strategy: d.strategy, closeness: d.closeness };
}

/** The owner assignment needs the team's members and their loads; only that team is read. */
async function teamDirectoryFor(db: Db, teamId: string): Promise<TeamDirectory> {
  const team = await getTeam(db, teamId);
  const loads = team ? await memberLoads(db, teamId) : [];
  const counts = new Map(loads.map((l) => [l.userId, l.accounts]));
  return {
    team: (id) => (team && id === teamId ? { id, members: loads.map((l) => l.userId) } : undefined),
    accountCount: (memberId) => counts.get(memberId) ?? 0,
  };
}

/** The last visit on or before `asOf` (visits are logged with workflow dates; later ones are not yet). */
async function lastVisitOn(db: Db, accountId: string, asOf: string): Promise<string | null> {
  const [last] = await listVisits(db, accountId, { to: addDays(asOf, 1), limit: 1 });
  return last?.date ?? null;
}

type Explained = ReturnType<typeof explainAccount>;

const explained = (input: StageInput, { account, state, rules }: Loaded): Explained =>
  explainAccount(account, rules, decideContext(input, state));

/** The owner assignment needs the chosen team's members: decide once to know the team, then explain. */
async function explainedWithTeams(tx: Db, input: StageInput, ctx: Loaded): Promise<Explained> {
  const first = decideAccount(ctx.account, ctx.rules, decideContext(input, ctx.state));
  const teams = await teamDirectoryFor(tx, first.coverage.team);
  return explainAccount(ctx.account, ctx.rules, decideContext(input, ctx.state, { teams }));
}

function profileWork({ account, state, rules }: Loaded): StageWork<ProfileSummary> {
  const p = profile(account, rules.ruleSet, state.importedDefaults);
  return {
    summary: {
      ruleSet: ruleSetUsed(rules),
      industry: account.industry ?? null,
      owner: account.ownerId ?? null,
      completeness: p.completeness,
      missing: p.missing,
      ready: p.ready,
    },
    input: { ...account, importedDefaults: state.importedDefaults },
    output: { ...p },
    explanation: { checklist: rules.ruleSet.profile.checklist, minCompleteness: rules.ruleSet.profile.minCompleteness },
    patch: { stage: 'profile', waitingFor: p.ready ? null : 'profile-data' },
  };
}

function gradeWork(input: StageInput, { account, rules }: Loaded, { decision, explanation }: Explained): StageWork<GradeSummary> {
  return {
    summary: { ruleSet: ruleSetUsed(rules), score: decision.score, tier: decision.tier },
    input: {
      industry: account.industry ?? null,
      revenueWithUs: account.revenueWithUs ?? null,
      potential: account.potential ?? null,
      demonstration: account.demonstration ?? null,
      winnability: account.winnability ?? null,
      quotaCutoffs: input.quotaCutoffs ?? null,
    },
    output: { score: decision.score, dimensions: decision.dimensions, tier: decision.tier },
    explanation: explanation.grade,
    patch: { stage: 'grade', waitingFor: null, score: decision.score, tier: decision.tier },
  };
}

function classifyWork({ rules }: Loaded, { decision, explanation }: Explained): StageWork<ClassifySummary> {
  return {
    summary: { ruleSet: ruleSetUsed(rules), class: decision.class },
    input: { revenueScore: decision.dimensions.revenue, potentialScore: decision.dimensions.potential },
    output: {
      class: decision.class,
      contributionLevel: decision.contributionLevel,
      potentialLevel: decision.potentialLevel,
    },
    explanation: explanation.classify,
    patch: { stage: 'classify', waitingFor: null, class: decision.class },
  };
}

function relationshipWork({ account, rules }: Loaded, { decision, explanation }: Explained): StageWork<RelationshipSummary> {
  return {
    summary: {
      ruleSet: ruleSetUsed(rules),
      closeness: decision.closeness,
      advantage: decision.advantage,
      flags: decision.flags,
    },
    input: {
      contacts: account.contacts,
      competitors: account.competitors,
      influenceLinks: account.influenceLinks,
      previousCloseness: account.previousCloseness ?? null,
    },
    output: { ...decision.relationship, flags: decision.flags },
    explanation: explanation.relationship,
    patch: { stage: 'relationship', waitingFor: null, closeness: decision.closeness, advantage: decision.advantage },
  };
}

function coverageWork({ account, rules }: Loaded, { decision, explanation }: Explained): StageWork<CoverageSummary> {
  const c = decision.coverage;
  return {
    summary: {
      ruleSet: ruleSetUsed(rules),
      track: c.track,
      team: c.team,
      owner: c.owner,
      strategy: decision.strategy,
      snapshot: snapshotOf(decision),
    },
    input: {
      tier: decision.tier,
      industry: account.industry ?? null,
      region: account.region ?? null,
      ownerId: account.ownerId ?? null,
    },
    output: { coverage: c, strategy: decision.strategy, investment: decision.investment },
    explanation: { coverage: explanation.coverage, strategy: explanation.strategy, investment: explanation.investment },
    patch: {
      stage: 'coverage',
      waitingFor: null,
      coverageLine: c.line,
      coverageTeam: c.team,
      coverageTrack: c.track,
      presalesTier: c.presalesTier,
      strategy: decision.strategy,
      investment: decision.investment,
      ...(c.owner !== null && c.owner !== (account.ownerId ?? null) ? { ownerId: c.owner } : {}),
    },
  };
}

/** The four decision stages' work from one explained decision, in ASSESS_STAGES order. */
function assessWorks(input: StageInput, ctx: Loaded, e: Explained): StageWork<unknown>[] {
  return [gradeWork(input, ctx, e), classifyWork(ctx, e), relationshipWork(ctx, e), coverageWork(ctx, e)];
}

function assessSummary(works: readonly StageWork<unknown>[]): AssessSummary {
  const [grade, classify, relationship, coverage] = works.map((w) => w.summary);
  return {
    grade: grade as GradeSummary,
    classify: classify as ClassifySummary,
    relationship: relationship as RelationshipSummary,
    coverage: coverage as CoverageSummary,
  };
}

const mergedPatch = (works: readonly StageWork<unknown>[]): AccountComputedPatch =>
  Object.assign({}, ...works.map((w) => w.patch)) as AccountComputedPatch;

async function planWork(tx: Db, { account, state, rules }: Loaded, input: StageInput): Promise<StageWork<PlanSummary>> {
  const { decision, explanation } = explainAccount(account, rules, decideContext(input, state));
  const p = makePlan(
    {
      account,
      tier: decision.tier,
      strategy: decision.strategy,
      investment: decision.investment,
      presalesTier: decision.coverage.presalesTier,
      owner: account.ownerId ?? null,
      closeness: decision.closeness,
      competitors: decision.relationship.competitors,
      startDate: input.asOf,
    },
    rules.ruleSet,
  );
  const row = await createPlan(tx, {
    accountId: account.id,
    cycleYear: input.cycleYear,
    goal: p.goal,
    objectives: p.objectives,
    strategy: p.strategy,
    actions: p.actions.map((a) => ({ title: a.title, role: a.role, owner: a.owner, dueDate: a.dueDate })),
    resources: p.resources,
    tests: p.tests,
    valueProposition: p.valueProposition,
    needsApproval: p.needsApproval,
    createdBy: 'workflow',
  });
  return {
    summary: await planSummaryOf(tx, rules, row, decision.closeness),
    input: {
      tier: decision.tier,
      class: decision.class,
      strategy: decision.strategy,
      investment: decision.investment,
      closeness: decision.closeness,
    },
    output: { planId: row.id, version: row.version, status: row.status, plan: p },
    explanation: { strategy: explanation.strategy, investment: explanation.investment },
    patch: {
      stage: 'plan',
      waitingFor: p.needsApproval ? 'plan-approval' : null,
      strategy: p.strategy,
      investment: decision.investment,
    },
  };
}

async function executeWork(
  tx: Db,
  { account, state, rules }: Loaded,
  input: StageInput & { planId: number | null },
): Promise<StageWork<ExecuteSummary>> {
  const decision = decideAccount(account, rules, decideContext(input, state));
  const track = state.coverageTrack ?? decision.coverage.track;
  const cadenceDays = rules.ruleSet.execute.visitCadenceDays[decision.tier];
  const openActions = input.planId === null ? [] : openActionsOf(await listActions(tx, { planId: input.planId, open: true }));
  const lastVisit = await lastVisitOn(tx, account.id, input.asOf);
  return {
    summary: {
      ruleSet: ruleSetUsed(rules),
      monitorIntervalDays: rules.ruleSet.monitor.intervalDays,
      track,
      cadenceDays,
      openActions,
      lastVisit,
    },
    input: { planId: input.planId, tier: decision.tier },
    output: { track, cadenceDays, openActions: openActions.length, lastVisit, since: input.asOf },
    patch: { stage: 'execute', waitingFor: null },
  };
}

async function monitorWork(tx: Db, { account, state, rules }: Loaded, input: MonitorInput): Promise<StageWork<MonitorSummary>> {
  const ctx = decideContext(input, state);
  const tier = decideAccount(account, rules, ctx).tier;
  const lastVisit = await lastVisitOn(tx, account.id, input.asOf);
  const visits = visitStatus(lastVisit ? [lastVisit] : [], tier, input.asOf, input.executeSince, rules.ruleSet);
  const actions = input.planId === null ? [] : await listActions(tx, { planId: input.planId });
  const acts = actionStatus(actions.map(actionLike), input.asOf);
  // A strategy the manager overrode (and the approver accepted) is measured against what the rules
  // proposed then: the rules still proposing it is no reason to go back to plan.
  const proposed = input.planId === null ? undefined : (await getPlan(tx, input.planId))?.strategyOverride?.proposed;
  const { result, explanation } = explainMonitor(account, rules, {
    ...ctx,
    plan: input.plan ? { ...input.plan, ...(proposed ? { strategy: proposed } : {}) } : undefined,
    overdueVisits: visits.overdueVisits,
    openActions: acts.open,
    overdueActions: acts.overdue,
  });
  const d = result.decision;
  return {
    summary: {
      ruleSet: ruleSetUsed(rules),
      monitorIntervalDays: rules.ruleSet.monitor.intervalDays,
      health: result.health,
      alerts: result.alerts.map((a) => a.alert),
      backToPlan: result.backToPlan,
      score: d.score,
      tier: d.tier,
      class: d.class,
      strategy: d.strategy,
      closeness: d.closeness,
      overdueVisits: visits.overdueVisits,
      lastVisit,
      openActions: openActionsOf(actions),
      overdueActions: acts.overdue,
    },
    input: {
      plan: input.plan,
      executeSince: input.executeSince,
      lastVisit,
      overdueVisits: visits.overdueVisits,
      openActions: acts.open,
      overdueActions: acts.overdue,
    },
    output: {
      health: result.health,
      alerts: result.alerts,
      backToPlan: result.backToPlan,
      planStrategy: result.planStrategy,
      strategy: d.strategy,
      score: d.score,
      tier: d.tier,
      class: d.class,
      closeness: d.closeness,
      flags: d.flags,
      visits,
    },
    explanation: { health: explanation.health, strategy: explanation.strategy },
    patch: {
      stage: 'execute',
      waitingFor: null,
      score: d.score,
      tier: d.tier,
      class: d.class,
      closeness: d.closeness,
      advantage: d.advantage,
      health: result.health,
    },
  };
}

/**
 * What a re-evaluation compares with: a plan whose strategy the manager overrode (with a reason the
 * approver accepted) rests on the strategy the rules proposed, so the rules still proposing it is no
 * change, and the override stands.
 */
function basisOfPlan(before: ReevaluationBasis, plan: Pick<PlanRow, 'strategyOverride'> | undefined): ReevaluationBasis {
  const proposed = plan?.strategyOverride?.proposed;
  return proposed ? { ...before, strategy: proposed } : before;
}

export function stageActivities(s: Shared) {
  const acks = reviewAcks();
  async function load(accountId: string): Promise<Loaded> {
    const found = await getAccountWithState(s.db, accountId);
    if (!found) throw new NonRetryable(`account "${accountId}" does not exist`, 'AccountNotFound');
    return { ...found, rules: await s.rules(found.account.industry ?? null) };
  }

  /**
   * Runs `work` once per activity: its stages' audit rows, keyed by the activity's identity (and
   * the stage when one activity decides several), and the account's computed columns are written
   * in one transaction. A retry after a commit answers with what was recorded: its first row
   * conflicts with the recorded one, which rolls back whatever its `work` wrote. (No lookup
   * before the work: retries are rare, and the lookup was one more query for every activity.)
   */
  async function onceAll(
    input: StageInput,
    stages: readonly Stage[],
    /** The work of the first stages of `stages` (all, or fewer when it stops early). */
    work: (tx: Db, ctx: Loaded) => Promise<StageWork<unknown>[]>,
  ): Promise<unknown[]> {
    return guarded(async () => {
      await testDelay(s.delayMs);
      const activityKey = idempotencyKey();
      const keys = stages.length === 1 ? [activityKey] : stages.map((stage) => `${activityKey}/${stage}`);
      const ctx = await load(input.accountId);
      try {
        return await s.db.transaction(async (tx) => {
          const works = await work(tx, ctx);
          const ref = ctx.rules.ref;
          for (const [i, r] of works.entries()) {
            const { row, inserted } = await appendStageResult(tx, {
              accountId: input.accountId,
              cycleYear: input.cycleYear,
              stage: stages[i]!,
              ruleSetIndustry: ref.industry,
              ruleSetVersion: ref.version ?? 0,
              input: i === 0 && input.accountChange ? { ...(r.input as object), accountChange: input.accountChange } : r.input,
              output: { ...r.output, summary: r.summary },
              explanation: r.explanation ?? null,
              idempotencyKey: keys[i]!,
            });
            // Another attempt of this very activity got there first: undo ours, answer with its result.
            if (!inserted) throw new AlreadyRecorded(row);
          }
          await updateComputed(tx, input.accountId, {
            ...(Object.assign({}, ...works.map((r) => r.patch)) as AccountComputedPatch),
            cycleYear: input.cycleYear,
            ruleSetIndustry: ref.industry,
            ruleSetVersion: ref.version ?? 0,
            evaluatedVersion: ctx.state.version,
          });
          return works.map((r) => r.summary);
        });
      } catch (error) {
        if (error instanceof AlreadyRecorded) return recordedSummaries(keys);
        throw error;
      }
    });
  }

  /** The recorded summaries of the stages the committed attempt decided: a prefix of `keys`. */
  async function recordedSummaries(keys: readonly string[]): Promise<unknown[]> {
    const rows = await Promise.all(keys.map((key) => stageResultByKey(s.db, key)));
    const decided = rows.findIndex((row) => !row);
    if (decided === 0) throw new Error(`stage result ${keys[0]} is missing though its activity committed`);
    return rows.slice(0, decided < 0 ? rows.length : decided).map((row) => summaryOf(row!));
  }

  async function once<T>(stage: Stage, input: StageInput, work: (tx: Db, ctx: Loaded) => Promise<StageWork<T>>): Promise<T> {
    const [summary] = await onceAll(input, [stage], async (tx, ctx) => [await work(tx, ctx)]);
    return summary as T;
  }

  function reviewOnce(input: ReviewStageInput): Promise<ReviewSummary> {
    return once('review', input, async (tx, { account, state, rules }) => {
      const quota = { rankedTier: input.rankedTier ?? undefined, cutoffs: input.quotaCutoffs ?? undefined };
      const decision = decideAccount(account, rules, { quota, defaulted: state.importedDefaults });
      const after = snapshotOf(decision);
      const plan = input.planId !== null ? await getPlan(tx, input.planId) : await currentPlan(tx, account.id, input.cycleYear);
      const objective = (plan?.objectives as { revenue?: { target?: number } } | undefined)?.revenue?.target ?? null;
      const actions = plan ? await listActions(tx, { planId: plan.id }) : [];
      const opportunities = await getOpportunitiesByIds(tx, input.opportunityIds);
      const review = reviewAccount(
        {
          accountId: account.id,
          objective,
          actualRevenue: account.revenueWithUs ?? 0,
          actions: actions.map(actionLike),
          opportunities: opportunities.map((o) => ({ estimatedValue: o.estimatedValue ?? 0 })),
          before: input.before,
          after,
        },
        input.asOf,
      );
      await recordReview(tx, {
        accountId: account.id,
        year: input.reviewYear,
        runId: input.reviewRunId,
        attainment: review.attainment,
        actionsDoneShare: review.actionsDoneShare,
        opportunitiesCount: review.opportunities.count,
        opportunitiesValue: review.opportunities.value,
        closenessChange: review.closenessChange,
        scoreBefore: input.before?.score ?? null,
        scoreAfter: after.score,
        tierBefore: input.before?.tier ?? null,
        tierAfter: after.tier,
        classBefore: input.before?.class ?? null,
        classAfter: after.class,
        strategyBefore: input.before?.strategy ?? null,
        strategyAfter: after.strategy,
      });
      // The review closes the cycle: a plan still waiting for approval was built for it.
      const withdrawn = input.withdrawPendingPlans
        ? { withdrawnPlans: await withdrawPendingPlans(tx, account.id, Math.max(input.reviewYear, input.cycleYear)) }
        : {};
      return {
        summary: {
          ruleSet: ruleSetUsed(rules),
          attainment: review.attainment,
          actionsDoneShare: review.actionsDoneShare,
          opportunities: review.opportunities,
          after,
          ...withdrawn,
        },
        input: {
          reviewYear: input.reviewYear,
          planId: plan?.id ?? null,
          objective,
          rankedTier: input.rankedTier ?? null,
          before: input.before,
        },
        output: { ...review, ...withdrawn },
        patch: {
          stage: 'review',
          waitingFor: input.holdNextCycle ? 'cycle-start' : null,
          score: after.score,
          tier: after.tier,
          class: after.class,
          closeness: after.closeness,
          advantage: decision.advantage,
          strategy: after.strategy,
          investment: decision.investment,
          // The review is the "last evaluation" the win-back rule measures a closeness drop from.
          previousCloseness: after.closeness,
        },
      };
    });
  }

  return {
    async profileStage(input: StageInput): Promise<ProfileSummary> {
      return once('profile', input, async (_tx, ctx) => profileWork(ctx));
    },

    /**
     * Since account-workflow-v2: the profile, and when it is ready grade … coverage, in one
     * activity (one read of the account, five audit rows in one transaction).
     */
    async profileAndAssess(input: StageInput): Promise<ProfileAssessSummary> {
      const [profiled, ...assessed] = await onceAll(input, ['profile', ...ASSESS_STAGES], async (tx, ctx) => {
        const p = profileWork(ctx);
        if (!p.summary.ready) return [p];
        return [p, ...assessWorks(input, ctx, await explainedWithTeams(tx, input, ctx))];
      });
      const [grade, classify, relationship, coverage] = assessed;
      return {
        profile: profiled as ProfileSummary,
        assess: coverage ? ({ grade, classify, relationship, coverage } as AssessSummary) : null,
      };
    },

    async gradeStage(input: StageInput): Promise<GradeSummary> {
      return once('grade', input, async (_tx, ctx) => gradeWork(input, ctx, explained(input, ctx)));
    },

    async classifyStage(input: StageInput): Promise<ClassifySummary> {
      return once('classify', input, async (_tx, ctx) => classifyWork(ctx, explained(input, ctx)));
    },

    async relationshipStage(input: StageInput): Promise<RelationshipSummary> {
      return once('relationship', input, async (_tx, ctx) => relationshipWork(ctx, explained(input, ctx)));
    },

    async coverageStage(input: StageInput): Promise<CoverageSummary> {
      return once('coverage', input, async (tx, ctx) => coverageWork(ctx, await explainedWithTeams(tx, input, ctx)));
    },

    /**
     * Grade, classify, relationship and coverage in one activity: one read of the account, one
     * explained decision, four audit rows in one transaction. The four stages are pure functions
     * of the same data, so deciding them together also means they all see the same account.
     */
    async assessStages(input: StageInput): Promise<AssessSummary> {
      const [grade, classify, relationship, coverage] = await onceAll(input, ASSESS_STAGES, async (tx, ctx) =>
        assessWorks(input, ctx, await explainedWithTeams(tx, input, ctx)),
      );
      return {
        grade: grade as GradeSummary,
        classify: classify as ClassifySummary,
        relationship: relationship as RelationshipSummary,
        coverage: coverage as CoverageSummary,
      };
    },

    async planStage(input: StageInput): Promise<PlanSummary> {
      return once('plan', input, (tx, ctx) => planWork(tx, ctx, input));
    },

    /**
     * Since account-workflow-v2: the plan, and when it needs no approval the start of its
     * execution, in one activity (one read of the account, one transaction).
     */
    async planAndStart(input: StageInput): Promise<PlanStartSummary> {
      const [planned, started] = await onceAll(input, ['plan', 'execute'], async (tx, ctx) => {
        const plan = await planWork(tx, ctx, input);
        if (plan.summary.plan.needsApproval) return [plan];
        return [plan, await executeWork(tx, ctx, { ...input, planId: plan.summary.plan.id })];
      });
      return { plan: planned as PlanSummary, execution: (started as ExecuteSummary | undefined) ?? null };
    },

    /** The manager's revised plan (the `submitPlan` update): the next plan version of the cycle. */
    async revisePlan(input: PlanRevisionInput): Promise<PlanSummary> {
      return once('plan', input, (tx, ctx) =>
        revisedPlanWork(tx, ctx, input, explainAccount(ctx.account, ctx.rules, decideContext(input, ctx.state))),
      );
    },

    /** The manager's decision on a pending plan (no audit row: the plan row records who and when). */
    async decidePlan(input: PlanDecisionInput): Promise<PlanDecisionSummary> {
      return guarded(async () => {
        const plan = await getPlan(s.db, input.planId);
        if (!plan || plan.accountId !== input.accountId)
          throw new NonRetryable(`plan ${input.planId} is not a plan of account "${input.accountId}"`, 'NotFound');
        const wanted = input.approve ? 'approved' : 'rejected';
        if (plan.status === 'pending-approval') {
          await s.db.transaction(async (tx) => {
            if (input.approve) await approvePlan(tx, plan.id, input.by);
            else await rejectPlan(tx, plan.id, input.by, input.reason ?? '');
            await updateComputed(tx, input.accountId, { waitingFor: input.approve ? null : 'plan-revision' });
          });
        } else if (plan.status === 'withdrawn') {
          // The review closed its cycle while the decision was on its way. The details say which
          // plan of which cycle: the workflow's own cycle may be a later one.
          const withdrawn: WithdrawnPlanRef = { id: plan.id, version: plan.version, cycleYear: plan.cycleYear };
          throw new NonRetryable(
            `plan ${plan.id} (version ${plan.version} of ${plan.cycleYear}) was withdrawn when the review closed its cycle`,
            'PlanWithdrawn',
            withdrawn,
          );
        } else if (plan.status !== wanted) {
          // Approved or rejected by someone else (e.g. directly in the database) in the meantime.
          throw new NonRetryable(`plan ${plan.id} is ${plan.status}, not pending approval`, 'Conflict');
        }
        const openActions = input.approve ? openActionsOf(await listActions(s.db, { planId: plan.id, open: true })) : [];
        return { planId: plan.id, status: wanted, openActions };
      });
    },

    async startExecution(input: StageInput & { planId: number | null }): Promise<ExecuteSummary> {
      return once('execute', input, (tx, ctx) => executeWork(tx, ctx, input));
    },

    async monitorStage(input: MonitorInput): Promise<MonitorSummary> {
      return once('monitor', input, (tx, ctx) => monitorWork(tx, ctx, input));
    },

    /**
     * Since account-workflow-v3, a re-evaluation in execute (rules published, account changed):
     * grade … coverage and the monitor in one activity and one audit row, which says what changed
     * against what the workflow had, or "no change".
     */
    async reevaluateAndMonitor(input: ReevaluateMonitorInput): Promise<ReevaluateMonitorSummary> {
      return once('monitor', input, async (tx, ctx) => {
        const assessed = assessWorks(input, ctx, await explainedWithTeams(tx, input, ctx));
        const monitor = await monitorWork(tx, ctx, input);
        const assess = assessSummary(assessed);
        const changes = reevaluationChanges(
          basisOfPlan(input.before, input.planId === null ? undefined : await getPlan(tx, input.planId)),
          assess,
        );
        return {
          summary: { ...monitor.summary, assess, changes },
          input: { before: input.before, ...(monitor.input as Record<string, unknown>) },
          output: {
            ...monitor.output,
            reevaluated: {
              line: reevaluationLine(ruleSetUsed(ctx.rules), changes),
              changes,
              decided: Object.fromEntries(assessed.map((w, i) => [ASSESS_STAGES[i], w.output])),
            },
          },
          explanation: monitor.explanation,
          patch: { ...mergedPatch(assessed), ...monitor.patch },
        };
      });
    },

    /**
     * Since account-workflow-v3, a re-evaluation while a plan waits for approval: grade … coverage
     * in one audit row; when tier, class or strategy changed, the pending plan is replaced by one
     * built under the rules now in force (and started when that one needs no approval); otherwise
     * it stands, confirmed under them.
     */
    async reevaluatePlan(input: ReevaluatePlanInput): Promise<ReevaluatePlanSummary> {
      const [re, plan, execution] = await onceAll(input, ['grade', 'plan', 'execute'], async (tx, ctx) => {
        const assessed = assessWorks(input, ctx, await explainedWithTeams(tx, input, ctx));
        const assess = assessSummary(assessed);
        const changes = reevaluationChanges(basisOfPlan(input.before, await getPlan(tx, input.planId)), assess);
        const row: StageWork<unknown> = {
          summary: { ...assess.grade, assess, changes },
          input: { before: input.before, planId: input.planId },
          output: {
            reevaluated: { line: reevaluationLine(ruleSetUsed(ctx.rules), changes), changes, planRebuilt: rebuildsPlan(changes) },
            decided: Object.fromEntries(assessed.map((w, i) => [ASSESS_STAGES[i], w.output])),
          },
          explanation: assessed[0]!.explanation,
          patch: { ...mergedPatch(assessed), stage: 'plan', waitingFor: 'plan-approval' },
        };
        if (!rebuildsPlan(changes)) return [row];
        const rebuilt = await planWork(tx, ctx, input);
        if (rebuilt.summary.plan.needsApproval) return [row, rebuilt];
        return [row, rebuilt, await executeWork(tx, ctx, { ...input, planId: rebuilt.summary.plan.id })];
      });
      const { assess, changes } = re as { assess: AssessSummary; changes: ReevaluationChange[] };
      return {
        assess,
        changes,
        rebuilt: plan ? { plan: plan as PlanSummary, execution: (execution as ExecuteSummary | undefined) ?? null } : null,
      };
    },

    async reviewStage(input: ReviewStageInput): Promise<ReviewSummary> {
      const summary = await reviewOnce(input);
      if (input.acknowledgeTo) {
        // At least once: a retried activity acknowledges again, which the review run ignores.
        await acks.send(Context.current().client, input.acknowledgeTo, { accountId: input.accountId, ok: true }).catch(() => {
          // The review run is gone (finished or terminated); the review row is written either way.
        });
      }
      return summary;
    },
  };
}
