/**
 * Telling the account workflows that a rule set was published: the studio's publish and rollback,
 * `esp rules publish|rollback`, and the catch-up that finds accounts whose workflows missed it.
 *
 * Temporal may be down (or not deployed next to a studio used only to edit rules): the publish has
 * committed either way, and the caller says what could not be delivered. Nothing is lost: the
 * catch-up (`catchUpRules`, run when a worker starts and every few minutes) signals every account
 * its workflow has not evaluated under the rule set in force.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../db/client.js';
import { accountsBehindRules } from '../db/repositories/account-rule-versions.js';
import { listAccountIds } from '../db/repositories/accounts.js';
import { FALLBACK_INDUSTRY } from '../engine/ruleset-format/schema.js';
import { connectClient, mapConcurrent } from './client.js';
import { rulesPublishedSignal } from './messages.js';
import { accountWorkflowId, type RulesPublishedInput } from './types.js';

/** What telling the workflows needs of a Temporal client; tests pass a fake. */
export interface SignalClient {
  workflow: {
    getHandle(workflowId: string): { signal(def: typeof rulesPublishedSignal, input: RulesPublishedInput): Promise<void> };
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

const CONNECT_TIMEOUT_MS = 3_000;
/** A signal that takes longer counts as failed: a publish never hangs on a struggling server. */
const SIGNAL_TIMEOUT_MS = 5_000;
const CONCURRENCY = 16;
const MAX_ERRORS = 5;

/**
 * The accounts a publish affects: an industry's own accounts, or every account for `*` (each
 * industry's effective set extends `*`, so all of them change).
 */
export async function affectedAccountIds(db: Db, industry: string): Promise<string[]> {
  return industry === FALLBACK_INDUSTRY ? listAccountIds(db) : listAccountIds(db, { industry });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Sends `rulesPublished` to each target's workflow (its own payload), a bounded number at a time,
 * over `client` or a connection opened for it. Never throws: what was published stands.
 */
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

export async function signalRulesTo(
  targets: readonly { accountId: string; published: RulesPublishedInput }[],
  opts: SignalOptions = {},
): Promise<SignalReport> {
  const report: SignalReport = { reachable: false, targets: targets.length, signalled: 0, notRunning: 0, failed: 0, errors: [] };
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
    await mapConcurrent(targets, opts.concurrency ?? CONCURRENCY, async ({ accountId, published }) => {
      const id = accountWorkflowId(accountId);
      if (left() <= 0) {
        late++;
        report.failed++;
        return;
      }
      try {
        await withTimeout(
          client.workflow.getHandle(id).signal(rulesPublishedSignal, published),
          Math.min(SIGNAL_TIMEOUT_MS, left()),
          id,
        );
        report.signalled++;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError || (error as Error)?.name === 'WorkflowNotFoundError') report.notRunning++;
        else {
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

/** Tells the workflow of every account a publish affects (all of them for `*`). */
export async function signalRulesPublished(
  db: Db,
  published: Required<RulesPublishedInput>,
  opts: SignalOptions = {},
): Promise<SignalReport> {
  let ids: string[];
  try {
    ids = await affectedAccountIds(db, published.industry);
  } catch (error) {
    return { reachable: false, targets: 0, signalled: 0, notRunning: 0, failed: 0, errors: [(error as Error).message] };
  }
  return signalRulesTo(
    ids.map((accountId) => ({ accountId, published })),
    opts,
  );
}

/**
 * The catch-up: signals every account whose workflow has not evaluated it under the rule set in
 * force (a publish while Temporal was unreachable, a signal lost with a worker).
 */
export async function catchUpRules(db: Db, opts: SignalOptions = {}): Promise<SignalReport> {
  const behind = await accountsBehindRules(db);
  if (behind.length === 0) return { reachable: true, targets: 0, signalled: 0, notRunning: 0, failed: 0, errors: [] };
  return signalRulesTo(
    behind.map((b) => ({ accountId: b.accountId, published: { industry: b.industry, version: b.version } })),
    opts,
  );
}

/** Default period of the catch-up while a worker runs. */
export const RULES_CATCH_UP_EVERY_MS = 5 * 60_000;

/**
 * Runs the catch-up now and then every `everyMs` until stopped; `onReport` hears of every run that
 * had something to do (or failed). One run at a time.
 */
export interface RulesCatchUpOptions extends SignalOptions {
  everyMs?: number;
  onReport?: (r: SignalReport) => void;
}

export function startRulesCatchUp(db: Db, opts: RulesCatchUpOptions = {}): { stop(): Promise<void> } {
  const { everyMs, onReport, ...signal } = opts;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = running.then(async () => {
      try {
        const r = await catchUpRules(db, signal);
        if (r.targets > 0 || !r.reachable) onReport?.(r);
      } catch (error) {
        onReport?.({
          reachable: false,
          targets: 0,
          signalled: 0,
          notRunning: 0,
          failed: 0,
          errors: [(error as Error).message],
        });
      }
    });
  };
  run();
  const timer = setInterval(run, everyMs ?? RULES_CATCH_UP_EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
