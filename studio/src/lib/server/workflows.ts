/**
 * The studio's side of the workflows: telling running account workflows that something changed.
 *
 * Temporal may be down (or not deployed next to a studio used only to edit rules): whatever the
 * studio did in the database stands, and the caller shows what could not be delivered as a
 * warning. The account workflows also re-read their rule set on their next step, so a missed
 * signal delays the re-evaluation; it does not lose it.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../../../../db/client.js';
import { listAccountIds } from '../../../../db/repositories/accounts.js';
import { FALLBACK_INDUSTRY } from '../../../../engine/ruleset-format/schema.js';
import { temporalSettings } from '../../../../workflows/connection.js';
import { accountWorkflowId, type RulesPublishedInput } from '../../../../workflows/types.js';

/** What the studio needs of a Temporal client; tests pass a fake. */
export interface SignalClient {
  workflow: { getHandle(workflowId: string): { signal(name: string, ...args: unknown[]): Promise<void> } };
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
const CONCURRENCY = 16;
const MAX_ERRORS = 5;

/**
 * Connects with a short timeout: a publish must not hang for the default 10 s when Temporal is
 * not there. The caller closes the connection.
 */
export async function connectTemporal(): Promise<{ client: Client; close(): Promise<void> }> {
  const settings = temporalSettings();
  const connection = await Connection.connect({
    address: settings.address,
    tls: settings.tls,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  return { client: new Client({ connection, namespace: settings.namespace }), close: () => connection.close() };
}

/** Runs `fn` over `items`, at most `concurrency` at a time. */
async function eachConcurrent<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
}

/**
 * The accounts a publish affects: an industry's own accounts, or every account for `*` (each
 * industry's effective set extends `*`, so all of them change).
 */
export async function affectedAccountIds(db: Db, industry: string): Promise<string[]> {
  return industry === FALLBACK_INDUSTRY ? listAccountIds(db) : listAccountIds(db, { industry });
}

/**
 * Sends `rulesPublished` to the workflow of every affected account, a bounded number at a time,
 * and reports what happened. Never throws: publishing has already succeeded.
 */
export async function signalRulesPublished(
  db: Db,
  published: Required<RulesPublishedInput>,
  opts: { client?: SignalClient; concurrency?: number } = {},
): Promise<SignalReport> {
  const report: SignalReport = { reachable: false, targets: 0, signalled: 0, notRunning: 0, failed: 0, errors: [] };
  let ids: string[];
  try {
    ids = await affectedAccountIds(db, published.industry);
  } catch (error) {
    report.errors.push((error as Error).message);
    return report;
  }
  report.targets = ids.length;
  let client = opts.client;
  let close: (() => Promise<void>) | undefined;
  if (!client) {
    try {
      const connected = await connectTemporal();
      client = connected.client as unknown as SignalClient;
      close = connected.close;
    } catch (error) {
      report.errors.push((error as Error).message);
      return report;
    }
  }
  report.reachable = true;
  try {
    await eachConcurrent(ids, opts.concurrency ?? CONCURRENCY, async (id) => {
      try {
        await client.workflow.getHandle(accountWorkflowId(id)).signal('rulesPublished', published);
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
  return report;
}
