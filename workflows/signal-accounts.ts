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
  let client = opts.client;
  let close: (() => Promise<void>) | undefined;
  if (!client) {
    try {
      const connected = await connectClient({ connectTimeout: CONNECT_TIMEOUT_MS, ...(opts.env ? { env: opts.env } : {}) });
      client = connected.client as unknown as SignalClient;
      close = connected.close;
    } catch (error) {
      report.errors.push((error as Error).message);
      return report;
    }
  }
  report.reachable = true;
  try {
    await mapConcurrent(targets, opts.concurrency ?? CONCURRENCY, async ({ accountId, payload }) => {
      const id = accountWorkflowId(accountId);
      try {
        await withTimeout(client.workflow.getHandle(id).signal(signal, payload), SIGNAL_TIMEOUT_MS, id);
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
  return report;
}
