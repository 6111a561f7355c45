/**
 * Talking to the ESP+ workflows from outside: the studio, the CLI, `npm start` and the bench.
 * The connection comes from the same environment as the worker's (see connection.ts).
 */
import type { Duration } from '@temporalio/common';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowHandle,
} from '@temporalio/client';
import { accountWorkflow } from './account-workflow.js';
import {
  accountUpdatedSignal,
  approvePlanUpdate,
  completeActionUpdate,
  reopenActionUpdate,
  logOpportunityUpdate,
  logVisitUpdate,
  progressQuery,
  stateQuery,
  submitPlanUpdate,
} from './messages.js';
import { reviewWorkflow } from './review-workflow.js';
import { espSearchAttributes } from './search-attributes.js';
import { temporalSettings } from './connection.js';
import {
  accountWorkflowId,
  reviewWorkflowId,
  type AccountState,
  type AccountUpdatedInput,
  type AccountWorkflowOptions,
  type ApprovePlanInput,
  type ApprovePlanResult,
  type SubmitPlanInput,
  type SubmitPlanResult,
  type CompleteActionInput,
  type CompleteActionResult,
  type ReopenActionInput,
  type ReopenActionResult,
  type LogOpportunityInput,
  type LogOpportunityResult,
  type LogVisitInput,
  type LogVisitResult,
  type ReviewProgress,
  type ReviewWorkflowInput,
} from './types.js';

export interface EspClient {
  client: Client;
  connection: Connection;
  namespace: string;
  taskQueue: string;
  close(): Promise<void>;
}

/** How long a connection attempt waits for the server before it fails (the SDK's own default). */
export const DEFAULT_CONNECT_TIMEOUT: Duration = '10 seconds';

/**
 * The one way to open a client connection, from the environment (connection.ts). Callers that must
 * not hang while Temporal is away (the studio) pass a shorter `connectTimeout`.
 */
export async function connectClient(
  opts: {
    address?: string;
    namespace?: string;
    taskQueue?: string;
    env?: NodeJS.ProcessEnv;
    connectTimeout?: Duration;
  } = {},
): Promise<EspClient> {
  const settings = temporalSettings(opts.env ?? process.env);
  const connection = await Connection.connect({
    address: opts.address ?? settings.address,
    tls: settings.tls,
    connectTimeout: opts.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  });
  const namespace = opts.namespace ?? settings.namespace;
  return {
    client: new Client({ connection, namespace }),
    connection,
    namespace,
    taskQueue: opts.taskQueue ?? settings.taskQueue,
    close: () => connection.close(),
  };
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

export interface StartAccountsOptions {
  taskQueue?: string;
  /** Start calls in flight at once. Default 20. */
  concurrency?: number;
  /** Default `{ localActivities: true }`. */
  workflow?: AccountWorkflowOptions;
  onProgress?: (done: number, total: number) => void;
}

export interface StartAccountsResult {
  started: string[];
  /** Already running: left as they are. */
  existing: string[];
  failed: { accountId: string; error: string }[];
}

/**
 * A failed start as the operator reads it (`esp workflows start`, `npm start`): the client says only
 * "Failed to start Workflow"; the server's reason (unreachable, refused, timed out) is its cause.
 */
function startFailure(error: unknown): string {
  const { message, cause } = error as Error;
  return cause instanceof Error && cause.message !== message ? `${message}: ${cause.message}` : message;
}

/** Starts `account:<id>` for each account; one already running is fine and left alone. */
export async function startAccountWorkflows(
  client: Client,
  accountIds: readonly string[],
  opts: StartAccountsOptions = {},
): Promise<StartAccountsResult> {
  const taskQueue = opts.taskQueue ?? temporalSettings().taskQueue;
  const outcomes = new Array<{ kind: 'started' | 'existing' } | { kind: 'failed'; error: string }>(accountIds.length);
  let done = 0;
  await mapConcurrent(accountIds, opts.concurrency ?? 20, async (accountId, i) => {
    try {
      await client.workflow.start(accountWorkflow, {
        workflowId: accountWorkflowId(accountId),
        taskQueue,
        args: [{ accountId, options: opts.workflow ?? { localActivities: true } }],
        typedSearchAttributes: espSearchAttributes({ EspStage: 'profile' }),
      });
      outcomes[i] = { kind: 'started' };
    } catch (error) {
      outcomes[i] =
        error instanceof WorkflowExecutionAlreadyStartedError
          ? { kind: 'existing' }
          : { kind: 'failed', error: startFailure(error) };
    }
    opts.onProgress?.(++done, accountIds.length);
  });
  // In the order given, whatever order the calls finished in.
  const out: StartAccountsResult = { started: [], existing: [], failed: [] };
  outcomes.forEach((o, i) => {
    const accountId = accountIds[i]!;
    if (o.kind === 'failed') out.failed.push({ accountId, error: o.error });
    else out[o.kind].push(accountId);
  });
  return out;
}

export function accountHandle(client: Client, accountId: string): WorkflowHandle<typeof accountWorkflow> {
  return client.workflow.getHandle<typeof accountWorkflow>(accountWorkflowId(accountId));
}

export function accountState(client: Client, accountId: string): Promise<AccountState> {
  return accountHandle(client, accountId).query(stateQuery);
}

/** A manager's decision; rejected by the workflow's validator with a reason when not allowed. */
export function approvePlan(client: Client, accountId: string, input: ApprovePlanInput): Promise<ApprovePlanResult> {
  return accountHandle(client, accountId).executeUpdate(approvePlanUpdate, { args: [input] });
}

/** A manager's revised plan: the next plan version (refused when the plan changed meanwhile). */
export function submitPlan(client: Client, accountId: string, input: SubmitPlanInput): Promise<SubmitPlanResult> {
  return accountHandle(client, accountId).executeUpdate(submitPlanUpdate, { args: [input] });
}

export function logVisit(client: Client, accountId: string, input: LogVisitInput = {}): Promise<LogVisitResult> {
  return accountHandle(client, accountId).executeUpdate(logVisitUpdate, { args: [input] });
}

export function completeAction(client: Client, accountId: string, input: CompleteActionInput): Promise<CompleteActionResult> {
  return accountHandle(client, accountId).executeUpdate(completeActionUpdate, { args: [input] });
}

/** The undo of `completeAction`, by the same person within `ACTION_UNDO_WINDOW_MS`. */
export function reopenAction(client: Client, accountId: string, input: ReopenActionInput): Promise<ReopenActionResult> {
  return accountHandle(client, accountId).executeUpdate(reopenActionUpdate, { args: [input] });
}

export function logOpportunity(client: Client, accountId: string, input: LogOpportunityInput): Promise<LogOpportunityResult> {
  return accountHandle(client, accountId).executeUpdate(logOpportunityUpdate, { args: [input] });
}

/**
 * Tells the workflow its account changed (which fields, by whom: without them it assumes anything
 * may have); false when it has no running workflow.
 */
export async function notifyAccountUpdated(client: Client, accountId: string, input?: AccountUpdatedInput): Promise<boolean> {
  try {
    await accountHandle(client, accountId).signal(accountUpdatedSignal, ...(input ? [input] : []));
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** Starts the review of `year` now (`review:<year>`); an already running one is returned instead. */
export async function startReview(
  client: Client,
  input: ReviewWorkflowInput & { year: number },
  opts: { taskQueue?: string } = {},
): Promise<WorkflowHandle<typeof reviewWorkflow>> {
  const workflowId = reviewWorkflowId(input.year);
  try {
    return await client.workflow.start(reviewWorkflow, {
      workflowId,
      taskQueue: opts.taskQueue ?? temporalSettings().taskQueue,
      args: [input],
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      return client.workflow.getHandle<typeof reviewWorkflow>(workflowId);
    throw error;
  }
}

export function reviewProgress(handle: WorkflowHandle<typeof reviewWorkflow>): Promise<ReviewProgress> {
  return handle.query(progressQuery);
}
