/**
 * Why the account workflow refuses an update (`approvePlan`, `logVisit`, `completeAction`,
 * `logOpportunity`): a stable code with parameters, so a client says it in its user's language
 * (the studio's catalogue key is `account.error.<code>`) instead of parsing English.
 *
 * A refusal is a non-retryable ApplicationFailure whose `type` is `EspRefusal.<code>` and whose
 * first detail is `{ code, params }`; its message stays the English text, for logs and for clients
 * that do not know the code. Validators throw it (rejecting writes no history), and update handlers
 * throw it for an activity's refusal they recognise.
 *
 * Shared by workflow code and clients: it imports nothing but `@temporalio/workflow`'s failure class.
 */
import { ApplicationFailure } from '@temporalio/workflow';

export const REFUSAL_CODES = [
  // approvePlan
  'noPendingPlan',
  'decisionInProgress',
  'roleMayNotApprove',
  'approverRequired',
  'invalidDecision',
  'planIdInvalid',
  'reasonRequired',
  'planNotPending',
  'ownPlan',
  // approvePlan and submitPlan, since account-workflow-v5
  'reviewInProgress',
  'planWithdrawn',
  // submitPlan
  'noPlanToRevise',
  'planChanged',
  'planEditInvalid',
  // logVisit
  'visitDateInvalid',
  'visitDateFuture',
  // completeAction
  'actionNotOpen',
  'actionNoteTooLong',
  // reopenAction
  'actionNotDone',
  'actionUndoNotYours',
  'actionUndoExpired',
  // logOpportunity
  'noTrack',
  'opportunityTitle',
  'opportunityValue',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];
export type RefusalParams = Record<string, string | number>;

export interface Refusal {
  code: RefusalCode;
  params: RefusalParams;
  /** The workflow's English text. */
  message: string;
}

export const REFUSAL_TYPE_PREFIX = 'EspRefusal.';

export function isRefusalCode(value: unknown): value is RefusalCode {
  return typeof value === 'string' && (REFUSAL_CODES as readonly string[]).includes(value);
}

/** The failure an update validator or handler throws to refuse. */
export function refusal(code: RefusalCode, params: RefusalParams, message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: `${REFUSAL_TYPE_PREFIX}${code}`,
    message,
    details: [{ code, params }],
    nonRetryable: true,
  });
}

/**
 * The refusal somewhere in an update call's error (the client's WorkflowUpdateFailedError has the
 * workflow's failure as its cause), or undefined when the error is something else. Read by shape,
 * not `instanceof`, so that it does not matter which copy of the Temporal packages made the error.
 */
export function refusalOf(error: unknown): Refusal | undefined {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { type, details } = e as { type?: unknown; details?: unknown };
    if (typeof type !== 'string' || !type.startsWith(REFUSAL_TYPE_PREFIX)) continue;
    const code = type.slice(REFUSAL_TYPE_PREFIX.length);
    if (!isRefusalCode(code)) return undefined;
    const detail = Array.isArray(details) ? (details[0] as { params?: unknown } | undefined) : undefined;
    const params: RefusalParams = {};
    if (detail?.params && typeof detail.params === 'object')
      for (const [k, v] of Object.entries(detail.params as Record<string, unknown>))
        if (typeof v === 'string' || typeof v === 'number') params[k] = v;
    return { code, params, message: e.message };
  }
  return undefined;
}
