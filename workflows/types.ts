/**
 * Shapes shared by the workflows, their activities, the client and the studio. Type-only on
 * purpose: the workflow bundle imports this file, and nothing here may pull Node or zod into the
 * workflow sandbox.
 */
import type { WithdrawnPlan } from '../db/repositories/plans.js';
import type { AccountClass, Health, Role, Stage, Strategy, Tier, Track } from '../engine/model.js';
import type { PlanEditInput } from '../engine/stages/plan-edit.js';
import type { TierCutoffs } from '../engine/stages/grade.js';

export type { AccountClass, Health, Stage, Strategy, Tier, Track, TierCutoffs };

export const DEFAULT_TASK_QUEUE = 'esp';
export const accountWorkflowId = (accountId: string): string => `account:${accountId}`;
export const reviewWorkflowId = (year: number): string => `review:${year}`;
export const REVIEW_SCHEDULE_ID = 'esp-annual-review';

/** Roles allowed to decide on a plan (never the account's owner; the rule set may require admin). */
export const PLAN_APPROVER_ROLES = ['admin', 'manager'] as const;

/**
 * Where the account workflow is in its state machine. `profile-wait`, `plan-approval`,
 * `plan-revision` and `error` are durable waits on people; `execute` is the monitor ‖ execute loop.
 */
export type Step =
  | 'profile'
  | 'profile-wait'
  | 'grade'
  | 'classify'
  | 'relationship'
  | 'coverage'
  | 'plan'
  | 'plan-approval'
  | 'plan-revision'
  | 'execute-start'
  | 'execute'
  | 'error-wait'
  /** Reviewed; the next cycle waits for the review run to release it (`startCycle`). */
  | 'cycle-wait';

/** What the workflow can wait for (the studio filters and counts accounts by it). */
export const WAITING_FOR = [
  'profile-data',
  'plan-approval',
  'plan-revision',
  'next-monitor',
  'error-resolution',
  'cycle-start',
] as const;

/** What the workflow is waiting for; null while a stage runs. */
export type WaitingFor = (typeof WAITING_FOR)[number] | null;

export interface StageRun {
  stage: Stage;
  /** ISO timestamps (workflow time). */
  startedAt: string;
  endedAt: string | null;
  summary: string | null;
  error?: string;
}

export interface LastError {
  stage: Stage;
  message: string;
  /** The ApplicationFailure type, e.g. `AccountNotFound`. */
  type: string | null;
  nonRetryable: boolean;
  at: string;
  /** When the stage later succeeded; null while the workflow still waits for a fix. */
  resolvedAt: string | null;
}

export interface PlanRef {
  id: number;
  version: number;
  strategy: Strategy;
  /** Closeness when the plan was made: the monitor measures the drop against it. */
  closeness: number;
  needsApproval: boolean;
  status: 'pending-approval' | 'approved' | 'rejected';
  objective: number | null;
  /** The least role that decides it (the rule set's `plan.approverRole`); absent in older states. */
  approverRole?: Role;
  /**
   * The rule set the plan was built under, or last confirmed under by a re-evaluation that changed
   * nothing it rests on (tier, class, strategy). Absent on plans of runs before `account-workflow-v3`.
   */
  ruleSet?: RuleSetUsed;
  /** Set when a re-evaluation replaced the pending plan: the rule set it was rebuilt under, and why. */
  rebuilt?: { under: RuleSetUsed; changes: ReevaluationChange[] } | null;
}

export interface OpenAction {
  id: number;
  title: string;
  owner: string | null;
  dueDate: string | null;
}

export interface Snapshot {
  score: number;
  tier: Tier;
  class: AccountClass;
  strategy: Strategy;
  closeness: number;
}

export interface CycleSummary {
  year: number;
  tier: Tier | null;
  class: AccountClass | null;
  strategy: Strategy | null;
  attainment: number | null;
  monitors: number;
  opportunities: number;
}

/** Everything the workflow knows; carried through continue-as-new. */
export interface AccountState {
  accountId: string;
  cycleYear: number;
  step: Step;
  stage: Stage;
  waitingFor: WaitingFor;
  industry: string | null;
  ruleSet: { industry: string; version: number } | null;
  owner: string | null;
  score: number | null;
  tier: Tier | null;
  class: AccountClass | null;
  strategy: Strategy | null;
  health: Health | null;
  closeness: number | null;
  track: Track | null;
  completeness: number | null;
  missing: string[];
  plan: PlanRef | null;
  lastRejection: { by: string; reason: string; at: string } | null;
  openActions: OpenAction[];
  overdueVisits: number;
  lastVisit: string | null;
  /** Start of execution in this cycle (`YYYY-MM-DD`): the visit clock starts there. */
  executeSince: string | null;
  monitors: number;
  monitorIntervalDays: number | null;
  lastMonitorAt: string | null;
  /** ISO timestamp of the next scheduled monitor while in the execute loop. */
  nextMonitorAt: string | null;
  alerts: string[];
  /** Opportunities logged in this cycle (ids): the review counts them. */
  opportunityIds: string[];
  /** The snapshot at the first evaluation of the cycle: the review's "before". */
  cycleStart: Snapshot | null;
  /** Quota mode: the lowest score per tier at the last review, for grading in between. */
  quotaCutoffs: TierCutoffs | null;
  history: StageRun[];
  previousCycles: CycleSummary[];
  lastError: LastError | null;
  /** The step to retry once a non-retryable error is fixed (`step` is then `error-wait`). */
  retryStep: Step | null;
  /** grade..coverage run again inside the execute loop (rules published): a monitor follows. */
  reevaluating: boolean;
  /** A monitor runs at the next step regardless of its timer (after a re-evaluation). */
  monitorNow: boolean;
  lastHandoff: { outboxId: number; delivered: boolean; reason: string | null } | null;
  /** Runs of this workflow id so far (continue-as-new count + 1). */
  run: number;
  /** In `cycle-wait`: when the next cycle starts even if the review run never releases it. */
  cycleHoldUntil?: string | null;
  /** The visit cadence of the tier in force (days), for the execute stage's summary. */
  visitCadenceDays?: number | null;
  /**
   * Since `account-workflow-v5`: the plans the last review withdrew (still pending when it closed
   * their cycle). A decision naming one is refused with `planWithdrawn`.
   */
  withdrawnPlans?: WithdrawnPlanRef[];
}

/** A plan the review withdrew (the repository's shape, carried in workflow state). */
export type WithdrawnPlanRef = WithdrawnPlan;

export interface AccountWorkflowOptions {
  /**
   * Run the stage activities as local activities, in the worker that runs the workflow task: no
   * activity task round trips through the server (about twice the accounts per second on the dev
   * server, `npm run bench -- workflows`). `startAccountWorkflows` sets it unless told otherwise;
   * false makes each stage an activity task that any worker may pick up.
   */
  localActivities?: boolean;
  /** Per-attempt timeout of a stage activity. Default 1 minute. */
  activityTimeout?: string;
  /** Continue-as-new after this many history events even if the SDK does not suggest it yet. Default 10,000. */
  maxHistoryEvents?: number;
}

export interface AccountWorkflowInput {
  accountId: string;
  /** Defaults to the year of the workflow's start. */
  cycleYear?: number;
  /** Set by continue-as-new: where to resume. */
  carried?: AccountState;
  options?: AccountWorkflowOptions;
}

// ---- messages ---------------------------------------------------------------------------------

export interface ApprovePlanInput {
  approve: boolean;
  /** User id of the approver. */
  by: string;
  role: string;
  /** Required when rejecting. */
  reason?: string;
  /**
   * The plan the approver was shown. When it is no longer the pending one the decision is refused:
   * `planWithdrawn` (the review withdrew it), `planChanged` (a newer version waits). Older clients
   * omit it and decide whichever plan is pending.
   */
  planId?: number;
}

export interface ApprovePlanResult {
  planId: number;
  status: 'approved' | 'rejected';
}

/** The manager's edit of the pending or rejected plan, submitted as a new plan version. */
export interface SubmitPlanInput {
  /** Validated by the activity with `validatePlanEdit` (engine/stages/plan-edit.ts). */
  edit: PlanEditInput;
  /** User id of the manager. */
  by: string;
  /** The plan version the edit was made on: a newer one refuses it (`planChanged`). */
  basedOnPlanId: number;
}

export interface SubmitPlanResult {
  planId: number;
  version: number;
  status: 'pending-approval' | 'approved';
}

export interface LogVisitInput {
  /** `YYYY-MM-DD`; defaults to today in workflow time. */
  date?: string;
  contactId?: string | null;
  note?: string | null;
  by?: string | null;
}

export interface LogVisitResult {
  visitId: number;
  lastVisit: string;
}

export interface CompleteActionInput {
  actionId: number;
  by?: string | null;
  /** The evidence that it is done, in the person's words (optional). */
  note?: string | null;
}

/** The longest note on a done action. */
export const ACTION_NOTE_MAX_LENGTH = 2000;

/** How long after marking an action done the same person may take it back (the studio's session undo). */
export const ACTION_UNDO_WINDOW_MS = 30 * 60 * 1000;

export interface ReopenActionInput {
  actionId: number;
  /** Who asks: only the person who marked it done may take it back. */
  by: string;
}

export interface ReopenActionResult {
  actionId: number;
  openActions: number;
}

export interface CompleteActionResult {
  actionId: number;
  openActions: number;
}

export interface LogOpportunityInput {
  title: string;
  estimatedValue?: number | null;
  owner?: string | null;
  by?: string | null;
}

export interface LogOpportunityResult {
  opportunityId: string;
  outboxId: number;
  track: Track;
}

/**
 * What changed about an account (`accountUpdated`): the changed account, contact or competitor
 * fields by name (`revenueWithUs`, `contacts`…), and who changed them. Without `fields` the
 * workflow assumes anything may have changed.
 */
export interface AccountUpdatedInput {
  fields?: string[];
  by?: string;
}

export interface RulesPublishedInput {
  /** The industry whose rules changed; `*` or omitted affects every account. */
  industry?: string;
  version?: number;
}

export interface ReviewRequest {
  year: number;
  reviewRunId: string;
  /** Workflow id of the review workflow that wants the acknowledgement. */
  replyTo: string;
  rankedTier?: Tier | null;
  cutoffs?: TierCutoffs | null;
  /**
   * The review run starts the next cycles itself (`startCycle`) once every account is reviewed:
   * the account continues into its next cycle and waits there. Absent (older runs): it starts at once.
   */
  holdNextCycle?: boolean;
}

export interface ReviewAck {
  accountId: string;
  ok: boolean;
  skipped?: boolean;
  error?: string;
}

// ---- activities' summaries ---------------------------------------------------------------------

export interface StageInput {
  accountId: string;
  cycleYear: number;
  /** Workflow "today" (`YYYY-MM-DD`): activities never read the wall clock for business dates. */
  asOf: string;
  quotaCutoffs?: TierCutoffs | null;
  /**
   * The account changes signalled (`accountUpdated`) since a stage last read the account: the
   * fields (none listed: unknown) and who made them. The activity's first audit row names them.
   */
  accountChange?: { fields: string[]; by: string[] };
}

export interface RuleSetUsed {
  industry: string;
  version: number;
}

export interface ProfileSummary {
  ruleSet: RuleSetUsed;
  industry: string | null;
  owner: string | null;
  completeness: number;
  missing: string[];
  ready: boolean;
}

export interface GradeSummary {
  ruleSet: RuleSetUsed;
  score: number;
  tier: Tier;
}

export interface ClassifySummary {
  ruleSet: RuleSetUsed;
  class: AccountClass;
}

export interface RelationshipSummary {
  ruleSet: RuleSetUsed;
  closeness: number;
  advantage: number;
  flags: string[];
}

export interface CoverageSummary {
  ruleSet: RuleSetUsed;
  track: Track;
  team: string;
  owner: string | null;
  strategy: Strategy;
  snapshot: Snapshot;
}

/** The decision stages one `assessStages` activity decides together, in order. */
export const ASSESS_STAGES = ['grade', 'classify', 'relationship', 'coverage'] as const satisfies readonly Stage[];

/** What `assessStages` decided: the four decision stages at once. */
export interface AssessSummary {
  grade: GradeSummary;
  classify: ClassifySummary;
  relationship: RelationshipSummary;
  coverage: CoverageSummary;
}

/** What `profileAndAssess` decided: the profile, and grade … coverage when the profile is ready. */
export interface ProfileAssessSummary {
  profile: ProfileSummary;
  assess: AssessSummary | null;
}

export interface PlanSummary {
  ruleSet: RuleSetUsed;
  plan: PlanRef;
  openActions: OpenAction[];
}

/** What `planAndStart` decided: the plan, and its execution's start when it needs no approval. */
export interface PlanStartSummary {
  plan: PlanSummary;
  execution: ExecuteSummary | null;
}

/** What `revisePlan` needs: the stage input and the submitted edit. */
export interface PlanRevisionInput extends StageInput {
  edit: PlanEditInput;
  by: string;
  basedOnPlanId: number;
}

export interface PlanDecisionInput {
  accountId: string;
  planId: number;
  approve: boolean;
  by: string;
  reason?: string | null;
}

export interface PlanDecisionSummary {
  planId: number;
  status: 'approved' | 'rejected';
  openActions: OpenAction[];
}

export interface ExecuteSummary {
  ruleSet: RuleSetUsed;
  monitorIntervalDays: number;
  track: Track;
  cadenceDays: number;
  openActions: OpenAction[];
  lastVisit: string | null;
}

export interface MonitorInput extends StageInput {
  plan: { strategy: Strategy; closeness: number } | null;
  /** The plan in force, whose actions are tracked. */
  planId: number | null;
  executeSince: string;
}

/** What a re-evaluation compares against: what the workflow had decided (the plan's strategy). */
export interface ReevaluationBasis {
  tier: Tier | null;
  class: AccountClass | null;
  strategy: Strategy | null;
  track: Track | null;
}

/** `reevaluateAndMonitor` (in execute): grade … coverage and the monitor, one audit row. */
/** One decision a re-evaluation changed, e.g. tier T2 → T1. */
export interface ReevaluationChange {
  field: keyof ReevaluationBasis;
  from: string | null;
  to: string;
}

export interface ReevaluateMonitorInput extends MonitorInput {
  before: ReevaluationBasis;
}

/** The monitor's summary, with what the re-evaluation before it decided and changed. */
export interface ReevaluateMonitorSummary extends MonitorSummary {
  assess: AssessSummary;
  changes: ReevaluationChange[];
}

/** `reevaluatePlan` (a plan pending approval): re-grade; rebuild the plan when what it rests on changed. */
export interface ReevaluatePlanInput extends StageInput {
  planId: number;
  before: ReevaluationBasis;
}

export interface ReevaluatePlanSummary {
  assess: AssessSummary;
  changes: ReevaluationChange[];
  /** The new plan version when tier, class or strategy changed; null: the plan stands, re-stamped. */
  rebuilt: PlanStartSummary | null;
}

export interface MonitorSummary {
  ruleSet: RuleSetUsed;
  monitorIntervalDays: number;
  health: Health;
  alerts: string[];
  backToPlan: boolean;
  score: number;
  tier: Tier;
  class: AccountClass;
  strategy: Strategy;
  closeness: number;
  overdueVisits: number;
  lastVisit: string | null;
  openActions: OpenAction[];
  overdueActions: number;
}

export interface ReviewStageInput extends StageInput {
  reviewYear: number;
  reviewRunId: string | null;
  rankedTier?: Tier | null;
  before: Snapshot | null;
  planId: number | null;
  opportunityIds: string[];
  /** The next cycle will wait for `startCycle`: what the account's row says it waits for. */
  holdNextCycle?: boolean;
  /**
   * The review workflow to acknowledge once the review is written (with `holdNextCycle`): the
   * activity sends it, so the account continues as new in the same workflow task.
   */
  acknowledgeTo?: string;
  /**
   * Since `account-workflow-v5`: the review closes the cycle, so the plans still waiting for
   * approval in it (or earlier) are withdrawn in the review's transaction.
   */
  withdrawPendingPlans?: boolean;
}

export interface ReviewSummary {
  ruleSet: RuleSetUsed;
  attainment: number | null;
  actionsDoneShare: number | null;
  opportunities: { count: number; value: number };
  after: Snapshot;
  /** With `withdrawPendingPlans`: the plans it withdrew (none: an empty list). */
  withdrawnPlans?: WithdrawnPlanRef[];
}

export interface HandoffResult {
  delivered: boolean;
  status?: number;
  reason?: string;
}

// ---- review workflow ---------------------------------------------------------------------------

/** Accounts a review run keeps in flight unless told otherwise (runs from before the `review-window-200` patch: 100). */
export const DEFAULT_REVIEW_WINDOW = 200;

export interface ReviewWorkflowInput {
  /**
   * The cycle year to review. Default (a scheduled run has fixed arguments): the year before the
   * run's date in January–June, the run's own year from July on.
   */
  year?: number;
  /** Accounts in flight at once (signals sent, acknowledgements not yet back). Default `DEFAULT_REVIEW_WINDOW`. */
  window?: number;
  /** Account ids fetched per page. Default 200. */
  pageSize?: number;
  /** Give up waiting for an account's acknowledgement after this long. Default 30 minutes. */
  ackTimeout?: string;
  /** Set by continue-as-new. */
  carried?: ReviewCarried;
}

export interface ReviewFailure {
  accountId: string;
  error: string;
}

export interface ReviewCarried {
  reviewRunId: string;
  total: number;
  done: number;
  skipped: number;
  failed: number;
  cursor: ReviewCursor | null;
  exhausted: boolean;
  inFlight: Record<string, string>;
  failures: ReviewFailure[];
  startedAt: string;
  /** Every account is reviewed and the run recorded as finished. */
  finished?: boolean;
  /** Releasing the next cycles (`startCycle`), page by page in the review's order. */
  release?: { cursor: ReviewCursor | null; exhausted: boolean; released: number };
}

export interface ReviewCursor {
  /** Quota-mode industries are walked first. */
  phase: 'quota' | 'rest';
  after: string | null;
}

export interface ReviewProgress {
  year: number;
  reviewRunId: string | null;
  status: 'starting' | 'running' | 'completed';
  total: number;
  done: number;
  skipped: number;
  failed: number;
  inFlight: number;
  /** Accounts told to start their next cycle, once every account is reviewed. */
  released: number;
  /** The last failures (bounded). */
  failures: ReviewFailure[];
}

export interface ReviewPageItem {
  id: string;
  rankedTier: Tier | null;
  cutoffs: TierCutoffs | null;
}

export interface ReviewPage {
  items: ReviewPageItem[];
  next: ReviewCursor | null;
}
