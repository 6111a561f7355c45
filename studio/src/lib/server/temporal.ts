/**
 * The studio's way to the account and review workflows. Temporal is optional for reading: pages
 * render from the database and add the workflows' live state when Temporal answers in time, so an
 * outage costs a notice, not the page. Writes (approvals, visits…) go only through the workflows,
 * which validate them; their refusals come back as codes with parameters (workflows/refusals.ts),
 * which the pages show as catalogue messages (`account.error.<code>`).
 *
 * One connection per server process, opened on first use with a short timeout; after a failure the
 * next attempt waits a little, so a down server does not add its connect timeout to every request.
 */
import { WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import {
  approvePlan,
  accountState,
  submitPlan,
  completeAction,
  reopenAction,
  connectClient,
  logOpportunity,
  logVisit,
  notifyAccountUpdated,
  reviewProgress,
  startReview,
} from '$workflows/client.js';
import { INCIDENT_TYPE } from '$lib/components/accounts/format.js';
import { logIncident } from './incidents.js';
import { REFUSAL_CODES, refusalOf } from '$workflows/refusals.js';
import { REVIEW_SCHEDULE_ID, type AccountState, type ReviewProgress } from '$workflows/types.js';

export type { AccountState, ReviewProgress };

/** How long a page waits for a query before it renders without the live state. */
export const QUERY_TIMEOUT_MS = 2_500;
/** Updates wait for their activity (which retries for up to about a minute). */
export const UPDATE_TIMEOUT_MS = 45_000;
const CONNECT_TIMEOUT = '1.5 seconds';
const RETRY_AFTER_MS = 10_000;

export interface ClosedWorkflow {
  accountId: string;
  status: string;
  closedAt: Date | null;
}

/** A workflows/client.ts call with the connection already supplied: the port's signatures follow the client's. */
type WithoutClient<F> = F extends (client: Client, ...args: infer A) => infer R ? (...args: A) => R : never;

/** What the studio asks of Temporal; tests substitute their own. */
export interface TemporalPort {
  /** The account workflow's `state` query; null when the account has no workflow. */
  accountState(accountId: string): Promise<AccountState | null>;
  approvePlan: WithoutClient<typeof approvePlan>;
  submitPlan: WithoutClient<typeof submitPlan>;
  logVisit: WithoutClient<typeof logVisit>;
  completeAction: WithoutClient<typeof completeAction>;
  reopenAction: WithoutClient<typeof reopenAction>;
  logOpportunity: WithoutClient<typeof logOpportunity>;
  /** Tells the account's workflow its account was edited (which fields, by whom); false when it has no running workflow. */
  accountUpdated: WithoutClient<typeof notifyAccountUpdated>;
  /** Starts `review:<year>` (an already running one is fine). */
  startReview(year: number): Promise<{ workflowId: string }>;
  /** The review workflow's `progress` query; null when it does not exist. */
  reviewProgress(workflowId: string): Promise<ReviewProgress | null>;
  /** The annual review schedule; null when it has not been applied. */
  reviewSchedule(): Promise<{ nextRuns: Date[]; paused: boolean } | null>;
  /** Account workflows that ended abnormally (failed, terminated, timed out), newest first. */
  closedAccountWorkflows(limit: number): Promise<ClosedWorkflow[]>;
}

// ---- errors -------------------------------------------------------------------------------------

/**
 * Catalogue keys (under `account.error.`) for what a workflow call can fail with: the transport
 * (Temporal down, no such workflow, no answer in time), the workflow's own refusals, and `workflow`
 * for anything else (shown with the workflow's text).
 */
export const WORKFLOW_ERROR_CODES = ['temporalDown', 'noWorkflow', 'timeout', ...REFUSAL_CODES, 'workflow'] as const;
export type WorkflowErrorCode = (typeof WORKFLOW_ERROR_CODES)[number];

export interface WorkflowError {
  code: WorkflowErrorCode;
  params: Record<string, string | number>;
  /** The workflow's own (English) text, for logs and for codes added after this file. */
  message: string;
}

export class WorkflowRefusal extends Error {
  constructor(readonly info: WorkflowError) {
    super(info.message);
    this.name = 'WorkflowRefusal';
  }
}

function innermost(error: unknown): Error | undefined {
  let e = error as (Error & { cause?: unknown }) | undefined;
  while (e?.cause instanceof Error) e = e.cause as Error & { cause?: unknown };
  return e;
}

/**
 * A code for any error of a workflow call: the workflow's refusal (its code and params, from the
 * failure's type and details), a missing workflow, an outage. Only the transport errors are
 * recognised by their text.
 */
export function describeWorkflowError(error: unknown): WorkflowError {
  if (error instanceof WorkflowRefusal) return error.info;
  const refused = refusalOf(error);
  if (refused) return refused;
  const message = innermost(error)?.message ?? String(error);
  if (
    error instanceof WorkflowNotFoundError ||
    /workflow (execution )?not found|workflow execution already completed/i.test(message)
  )
    return { code: 'noWorkflow', params: {}, message };
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || /deadline exceeded/i.test(message))
    return { code: 'timeout', params: {}, message };
  if (/UNAVAILABLE|ECONNREFUSED|failed to connect|No connection established/i.test(message))
    return { code: 'temporalDown', params: {}, message };
  // Anything else may carry a database or stack text: logged, and shown only by its id.
  const id = logIncident(error, 'workflow call');
  return { code: 'workflow', params: { id }, message: `internal error, reference ${id}` };
}

const incidents = new Map<string, string>();

/**
 * A stage that failed on a database error (`SQLSTATE …`) carries the database's text, naming
 * tables and parameters: logged once under an id (the same id on every page load), shown by it.
 */
export function withoutInternalText(state: AccountState | null): AccountState | null {
  const e = state?.lastError;
  if (!state || !e?.type?.startsWith('SQLSTATE')) return state;
  const key = `${state.accountId}@${e.at}`;
  let id = incidents.get(key);
  if (!id) {
    if (incidents.size >= 10_000) incidents.clear();
    id = logIncident(new Error(e.message), `account ${state.accountId}: stage ${e.stage} failed (${e.type})`);
    incidents.set(key, id);
  }
  return { ...state, lastError: { ...e, type: INCIDENT_TYPE, message: id } };
}

// ---- the real port ------------------------------------------------------------------------------

function realPort(client: Client): TemporalPort {
  const query = <T>(fn: () => Promise<T>) => client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, fn);
  const update = <T>(fn: () => Promise<T>) => client.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, fn);
  const orNull = async <T>(fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await query(fn);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError || describeWorkflowError(error).code === 'noWorkflow') return null;
      throw error;
    }
  };
  return {
    accountState: async (id) => withoutInternalText(await orNull(() => accountState(client, id))),
    approvePlan: (id, input) => update(() => approvePlan(client, id, input)),
    submitPlan: (id, input) => update(() => submitPlan(client, id, input)),
    logVisit: (id, input) => update(() => logVisit(client, id, input)),
    completeAction: (id, input) => update(() => completeAction(client, id, input)),
    reopenAction: (id, input) => update(() => reopenAction(client, id, input)),
    logOpportunity: (id, input) => update(() => logOpportunity(client, id, input)),
    accountUpdated: (id, input) => query(() => notifyAccountUpdated(client, id, input)),
    startReview: async (year) => {
      const handle = await query(() => startReview(client, { year }));
      return { workflowId: handle.workflowId };
    },
    reviewProgress: (workflowId) => orNull(() => reviewProgress(client.workflow.getHandle(workflowId))),
    reviewSchedule: async () => {
      try {
        const d = await query(() => client.schedule.getHandle(REVIEW_SCHEDULE_ID).describe());
        return { nextRuns: d.info.nextActionTimes.slice(0, 3), paused: d.state.paused };
      } catch (error) {
        if ((error as Error).name === 'ScheduleNotFoundError') return null;
        throw error;
      }
    },
    closedAccountWorkflows: (limit) =>
      query(async () => {
        const out: ClosedWorkflow[] = [];
        const q =
          "WorkflowType = 'accountWorkflow' AND (ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut')";
        for await (const wf of client.workflow.list({ query: q, pageSize: limit })) {
          out.push({ accountId: wf.workflowId.replace(/^account:/, ''), status: wf.status.name, closedAt: wf.closeTime ?? null });
          if (out.length >= limit) break;
        }
        return out;
      }),
  };
}

let override: TemporalPort | null | undefined;
let connecting: Promise<Client> | undefined;
let failedAt = 0;
let lastFailure: string | null = null;

/** Tests put a stub (or null for "Temporal is down") in place of the real connection. */
export function setTemporalForTests(port: TemporalPort | null | undefined): void {
  override = port;
}

/** Why the last connection attempt failed, for the notice pages show. */
export function temporalFailure(): string | null {
  return lastFailure;
}

function disabled(): boolean {
  const v = process.env['ESP_TEMPORAL']?.toLowerCase();
  return v === 'off' || v === 'false' || v === '0';
}

/** The workflows, or null when Temporal is not reachable (or turned off with ESP_TEMPORAL=off). */
export async function temporal(): Promise<TemporalPort | null> {
  if (override !== undefined) return override;
  if (disabled()) return null;
  if (!connecting) {
    if (Date.now() - failedAt < RETRY_AFTER_MS) return null;
    connecting = (async () => {
      const { client, close } = await connectClient({ connectTimeout: CONNECT_TIMEOUT });
      process.once('sveltekit:shutdown', () => void close().catch(() => undefined));
      lastFailure = null;
      return client;
    })();
    connecting.catch((error: unknown) => {
      failedAt = Date.now();
      lastFailure = (error as Error).message;
      connecting = undefined;
    });
  }
  try {
    return realPort(await connecting);
  } catch {
    return null;
  }
}

/**
 * A read that must not hold the page: the value, or why it is missing. Never rejects, so pages can
 * stream it.
 */
export type Live<T> = { status: 'ok'; value: T } | { status: 'unavailable' } | { status: 'error'; error: WorkflowError };

export async function live<T>(
  port: TemporalPort | null,
  read: (port: TemporalPort) => Promise<T>,
  timeoutMs = QUERY_TIMEOUT_MS + 1_000,
): Promise<Live<T>> {
  if (!port) return { status: 'unavailable' };
  // A streamed part of a page holds the document open until it settles (browsers fire `load` at the
  // end of the stream), so it gets an overall limit on top of the per-call deadlines.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Live<T>>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'error', error: { code: 'timeout', params: {}, message: `no answer within ${timeoutMs} ms` } }),
      timeoutMs,
    );
  });
  const answer = (async (): Promise<Live<T>> => {
    try {
      return { status: 'ok', value: await read(port) };
    } catch (error) {
      const info = describeWorkflowError(error);
      return info.code === 'temporalDown' ? { status: 'unavailable' } : { status: 'error', error: info };
    }
  })();
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}
