/**
 * One durable workflow per account (`account:<id>`): profile → grade → classify → relationship →
 * coverage → plan → (monitor ‖ execute) → review, then continue-as-new into the next cycle.
 *
 * Workflow code must be deterministic: only `@temporalio/workflow`, types and pure code here; all
 * I/O is in the activities. Any change to what this code does for an existing history must go
 * through `patched()` (see workflows/README.md), and the replay test fails when it does not.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { isCalendarDate } from '../engine/calendar-date.js';
import type { EspActivities } from './activities/index.js';
import {
  accountReviewedSignal,
  accountUpdatedSignal,
  approvePlanUpdate,
  completeActionUpdate,
  logOpportunityUpdate,
  reopenActionUpdate,
  logVisitUpdate,
  profileUpdatedSignal,
  reviewSignal,
  rulesPublishedSignal,
  startCycleSignal,
  stateQuery,
  submitPlanUpdate,
} from './messages.js';
import { changeNeedsReevaluation } from './account-changes.js';
import { reevaluationLine } from './reevaluation.js';
import { refusal } from './refusals.js';
import {
  espSearchAttributeUpdates,
  SEARCH_ATTRIBUTE_KEYS,
  SEARCH_ATTRIBUTES,
  type SearchAttributeName,
} from './search-attributes.js';
import {
  ACTION_NOTE_MAX_LENGTH,
  ASSESS_STAGES,
  PLAN_APPROVER_ROLES,
  type AssessSummary,
  type ClassifySummary,
  type MonitorSummary,
  type ReevaluationBasis,
  type ReevaluationChange,
  type ExecuteSummary,
  type CoverageSummary,
  type GradeSummary,
  type PlanStartSummary,
  type PlanSummary,
  type ProfileAssessSummary,
  type ProfileSummary,
  type RelationshipSummary,
  type AccountState,
  type AccountWorkflowInput,
  type ReviewAck,
  type ReviewRequest,
  type Stage,
  type StageInput,
  type StageRun,
  type Step,
  type WaitingFor,
  type WithdrawnPlanRef,
} from './types.js';

const DAY_MS = 86_400_000;
const CYCLE_HOLD_MAX_MS = 7 * DAY_MS;

/** The history's one-line summaries of the decision stages. */
const SUMMARY = {
  profile: (r: ProfileSummary) =>
    `completeness ${Math.round(r.completeness * 100)}%${r.ready ? '' : `, missing ${r.missing.join(', ')}`}`,
  grade: (r: GradeSummary) => `score ${r.score}, tier ${r.tier}`,
  classify: (r: ClassifySummary) => `class ${r.class}`,
  relationship: (r: RelationshipSummary) =>
    `closeness ${r.closeness}, advantage ${r.advantage}${r.flags.length ? `; flags ${r.flags.join(', ')}` : ''}`,
  coverage: (r: CoverageSummary) => `${r.track} via ${r.team}, owner ${r.owner ?? 'none'}`,
  plan: (r: PlanSummary) => `plan v${r.plan.version}: ${r.plan.strategy}${r.plan.needsApproval ? ', needs approval' : ''}`,
  execute: (r: ExecuteSummary) => `${r.track}: ${r.openActions.length} open actions, visits every ${r.cadenceDays} days`,
};
/** One history line per stage `assessStages` (or `profileAndAssess`) decided, in ASSESS_STAGES order. */
const assessLines = (r: AssessSummary): string[] => [
  SUMMARY.grade(r.grade),
  SUMMARY.classify(r.classify),
  SUMMARY.relationship(r.relationship),
  SUMMARY.coverage(r.coverage),
];
const MAX_HISTORY_ENTRIES = 60;
const MAX_PREVIOUS_CYCLES = 5;

// Stage activities retry forever with backoff: a database that is down for an hour only delays
// the account. Only non-retryable failures (bad data) come back to the workflow.
const STAGE_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;

function proxies(input: AccountWorkflowInput, v2: boolean) {
  const o = input.options ?? {};
  const stageOptions: ActivityOptions = { startToCloseTimeout: o.activityTimeout ?? '1 minute', retry: STAGE_RETRY };
  const stages = o.localActivities
    ? proxyLocalActivities<EspActivities>({ ...stageOptions, localRetryThreshold: '10 seconds' })
    : proxyActivities<EspActivities>(stageOptions);
  // Updates wait for these: a person gets an answer (or an error) within about a minute. On v2,
  // local like the stages when those are: the update completes in the workflow task that took it.
  const peopleOptions: ActivityOptions = {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 6 },
  };
  const people =
    v2 && o.localActivities
      ? proxyLocalActivities<EspActivities>({ ...peopleOptions, localRetryThreshold: '10 seconds' })
      : proxyActivities<EspActivities>(peopleOptions);
  const handoff = proxyActivities<EspActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 15 },
  });
  return { stages, people, handoff };
}

const nowIso = (): string => new Date(Date.now()).toISOString();
const today = (): string => nowIso().slice(0, 10);

function initialState(input: AccountWorkflowInput): AccountState {
  return {
    accountId: input.accountId,
    cycleYear: input.cycleYear ?? new Date(Date.now()).getUTCFullYear(),
    step: 'profile',
    stage: 'profile',
    waitingFor: null,
    industry: null,
    ruleSet: null,
    owner: null,
    score: null,
    tier: null,
    class: null,
    strategy: null,
    health: null,
    closeness: null,
    track: null,
    completeness: null,
    missing: [],
    plan: null,
    lastRejection: null,
    openActions: [],
    overdueVisits: 0,
    lastVisit: null,
    executeSince: null,
    monitors: 0,
    monitorIntervalDays: null,
    lastMonitorAt: null,
    nextMonitorAt: null,
    alerts: [],
    opportunityIds: [],
    cycleStart: null,
    quotaCutoffs: null,
    history: [],
    previousCycles: [],
    lastError: null,
    retryStep: null,
    reevaluating: false,
    monitorNow: false,
    lastHandoff: null,
    run: 1,
  };
}

/** The next cycle starts at profile with the account's history (tier, quota cutoffs, past cycles) kept. */
function nextCycle(s: AccountState, year: number, req: ReviewRequest, attainment: number | null): AccountState {
  const fresh = initialState({ accountId: s.accountId, cycleYear: year });
  return {
    ...fresh,
    industry: s.industry,
    ruleSet: s.ruleSet,
    owner: s.owner,
    score: s.score,
    tier: s.tier,
    class: s.class,
    strategy: s.strategy,
    health: s.health,
    closeness: s.closeness,
    track: s.track,
    lastVisit: s.lastVisit,
    quotaCutoffs: req.cutoffs ?? s.quotaCutoffs,
    previousCycles: [
      ...s.previousCycles,
      {
        year: s.cycleYear,
        tier: s.tier,
        class: s.class,
        strategy: s.strategy,
        attainment,
        monitors: s.monitors,
        opportunities: s.opportunityIds.length,
      },
    ].slice(-MAX_PREVIOUS_CYCLES),
    run: s.run,
  };
}

function failureInfo(error: unknown): { message: string; type: string | null; nonRetryable: boolean } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure)
    return { message: cause.message, type: cause.type ?? null, nonRetryable: cause.nonRetryable === true };
  return { message: (cause as Error | undefined)?.message ?? String(error), type: null, nonRetryable: false };
}

/** The plan an activity's `PlanWithdrawn` failure names in its details (failures recorded before it did have none). */
function withdrawnPlanOf(error: unknown): WithdrawnPlanRef | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as Partial<WithdrawnPlanRef> | undefined) : undefined;
  return typeof details?.cycleYear === 'number' && typeof details.version === 'number'
    ? (details as WithdrawnPlanRef)
    : undefined;
}

/** Update handlers fail the update (not the workflow) with an ApplicationFailure. */
function updateFailure(error: unknown): ApplicationFailure {
  const info = failureInfo(error);
  return ApplicationFailure.create({ message: info.message, type: info.type ?? 'UpdateFailed', nonRetryable: true });
}

export async function accountWorkflow(input: AccountWorkflowInput): Promise<void> {
  // One patch covers what runs started since `account-workflow-v2` do differently, because every
  // `patched()` call also upserts the TemporalChangeVersion search attribute: a visibility write per
  // call and run. Such runs write search attributes only when about to block, hold the next cycle
  // in the reviewed run, run grade..coverage in one activity without asking its own patch, and run
  // the updates' activities locally when the stages are local.
  // Since `account-workflow-v3` (which implies v2, so a new run asks one patch): the first monitor
  // at execution start; re-evaluations (rules published, decision inputs changed) reach a plan
  // waiting for approval and run in execute as one activity with the monitor; stage summaries
  // follow decisions, actions and visits; a workflow whose account is gone ends.
  // Since `account-workflow-v4` (which implies v3): a stage activity's audit row names the account
  // changes (`accountUpdated`: fields, by whom) signalled since a stage last read the account.
  // Since `account-workflow-v5` (which implies v4): the review waits for a decision being recorded,
  // refuses plan decisions while it runs (`reviewInProgress`), and withdraws the plans still
  // pending in the cycle it closes; a decision naming a withdrawn plan is refused (`planWithdrawn`).
  const v5 = patched('account-workflow-v5');
  const v4 = v5 || patched('account-workflow-v4');
  const v3 = v4 || patched('account-workflow-v3');
  const v2 = v3 || patched('account-workflow-v2');
  const { stages, people, handoff } = proxies(input, v2);
  // Replaced (not copied into) when a review holds the next cycle in this run; handlers read the binding.
  let state: AccountState = input.carried ? { ...input.carried, run: input.carried.run + 1 } : initialState(input);
  const maxHistoryEvents = input.options?.maxHistoryEvents ?? 10_000;

  // Wake-up flags set by signals; each wait says which ones end it.
  let profileDirty = false;
  let accountDirty = false;
  let rulesDirty = false;
  /** On v3: an account change that the decisions read (not just the name). */
  let decisionsDirty = false;
  /** The `accountUpdated` changes no stage has read yet: which fields, by whom. */
  let unreadChange: { fields: Set<string>; by: Set<string> } | null = null;
  let reviewRequest: ReviewRequest | null = null;
  let cycleReleased = false;
  /** This run reviewed its cycle and holds the next one (`cycle-wait`), which starts in a new run. */
  let holdingNextCycle = false;
  let deciding = false;
  /** Since v5: the year under review while the review activity runs; plan decisions wait for the next cycle. */
  let reviewingYear: number | null = null;
  /** A revised plan was submitted (`submitPlan`) and set the next step: ends the revision wait. */
  let planSubmitted = false;
  const deliveries = new Set<Promise<void>>();

  // ---- search attributes ----------------------------------------------------------------------

  const upserted: Partial<Record<SearchAttributeName, string | null>> = {};
  for (const name of SEARCH_ATTRIBUTES) {
    const current = workflowInfo().typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS[name]);
    upserted[name] = typeof current === 'string' ? current : null;
  }
  // On v2 the search attributes are written only when the workflow is about to block (a wait, an
  // activity task, a signal to another workflow): one upsert, one visibility write, per workflow
  // task instead of one per stage, since nobody outside sees a task's states in between.
  function syncSearchAttributes(): void {
    if (!v2) writeSearchAttributes();
  }
  function flushSearchAttributes(): void {
    if (v2) writeSearchAttributes();
  }
  function writeSearchAttributes(): void {
    const wanted: Record<SearchAttributeName, string | null> = {
      EspStage: state.stage,
      EspTier: state.tier,
      EspClass: state.class,
      EspStrategy: state.strategy,
      EspHealth: state.health,
      EspIndustry: state.industry,
      EspOwner: state.owner,
    };
    const changes: Partial<Record<SearchAttributeName, string | null>> = {};
    for (const name of SEARCH_ATTRIBUTES) {
      if (wanted[name] !== upserted[name]) {
        changes[name] = wanted[name];
        upserted[name] = wanted[name];
      }
    }
    if (Object.keys(changes).length > 0) upsertSearchAttributes(espSearchAttributeUpdates(changes));
  }

  // ---- helpers ---------------------------------------------------------------------------------

  const baseInput = (): StageInput => ({
    accountId: state.accountId,
    cycleYear: state.cycleYear,
    asOf: today(),
    quotaCutoffs: state.quotaCutoffs,
  });
  /**
   * A stage activity's input. Since v4 it hands on the account changes signalled since the last
   * stage read the account (fields, who), for its audit row to name.
   */
  const stageInput = (): StageInput => {
    const change = unreadChange;
    if (!change || !v4) return baseInput();
    unreadChange = null;
    return { ...baseInput(), accountChange: { fields: [...change.fields].sort(), by: [...change.by].sort() } };
  };

  function record(entry: StageRun): void {
    state.history.push(entry);
    if (state.history.length > MAX_HISTORY_ENTRIES) state.history.splice(0, state.history.length - MAX_HISTORY_ENTRIES);
  }

  /**
   * Runs one activity that decides `stages` (usually one); a non-retryable failure is recorded and
   * returns undefined. `summarize` gives one line per stage for the history.
   */
  async function runStages<T>(
    stages: readonly Stage[],
    run: () => Promise<T>,
    summarize: (r: T) => readonly string[],
  ): Promise<T | undefined> {
    state.stage = stages[0]!;
    state.waitingFor = null;
    syncSearchAttributes();
    // An activity task ends the workflow task; a local activity runs within it.
    if (!input.options?.localActivities) flushSearchAttributes();
    const startedAt = nowIso();
    const entries: StageRun[] = stages.map((stage) => ({ stage, startedAt, endedAt: null, summary: null }));
    entries.forEach(record);
    try {
      const result = await run();
      const endedAt = nowIso();
      const lines = summarize(result);
      entries.forEach((entry, i) => Object.assign(entry, { endedAt, summary: lines[i] ?? null }));
      state.stage = stages.at(-1)!;
      if (state.lastError && stages.includes(state.lastError.stage) && !state.lastError.resolvedAt)
        state.lastError.resolvedAt = endedAt;
      return result;
    } catch (error) {
      const info = failureInfo(error);
      const endedAt = nowIso();
      for (const entry of entries) Object.assign(entry, { endedAt, error: info.message });
      state.lastError = { stage: stages[0]!, ...info, at: endedAt, resolvedAt: null };
      return undefined;
    }
  }

  const runStage = <T>(stage: Stage, run: () => Promise<T>, summarize: (r: T) => string): Promise<T | undefined> =>
    runStages([stage], run, (r) => [summarize(r)]);

  // What each decision stage's result changes, whether it ran alone or in `assessStages`.
  const afterGrade = (r: GradeSummary) => Object.assign(state, { score: r.score, tier: r.tier, ruleSet: r.ruleSet });
  const afterClassify = (r: ClassifySummary) => (state.class = r.class);
  const afterRelationship = (r: RelationshipSummary) => (state.closeness = r.closeness);
  function afterCoverage(r: CoverageSummary): void {
    Object.assign(state, { track: r.track, owner: r.owner ?? state.owner });
    state.cycleStart ??= r.snapshot;
    if (state.reevaluating) {
      // Re-evaluated inside the execute loop: the monitor checks the plan against it at once.
      state.reevaluating = false;
      state.monitorNow = true;
      state.step = 'execute';
    } else {
      state.strategy = r.strategy;
      state.step = 'plan';
    }
    syncSearchAttributes();
  }

  function afterProfile(r: ProfileSummary): void {
    Object.assign(state, {
      industry: r.industry,
      owner: r.owner,
      ruleSet: r.ruleSet,
      completeness: r.completeness,
      missing: r.missing,
    });
    state.step = r.ready ? 'grade' : 'profile-wait';
    syncSearchAttributes();
  }

  /** Stages decided by the activity that just ran as another stage: their entries share its end. */
  function recordDecidedAlongside(stages: readonly Stage[], lines: readonly string[]): void {
    const at = state.history.at(-1)!.endedAt!;
    stages.forEach((stage, i) => record({ stage, startedAt: at, endedAt: at, summary: lines[i]! }));
    state.stage = stages.at(-1)!;
  }

  /** grade … coverage decided by the profile's activity. */
  function afterAssess(r: AssessSummary): void {
    rulesDirty = false;
    recordDecidedAlongside(ASSESS_STAGES, assessLines(r));
    afterGrade(r.grade);
    afterClassify(r.classify);
    afterRelationship(r.relationship);
    afterCoverage(r.coverage);
  }

  function afterPlan(r: PlanSummary): void {
    state.plan = v3 ? { ...r.plan, ruleSet: r.ruleSet } : r.plan;
    state.strategy = r.plan.strategy;
    state.lastRejection = null;
    if (r.plan.needsApproval) {
      state.step = 'plan-approval';
    } else {
      state.openActions = r.openActions;
      state.step = 'execute-start';
    }
    syncSearchAttributes();
  }

  function afterExecutionStart(r: ExecuteSummary): void {
    state.track = r.track;
    state.openActions = r.openActions;
    state.lastVisit = r.lastVisit ?? state.lastVisit;
    // The visit clock runs from the first execution of the cycle, not from a re-plan.
    state.executeSince ??= today();
    applyMonitorInterval(r.monitorIntervalDays);
    state.step = 'execute';
    if (v3) {
      // Health from day one: the first monitor runs now; later ones follow the interval.
      state.monitorNow = true;
      state.visitCadenceDays = r.cadenceDays;
    }
  }

  /** What a re-evaluation compares against: what this workflow decided, the plan's strategy. */
  const reevaluationBasis = (): ReevaluationBasis => ({
    tier: state.tier,
    class: state.class,
    strategy: state.plan?.strategy ?? state.strategy,
    track: state.track,
  });

  /** A re-evaluation's grade … coverage; the strategy stays the plan's until a new plan is made. */
  function applyReevaluation(a: AssessSummary): void {
    afterGrade(a.grade);
    afterClassify(a.classify);
    afterRelationship(a.relationship);
    Object.assign(state, { track: a.coverage.track, owner: a.coverage.owner ?? state.owner });
  }

  /** Rewrites the newest history line of `stage` (summaries follow decisions, actions and visits). */
  function restate(stage: Stage, summary: string): void {
    const entry = state.history.findLast((e) => e.stage === stage && e.summary !== null);
    if (entry) entry.summary = summary;
  }

  function restateExecution(): void {
    if (!state.track || state.visitCadenceDays == null) return;
    restate(
      'execute',
      `${state.track}: ${state.openActions.length} open actions, visits every ${state.visitCadenceDays} days` +
        (state.lastVisit ? `, last visit ${state.lastVisit}` : ''),
    );
  }

  /**
   * A plan waiting for approval meets a rules publish or a change of its decision inputs: re-grade
   * under the rules now in force; a plan whose tier, class or strategy changed is rebuilt (the
   * approver sees under which rule set), any other is confirmed under the new version.
   */
  async function reevaluatePendingPlan(): Promise<void> {
    rulesDirty = decisionsDirty = accountDirty = profileDirty = false;
    const plan = state.plan!;
    // Not `plan-approval` while it runs: an approval now would decide a plan about to be replaced.
    state.step = 'plan';
    const r = await runStage(
      'grade',
      () => stages.reevaluatePlan({ ...stageInput(), planId: plan.id, before: reevaluationBasis() }),
      (r) => reevaluationLine(r.assess.grade.ruleSet, r.changes) + (r.rebuilt ? '; plan rebuilt' : ''),
    );
    if (!r) {
      failStep('plan-approval');
      return;
    }
    applyReevaluation(r.assess);
    if (!r.rebuilt) {
      plan.ruleSet = r.assess.grade.ruleSet;
      state.stage = 'plan';
      state.step = 'plan-approval';
      return;
    }
    const rebuilt = r.rebuilt.plan;
    recordDecidedAlongside(
      ['plan'],
      [`${SUMMARY.plan(rebuilt)} (rebuilt under ${rebuilt.ruleSet.industry} v${rebuilt.ruleSet.version})`],
    );
    afterPlan(rebuilt);
    state.plan!.rebuilt = { under: rebuilt.ruleSet, changes: r.changes };
    if (r.rebuilt.execution) {
      recordDecidedAlongside(['execute'], [SUMMARY.execute(r.rebuilt.execution)]);
      afterExecutionStart(r.rebuilt.execution);
    }
  }

  function setWaiting(waitingFor: WaitingFor): void {
    state.waitingFor = waitingFor;
    syncSearchAttributes();
  }

  const historyIsLong = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents;

  /** Waits for `until` or anything that needs the main loop (a review, continue-as-new). */
  async function wait(until: () => boolean, timeoutMs?: number): Promise<void> {
    const wake = () => until() || reviewRequest !== null || historyIsLong();
    flushSearchAttributes();
    if (timeoutMs === undefined) await condition(wake);
    else await condition(wake, Math.max(1, timeoutMs));
  }

  function failStep(retry: Step): void {
    state.retryStep = retry;
    state.step = 'error-wait';
  }

  async function continueAsNewWith(next: AccountState): Promise<never> {
    // Updates in flight and hand-offs being delivered finish in this run; their results are in `state`.
    await condition(allHandlersFinished);
    await Promise.allSettled([...deliveries]);
    return continueAsNew<typeof accountWorkflow>({
      accountId: next.accountId,
      cycleYear: next.cycleYear,
      carried: next,
      ...(input.options ? { options: input.options } : {}),
    });
  }

  async function acknowledge(req: ReviewRequest, ack: ReviewAck): Promise<void> {
    flushSearchAttributes();
    try {
      await getExternalWorkflowHandle(req.replyTo).signal(accountReviewedSignal, ack);
    } catch {
      // The review run is gone (finished or terminated); the review row is written either way.
    }
  }

  function applyMonitorInterval(days: number): void {
    state.monitorIntervalDays = days;
    if (!state.nextMonitorAt) state.nextMonitorAt = new Date(Date.now() + days * DAY_MS).toISOString();
  }

  function deliver(outboxId: number): void {
    const p = handoff
      .deliverHandoff({ outboxId })
      .then((r) => {
        state.lastHandoff = { outboxId, delivered: r.delivered, reason: r.reason ?? null };
      })
      .catch((error: unknown) => {
        const info = failureInfo(error);
        state.lastHandoff = { outboxId, delivered: false, reason: info.message };
        state.lastError = {
          stage: 'execute',
          ...info,
          message: `hand-off ${outboxId}: ${info.message}`,
          at: nowIso(),
          resolvedAt: null,
        };
      })
      .finally(() => {
        deliveries.delete(p);
      });
    deliveries.add(p);
  }

  // ---- plan decisions and the review (since v5) ----------------------------------------------------
  // Validators run only when an update arrives (never on replay, and a refusal writes no history),
  // so these checks need no patch of their own; `reviewingYear` and `withdrawnPlans` are set on v5.

  /** The review is closing the cycle the plan was built for: its decision waits for the next one. */
  function refuseDuringReview(): void {
    if (reviewingYear !== null)
      throw refusal(
        'reviewInProgress',
        { year: String(reviewingYear) },
        `the ${reviewingYear} review of account "${state.accountId}" is in progress: plan decisions wait for the next cycle`,
      );
  }

  /** A decision on a plan the last review withdrew (it was pending when its cycle closed). */
  function refuseWithdrawn(planId: number | undefined): void {
    const withdrawn = planId === undefined ? undefined : state.withdrawnPlans?.find((p) => p.id === planId);
    if (withdrawn)
      throw refusal(
        'planWithdrawn',
        { version: withdrawn.version, year: String(withdrawn.cycleYear) },
        `plan ${withdrawn.id} (version ${withdrawn.version} of ${withdrawn.cycleYear}) was withdrawn when the review closed its cycle`,
      );
  }

  // ---- messages --------------------------------------------------------------------------------

  setHandler(stateQuery, () => state);

  setHandler(profileUpdatedSignal, () => {
    profileDirty = true;
  });
  setHandler(accountUpdatedSignal, (change) => {
    accountDirty = true;
    if (v3 && changeNeedsReevaluation(change?.fields)) decisionsDirty = true;
    unreadChange ??= { fields: new Set(), by: new Set() };
    for (const field of change?.fields ?? []) unreadChange.fields.add(field);
    if (change?.by) unreadChange.by.add(change.by);
  });
  setHandler(rulesPublishedSignal, (published) => {
    const industry = published?.industry;
    if (!industry || industry === '*' || industry === state.industry || industry === state.ruleSet?.industry) rulesDirty = true;
  });
  // Only a held next cycle (`cycle-wait`) waits for it; anywhere else it changes nothing.
  setHandler(startCycleSignal, () => {
    cycleReleased = true;
  });
  setHandler(reviewSignal, (req) => {
    // A repeated request for the same run (the review workflow retried) is already queued.
    if (reviewRequest && reviewRequest.reviewRunId === req.reviewRunId) return;
    reviewRequest = req;
  });

  setHandler(
    approvePlanUpdate,
    async ({ approve, by, reason }) => {
      const plan = state.plan!;
      deciding = true;
      try {
        const result = await people.decidePlan({
          accountId: state.accountId,
          planId: plan.id,
          approve,
          by,
          reason: reason ?? null,
        });
        if (approve) {
          plan.status = 'approved';
          state.openActions = result.openActions;
        } else {
          plan.status = 'rejected';
          state.lastRejection = { by, reason: reason ?? '', at: nowIso() };
          // Only changes made after the rejection count as the revision it asks for.
          profileDirty = accountDirty = rulesDirty = decisionsDirty = false;
        }
        if (v3) restate('plan', `plan v${plan.version}: ${plan.strategy}, ${approve ? 'approved' : 'rejected'} by ${by}`);
        return { planId: plan.id, status: result.status };
      } catch (error) {
        const info = failureInfo(error);
        if (info.type === 'PlanWithdrawn') {
          // The plan's own cycle, which a review closed: not necessarily the one this run is in.
          const withdrawn = withdrawnPlanOf(error) ?? state.withdrawnPlans?.find((p) => p.id === plan.id);
          const year = withdrawn?.cycleYear ?? state.cycleYear;
          throw refusal('planWithdrawn', { version: withdrawn?.version ?? plan.version, year: String(year) }, info.message);
        }
        // Decided by someone else in the meantime (the activity found the plan no longer pending).
        if (info.type === 'Conflict') throw refusal('planNotPending', { plan: plan.id }, info.message);
        throw updateFailure(error);
      } finally {
        deciding = false;
      }
    },
    {
      // The studio checks the same (and the user's scope) before sending; this is the last word.
      // Refusals carry a code and params (workflows/refusals.ts); rejecting writes no history.
      validator: ({ approve, by, role, reason, planId }) => {
        if (planId !== undefined && !(Number.isSafeInteger(planId) && planId > 0))
          throw refusal('planIdInvalid', { field: 'planId' }, '"planId" must be a plan id (a positive whole number)');
        refuseDuringReview();
        refuseWithdrawn(planId);
        if (state.step !== 'plan-approval' || state.plan?.status !== 'pending-approval')
          throw refusal(
            'noPendingPlan',
            { stage: state.stage },
            `no plan is pending approval for account "${state.accountId}" (stage ${state.stage})`,
          );
        if (deciding)
          throw refusal(
            'decisionInProgress',
            { plan: state.plan.id },
            `a decision on plan ${state.plan.id} is already being recorded`,
          );
        // The approver decides the plan they were shown, not a newer version.
        if (planId !== undefined && planId !== state.plan.id)
          throw refusal(
            'planChanged',
            { version: state.plan.version },
            `the decision is on plan ${planId}, not on the pending plan ${state.plan.id} (version ${state.plan.version})`,
          );
        if (!(PLAN_APPROVER_ROLES as readonly string[]).includes(role))
          throw refusal(
            'roleMayNotApprove',
            { role: String(role) },
            `role "${role}" may not approve plans; only ${PLAN_APPROVER_ROLES.join(' or ')} may`,
          );
        if (state.plan.approverRole === 'admin' && role !== 'admin')
          throw refusal(
            'roleMayNotApprove',
            { role: String(role) },
            `role "${role}" may not approve plans of tier ${state.tier}; only admin may`,
          );
        if (!by || typeof by !== 'string') throw refusal('approverRequired', {}, 'the approver ("by") is required');
        // Four eyes: the account's owner never decides its plan.
        if (by === state.owner)
          throw refusal(
            'ownPlan',
            { account: state.accountId },
            `${by} owns account "${state.accountId}" and may not decide its plan`,
          );
        if (typeof approve !== 'boolean') throw refusal('invalidDecision', {}, '"approve" must be true or false');
        if (!approve && !reason?.trim()) throw refusal('reasonRequired', {}, 'a rejection needs a reason');
      },
    },
  );

  setHandler(
    submitPlanUpdate,
    async ({ edit, by, basedOnPlanId }) => {
      // New in `plan-revision`: the update, and the revision wait ending on a submitted plan.
      patched('plan-revision');
      deciding = true;
      try {
        const r = await people.revisePlan({ ...baseInput(), edit, by, basedOnPlanId });
        const revising = state.step === 'plan-revision';
        record({ stage: 'plan', startedAt: nowIso(), endedAt: nowIso(), summary: `${SUMMARY.plan(r)}, revised by ${by}` });
        afterPlan(r);
        // The plan is made on the account as it is now: earlier changes need no other re-plan.
        profileDirty = accountDirty = false;
        planSubmitted = revising;
        return {
          planId: r.plan.id,
          version: r.plan.version,
          status: r.plan.status === 'approved' ? 'approved' : 'pending-approval',
        };
      } catch (error) {
        const info = failureInfo(error);
        if (info.type === 'Conflict') throw refusal('planChanged', { version: state.plan?.version ?? '?' }, info.message);
        if (info.type === 'PlanEditInvalid') throw refusal('planEditInvalid', { issue: info.message }, info.message);
        throw updateFailure(error);
      } finally {
        deciding = false;
      }
    },
    {
      validator: ({ by, basedOnPlanId }) => {
        refuseDuringReview();
        refuseWithdrawn(basedOnPlanId);
        const plan = state.plan;
        if (
          !plan ||
          !(
            (state.step === 'plan-approval' && plan.status === 'pending-approval') ||
            (state.step === 'plan-revision' && plan.status === 'rejected')
          )
        )
          throw refusal(
            'noPlanToRevise',
            { stage: state.stage },
            `account "${state.accountId}" has no pending or rejected plan to revise (stage ${state.stage})`,
          );
        if (deciding)
          throw refusal('decisionInProgress', { plan: plan.id }, `a decision on plan ${plan.id} is already being recorded`);
        if (!by || typeof by !== 'string') throw refusal('approverRequired', {}, 'the manager ("by") is required');
        if (basedOnPlanId !== plan.id)
          throw refusal(
            'planChanged',
            { version: plan.version },
            `the edit was made on plan ${basedOnPlanId}, not on plan ${plan.id} (version ${plan.version})`,
          );
      },
    },
  );

  setHandler(
    logVisitUpdate,
    async (visit) => {
      try {
        const result = await people.logVisit({
          accountId: state.accountId,
          date: visit.date ?? today(),
          contactId: visit.contactId ?? null,
          note: visit.note ?? null,
          by: visit.by ?? null,
        });
        if (!state.lastVisit || result.lastVisit > state.lastVisit) {
          state.lastVisit = result.lastVisit;
          // The cadence restarts from the newest visit; the next monitor recomputes it exactly.
          state.overdueVisits = 0;
          if (v3) restateExecution();
        }
        return result;
      } catch (error) {
        throw updateFailure(error);
      }
    },
    {
      validator: (visit) => {
        if (visit.date !== undefined && !isCalendarDate(visit.date))
          throw refusal('visitDateInvalid', { date: String(visit.date) }, `visit date "${visit.date}" is not a YYYY-MM-DD date`);
        if (visit.date !== undefined && visit.date > today())
          throw refusal(
            'visitDateFuture',
            { date: visit.date, today: today() },
            `visit date ${visit.date} is in the future (today is ${today()})`,
          );
      },
    },
  );

  setHandler(
    completeActionUpdate,
    async ({ actionId, by, note }) => {
      try {
        const result = await people.completeAction({
          accountId: state.accountId,
          actionId,
          at: nowIso(),
          by: by ?? null,
          note: note ?? null,
        });
        state.openActions = state.openActions.filter((a) => a.id !== actionId);
        if (v3) restateExecution();
        return result;
      } catch (error) {
        throw updateFailure(error);
      }
    },
    {
      validator: ({ actionId, note }) => {
        if (!state.openActions.some((a) => a.id === actionId))
          throw refusal(
            'actionNotOpen',
            { action: typeof actionId === 'number' ? actionId : String(actionId) },
            `action ${actionId} is not an open action of the plan in force for account "${state.accountId}"`,
          );
        if (typeof note === 'string' && note.length > ACTION_NOTE_MAX_LENGTH)
          throw refusal(
            'actionNoteTooLong',
            { max: ACTION_NOTE_MAX_LENGTH },
            `the note is longer than ${ACTION_NOTE_MAX_LENGTH} characters`,
          );
      },
    },
  );

  // The undo of "mark done": a new handler (no recorded history sends it, so it needs no patch).
  setHandler(
    reopenActionUpdate,
    async ({ actionId, by }) => {
      let result: Awaited<ReturnType<typeof people.reopenAction>>;
      try {
        result = await people.reopenAction({ accountId: state.accountId, actionId, by, at: nowIso() });
      } catch (error) {
        throw updateFailure(error);
      }
      if (!result.ok) throw refusal(result.code, { action: actionId }, `action ${actionId} cannot be reopened (${result.code})`);
      const reopened = result.action;
      state.openActions = [...state.openActions.filter((a) => a.id !== actionId), reopened].sort(
        (a, b) => (a.dueDate ?? '9999-12-31').localeCompare(b.dueDate ?? '9999-12-31') || a.id - b.id,
      );
      if (v3) restateExecution();
      return { actionId, openActions: state.openActions.length };
    },
    {
      validator: ({ actionId, by }) => {
        if (state.openActions.some((a) => a.id === actionId))
          throw refusal('actionNotDone', { action: actionId }, `action ${actionId} is still open`);
        if (!by || typeof by !== 'string')
          throw refusal('actionUndoNotYours', { action: String(actionId) }, 'who asks ("by") is required');
      },
    },
  );

  setHandler(
    logOpportunityUpdate,
    async (opportunity) => {
      try {
        const result = await people.logOpportunity({
          accountId: state.accountId,
          title: opportunity.title,
          estimatedValue: opportunity.estimatedValue ?? null,
          track: state.track!,
          owner: opportunity.owner ?? state.owner,
        });
        if (!state.opportunityIds.includes(result.opportunityId)) state.opportunityIds.push(result.opportunityId);
        if (result.deliver) deliver(result.outboxId);
        return { opportunityId: result.opportunityId, outboxId: result.outboxId, track: result.track };
      } catch (error) {
        throw updateFailure(error);
      }
    },
    {
      validator: (opportunity) => {
        if (!state.track)
          throw refusal(
            'noTrack',
            { stage: state.stage },
            `account "${state.accountId}" has no coverage yet (stage ${state.stage}): its track is unknown`,
          );
        if (typeof opportunity.title !== 'string' || !opportunity.title.trim())
          throw refusal('opportunityTitle', {}, 'an opportunity needs a title');
        const v = opportunity.estimatedValue;
        if (v != null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
          throw refusal('opportunityValue', {}, 'estimatedValue must be a number ≥ 0');
      },
    },
  );

  // ---- the review --------------------------------------------------------------------------------

  /** Writes the year's review and starts the next cycle (continue-as-new), or reports why not. */
  async function review(req: ReviewRequest): Promise<void> {
    reviewRequest = null;
    if (req.year < state.cycleYear) {
      // This account already runs a later cycle (started after the reviewed year).
      await acknowledge(req, { accountId: state.accountId, ok: true, skipped: true });
      return;
    }
    const resumeStage = state.stage;
    if (v5) {
      // A decision being recorded lands first: the review reads the plan as it is decided.
      if (deciding) await condition(() => !deciding);
      reviewingYear = req.year;
    }
    const result = await runStage(
      'review',
      () =>
        stages.reviewStage({
          ...stageInput(),
          reviewYear: req.year,
          reviewRunId: req.reviewRunId,
          rankedTier: req.rankedTier ?? null,
          before: state.cycleStart,
          planId: state.plan?.status === 'approved' ? state.plan.id : null,
          opportunityIds: state.opportunityIds,
          // Runs that hold the next cycle have the activity acknowledge (one workflow task fewer).
          ...(req.holdNextCycle ? { holdNextCycle: true, acknowledgeTo: req.replyTo } : {}),
          ...(v5 ? { withdrawPendingPlans: true } : {}),
        }),
      (r) =>
        `tier ${r.after.tier}, class ${r.after.class}; attainment ${r.attainment ?? 'n/a'}` +
        (r.withdrawnPlans ?? []).map((p) => `; plan v${p.version} of ${p.cycleYear} withdrawn`).join(''),
    );
    reviewingYear = null;
    if (!result) {
      await acknowledge(req, { accountId: state.accountId, ok: false, error: state.lastError?.message ?? 'review failed' });
      // Back to where the account was; the next review run tries again.
      state.stage = resumeStage;
      syncSearchAttributes();
      return;
    }
    Object.assign(state, {
      score: result.after.score,
      tier: result.after.tier,
      class: result.after.class,
      strategy: result.after.strategy,
      closeness: result.after.closeness,
    });
    syncSearchAttributes();
    if (!req.holdNextCycle) await acknowledge(req, { accountId: state.accountId, ok: true });
    const next = nextCycle(state, Math.max(req.year, state.cycleYear) + 1, req, result.attainment);
    if (result.withdrawnPlans?.length) next.withdrawnPlans = result.withdrawnPlans;
    // A run that releases the next cycles itself (once every account is reviewed) keeps this one
    // waiting; older runs never set the flag, so their histories replay unchanged.
    if (req.holdNextCycle && !cycleReleased) {
      next.step = 'cycle-wait';
      // Still `review` to people (and EspStage, so no search attribute changes while it waits).
      next.stage = 'review';
      next.waitingFor = 'cycle-start';
      next.cycleHoldUntil = new Date(Date.now() + CYCLE_HOLD_MAX_MS).toISOString();
      // On v2 the next cycle waits in this run and continues as new when it starts: the review
      // costs one workflow task per account instead of a new run's two, and the run boundary
      // falls where the cycle really begins.
      if (v2) {
        state = next;
        holdingNextCycle = true;
        return;
      }
    }
    await continueAsNewWith(next);
  }

  // ---- the stages --------------------------------------------------------------------------------

  for (;;) {
    if (reviewRequest) {
      await review(reviewRequest);
      continue;
    }
    if (historyIsLong()) await continueAsNewWith(state);

    switch (state.step) {
      case 'profile': {
        profileDirty = accountDirty = decisionsDirty = false;
        // On v2 a ready profile goes on to grade … coverage in the same activity.
        const r = await runStage(
          'profile',
          (): Promise<ProfileAssessSummary> =>
            v2
              ? stages.profileAndAssess(stageInput())
              : stages.profileStage(stageInput()).then((profile) => ({ profile, assess: null })),
          (r) => SUMMARY.profile(r.profile),
        );
        if (!r) {
          failStep('profile');
          break;
        }
        afterProfile(r.profile);
        if (r.assess) afterAssess(r.assess);
        break;
      }

      case 'profile-wait': {
        setWaiting('profile-data');
        await wait(() => profileDirty || accountDirty || rulesDirty);
        if (profileDirty || accountDirty || rulesDirty) {
          rulesDirty = false;
          state.step = 'profile';
        }
        break;
      }

      case 'grade': {
        rulesDirty = false;
        // Since this patch one activity decides grade … coverage (one read, one transaction).
        if (v2 || patched('assess-stages-in-one-activity')) {
          const r = await runStages(ASSESS_STAGES, () => stages.assessStages(stageInput()), assessLines);
          if (!r) {
            failStep('grade');
            break;
          }
          afterGrade(r.grade);
          afterClassify(r.classify);
          afterRelationship(r.relationship);
          afterCoverage(r.coverage);
          break;
        }
        const r = await runStage('grade', () => stages.gradeStage(stageInput()), SUMMARY.grade);
        if (!r) {
          failStep('grade');
          break;
        }
        afterGrade(r);
        state.step = 'classify';
        break;
      }

      case 'classify': {
        const r = await runStage('classify', () => stages.classifyStage(stageInput()), SUMMARY.classify);
        if (!r) {
          failStep('classify');
          break;
        }
        afterClassify(r);
        state.step = 'relationship';
        break;
      }

      case 'relationship': {
        const r = await runStage('relationship', () => stages.relationshipStage(stageInput()), SUMMARY.relationship);
        if (!r) {
          failStep('relationship');
          break;
        }
        afterRelationship(r);
        state.step = 'coverage';
        break;
      }

      case 'coverage': {
        const r = await runStage('coverage', () => stages.coverageStage(stageInput()), SUMMARY.coverage);
        if (!r) {
          failStep('coverage');
          break;
        }
        afterCoverage(r);
        break;
      }

      case 'plan': {
        // On v2 a plan that needs no approval starts its execution in the same activity.
        const r = await runStage(
          'plan',
          (): Promise<PlanStartSummary> =>
            v2 ? stages.planAndStart(stageInput()) : stages.planStage(stageInput()).then((plan) => ({ plan, execution: null })),
          (r) => SUMMARY.plan(r.plan),
        );
        if (!r) {
          failStep('plan');
          break;
        }
        afterPlan(r.plan);
        if (r.execution) {
          recordDecidedAlongside(['execute'], [SUMMARY.execute(r.execution)]);
          afterExecutionStart(r.execution);
        }
        break;
      }

      case 'plan-approval': {
        setWaiting('plan-approval');
        // On v3 a publish or a change of the decision inputs reaches the waiting plan at once.
        const reevaluate = () => v3 && !deciding && (rulesDirty || decisionsDirty);
        await wait(() => state.plan?.status !== 'pending-approval' || reevaluate());
        if (state.plan?.status === 'approved') state.step = 'execute-start';
        else if (state.plan?.status === 'rejected') state.step = 'plan-revision';
        else if (reevaluate()) await reevaluatePendingPlan();
        break;
      }

      case 'plan-revision': {
        setWaiting('plan-revision');
        await wait(() => profileDirty || accountDirty || rulesDirty || planSubmitted);
        // A submitted plan has set the step (plan-approval or execute-start).
        if (planSubmitted) planSubmitted = false;
        else if (profileDirty || accountDirty || rulesDirty) {
          profileDirty = accountDirty = decisionsDirty = false;
          state.step = 'grade';
        }
        break;
      }

      case 'execute-start': {
        const planId = state.plan?.status === 'approved' ? state.plan.id : null;
        const r = await runStage('execute', () => stages.startExecution({ ...stageInput(), planId }), SUMMARY.execute);
        if (!r) {
          failStep('execute-start');
          break;
        }
        afterExecutionStart(r);
        break;
      }

      case 'execute': {
        // Before v3: grade..coverage as four stages, then a monitor at once.
        if (rulesDirty && !v3) {
          rulesDirty = false;
          state.reevaluating = true;
          state.step = 'grade';
          break;
        }
        // Account changes are picked up by the next monitor, which reads the account afresh (since
        // v3 at once when the decisions read them).
        accountDirty = profileDirty = false;
        state.stage = 'execute';
        const due = state.nextMonitorAt ? Date.parse(state.nextMonitorAt) : Date.now();
        const reevaluate = v3 && (rulesDirty || decisionsDirty);
        if (!reevaluate && !state.monitorNow && Date.now() < due) {
          setWaiting('next-monitor');
          await wait(() => rulesDirty || decisionsDirty || state.monitorNow, due - Date.now());
          break;
        }
        state.monitorNow = false;
        if (reevaluate) rulesDirty = decisionsDirty = false;
        const plan = state.plan?.status === 'approved' ? state.plan : null;
        const monitorInput = {
          ...stageInput(),
          plan: plan ? { strategy: plan.strategy, closeness: plan.closeness } : null,
          planId: plan?.id ?? null,
          executeSince: state.executeSince ?? today(),
        };
        // On v3 a re-evaluation is one activity and one audit row with the monitor it ends in.
        const basis = reevaluationBasis();
        const r = await runStage(
          'monitor',
          (): Promise<MonitorSummary & { assess: AssessSummary | null; changes: ReevaluationChange[] }> =>
            reevaluate
              ? stages.reevaluateAndMonitor({ ...monitorInput, before: basis })
              : stages.monitorStage(monitorInput).then((m) => ({ ...m, assess: null, changes: [] })),
          (r) =>
            (r.assess ? `${reevaluationLine(r.assess.grade.ruleSet, r.changes)}; ` : '') +
            `health ${r.health}${r.alerts.length ? ` (${r.alerts.join(', ')})` : ''}${r.backToPlan ? `; strategy now ${r.strategy}: back to plan` : ''}`,
        );
        if (!r) {
          failStep('execute');
          break;
        }
        if (r.assess) applyReevaluation(r.assess);
        state.monitors++;
        state.lastMonitorAt = nowIso();
        Object.assign(state, {
          health: r.health,
          alerts: r.alerts,
          score: r.score,
          tier: r.tier,
          class: r.class,
          closeness: r.closeness,
          overdueVisits: r.overdueVisits,
          lastVisit: r.lastVisit ?? state.lastVisit,
          openActions: r.openActions,
          monitorIntervalDays: r.monitorIntervalDays,
        });
        // Missed periods (the workflow waited elsewhere) are not made up in a burst.
        const interval = r.monitorIntervalDays * DAY_MS;
        let next = due;
        while (next <= Date.now()) next += interval;
        state.nextMonitorAt = new Date(next).toISOString();
        if (r.backToPlan) state.step = 'plan';
        state.stage = r.backToPlan ? 'plan' : 'execute';
        syncSearchAttributes();
        break;
      }

      case 'cycle-wait': {
        setWaiting('cycle-start');
        // A review run that never releases it (terminated) does not hold the account past a week.
        const until = state.cycleHoldUntil ? Date.parse(state.cycleHoldUntil) : Date.now();
        await wait(() => cycleReleased, until - Date.now());
        if (cycleReleased || Date.now() >= until) {
          state.cycleHoldUntil = null;
          state.step = 'profile';
          if (holdingNextCycle) await continueAsNewWith(state);
        }
        break;
      }

      case 'error-wait': {
        if (v3 && state.lastError?.type === 'AccountNotFound') {
          // The account is gone (deleted, or another database): nothing to wait for. The failure
          // names why, for the portfolio's "failed or stuck" list and `npm start`.
          await condition(allHandlersFinished);
          throw ApplicationFailure.create({
            type: 'AccountNotFound',
            message: `account "${state.accountId}" no longer exists in the database; its workflow ended`,
            nonRetryable: true,
          });
        }
        setWaiting('error-resolution');
        await wait(() => profileDirty || accountDirty || rulesDirty);
        if (profileDirty || accountDirty || rulesDirty) {
          profileDirty = accountDirty = rulesDirty = false;
          state.step = state.retryStep ?? 'profile';
          state.retryStep = null;
        }
        break;
      }
    }
  }
}
