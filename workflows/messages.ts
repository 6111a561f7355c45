/**
 * The messages of the ESP+ workflows. Shared by workflow code (handlers) and clients (the studio,
 * the CLI, the review workflow), so names are defined once. Renaming one breaks running workflows:
 * add a new message instead and keep the old handler until no history uses it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AccountState,
  AccountUpdatedInput,
  ApprovePlanInput,
  ApprovePlanResult,
  CompleteActionInput,
  CompleteActionResult,
  ReopenActionInput,
  ReopenActionResult,
  LogOpportunityInput,
  LogOpportunityResult,
  LogVisitInput,
  LogVisitResult,
  ReviewAck,
  ReviewProgress,
  ReviewRequest,
  RulesPublishedInput,
  SubmitPlanInput,
  SubmitPlanResult,
} from './types.js';

// ---- account workflow ---------------------------------------------------------------------------

/** The account's profile data changed: a waiting profile stage checks completeness again. */
export const profileUpdatedSignal = defineSignal('profileUpdated');
/**
 * Account data changed (which fields, by whom): the workflow re-runs from the earliest stage the
 * change affects (workflows/account-changes.ts). Older clients send it without a payload.
 */
export const accountUpdatedSignal = defineSignal<[AccountUpdatedInput?]>('accountUpdated');
/** A rule set was published: grade..coverage and the monitor run again at once. */
export const rulesPublishedSignal = defineSignal<[RulesPublishedInput]>('rulesPublished');
/** Sent by the review workflow: write the year's review, acknowledge, start the next cycle. */
export const reviewSignal = defineSignal<[ReviewRequest]>('review');
/** Sent by the review workflow once every account is reviewed: a held next cycle starts. */
export const startCycleSignal = defineSignal<[{ year: number }]>('startCycle');

export const approvePlanUpdate = defineUpdate<ApprovePlanResult, [ApprovePlanInput]>('approvePlan');
/** The manager's revised plan: a new plan version, waiting for approval or in force at once. */
export const submitPlanUpdate = defineUpdate<SubmitPlanResult, [SubmitPlanInput]>('submitPlan');
export const logVisitUpdate = defineUpdate<LogVisitResult, [LogVisitInput]>('logVisit');
export const completeActionUpdate = defineUpdate<CompleteActionResult, [CompleteActionInput]>('completeAction');
export const logOpportunityUpdate = defineUpdate<LogOpportunityResult, [LogOpportunityInput]>('logOpportunity');
/** Takes back a "done" within a few minutes, by the person who marked it (the studio's undo). */
export const reopenActionUpdate = defineUpdate<ReopenActionResult, [ReopenActionInput]>('reopenAction');

export const stateQuery = defineQuery<AccountState>('state');

// ---- review workflow ----------------------------------------------------------------------------

/** An account workflow's answer to `review`. */
export const accountReviewedSignal = defineSignal<[ReviewAck]>('accountReviewed');
/** Several answers at once: review activities acknowledge in batches (activities/review-acks.ts). */
export const accountsReviewedSignal = defineSignal<[ReviewAck[]]>('accountsReviewed');
export const progressQuery = defineQuery<ReviewProgress>('progress');
