/**
 * Signalling many account workflows at once, each with its own payload: a publish's
 * `rulesPublished` (workflows/rules-published.ts) and the catch-up's `accountUpdated`
 * (workflows/catch-up.ts).
 *
 * Temporal may be down: what the caller committed stands either way, and the report says what
 * could not be delivered. Never throws.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { connectClient, mapConcurrent } from './client.js';
import type { accountUpdatedSignal, rulesPublishedSignal } from './messages.js';
import { accountWorkflowId, type AccountUpdatedInput, type RulesPublishedInput } from './types.js';

type AccountSignal = typeof rulesPublishedSignal | typeof accountUpdatedSignal;

/** What telling the workflows needs of a Temporal client; tests pass a fake. */
export interface SignalClient {
  workflow: {
    getHandle(workflowId: string): {
      signal(def: AccountSignal, input: RulesPublishedInput | AccountUpdatedInput): Promise<void>;
    };
  };
}

export interface SignalReport {
  /** Whether Temporal answered at all. */
  reachable: boolean;
  /** Accounts whose workflow should hear of it. */
  targets: number;
  signalled: number;
  /** No running workflow for the account (never started, or finished): nothing to tell. */
  notRunning: number;
  failed: number;
  /** The first few failures (or why Temporal could not be reached), for the warning and the log. */
  errors: string[];
}

export interface SignalOptions {
  client?: SignalClient;
  concurrency?: number;
  /** Where to connect when no client is given (default: the process environment). */
  env?: NodeJS.ProcessEnv;
  /**
   * The most the whole delivery may take, connecting included. Each signal is bounded on its own,
   * but their sum grows with the targets (a Temporal that accepts calls and does not answer costs
   * every round of `concurrency` signals the whole signal timeout): a caller that must answer in
   * bounded time, such as the studio's publish inside an HTTP request, sets it; the accounts not
   * told by then count as failed, and the catch-up tells them.
   */
  deadlineMs?: number;
}

const CONNECT_TIMEOUT_MS = 3_000;
/** A signal that takes longer counts as failed: a publish never hangs on a struggling server. */
const SIGNAL_TIMEOUT_MS = 5_000;
const CONCURRENCY = 16;
const MAX_ERRORS = 5;

export const emptyReport = (reachable: boolean, errors: string[] = []): SignalReport => ({
  reachable,
  targets: 0,
  signalled: 0,
  notRunning: 0,
  failed: 0,
  errors,
});

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Sends `signal` to each target's workflow with its payload, a bounded number at a time, over
 * `client` or a connection opened for it. `onTold` hears of each account settled: signalled, or
 * without a running workflow to tell.
 */
export async function signalAccounts<P extends RulesPublishedInput | AccountUpdatedInput>(
  signal: AccountSignal,
  targets: readonly { accountId: string; payload: P }[],
  opts: SignalOptions & { onTold?: (accountId: string) => void } = {},
): Promise<SignalReport> {
  const report: SignalReport = { ...emptyReport(false), targets: targets.length };
  const deadline = opts.deadlineMs === undefined ? Infinity : Date.now() + opts.deadlineMs;
  const left = () => deadline - Date.now();
  let client = opts.client;
  let close: (() => Promise<void>) | undefined;
  if (!client) {
    try {
      const connectTimeout = Math.max(1, Math.min(CONNECT_TIMEOUT_MS, left()));
      const connected = await connectClient({ connectTimeout, ...(opts.env ? { env: opts.env } : {}) });
      client = connected.client as unknown as SignalClient;
      close = connected.close;
    } catch (error) {
      report.errors.push((error as Error).message);
      return report;
    }
  }
  report.reachable = true;
  let late = 0;
  try {
    await mapConcurrent(targets, opts.concurrency ?? CONCURRENCY, async ({ accountId, payload }) => {
      const id = accountWorkflowId(accountId);
      if (left() <= 0) {
        late++;
        report.failed++;
        return;
      }
      try {
        await withTimeout(client.workflow.getHandle(id).signal(signal, payload), Math.min(SIGNAL_TIMEOUT_MS, left()), id);
        report.signalled++;
        opts.onTold?.(accountId);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError || (error as Error)?.name === 'WorkflowNotFoundError') {
          report.notRunning++;
          opts.onTold?.(accountId);
        } else {
          report.failed++;
          if (report.errors.length < MAX_ERRORS) report.errors.push(`${id}: ${(error as Error).message}`);
        }
      }
    });
  } finally {
    await close?.().catch(() => {});
  }
  if (late > 0) report.errors = [`${late} not tried within ${opts.deadlineMs} ms`, ...report.errors].slice(0, MAX_ERRORS);
  return report;
}
