/**
 * Telling running account workflows that an industry's rules were published (the editor's publish
 * and the history's rollback both do).
 *
 * Temporal may be down (or not deployed next to a studio used only to edit rules): the publish
 * stands, and the page shows what could not be delivered as a warning. Each publish opens its own
 * short-lived connection with a short timeout, so a missing server costs seconds, not the default 10.
 */
import type { Db } from '$db/client.js';
import { listAccountIds } from '$db/repositories/accounts.js';
import { FALLBACK_INDUSTRY } from '$engine/ruleset-format/schema.js';
import { connectClient, notifyRulesPublished, type RulesPublishedReport, type SignalClient } from '$workflows/client.js';
import type { RulesPublishedInput } from '$workflows/types.js';

export type { SignalClient };

export interface SignalReport extends RulesPublishedReport {
  /** Whether Temporal answered at all. */
  reachable: boolean;
}

const CONNECT_TIMEOUT = '3 seconds';

/**
 * The accounts a publish affects: an industry's own accounts, or every account for `*` (each
 * industry's effective set extends `*`, so all of them change).
 */
function affectedAccountIds(db: Db, industry: string): Promise<string[]> {
  return industry === FALLBACK_INDUSTRY ? listAccountIds(db) : listAccountIds(db, { industry });
}

/** Signals every affected account's workflow and reports what happened. Never throws. */
export async function signalRulesPublished(
  db: Db,
  published: Required<RulesPublishedInput>,
  opts: { client?: SignalClient; concurrency?: number } = {},
): Promise<SignalReport> {
  const unreached = (targets: number, error: unknown): SignalReport => ({
    reachable: false,
    targets,
    signalled: 0,
    notRunning: 0,
    failed: 0,
    errors: [(error as Error).message],
  });
  let ids: string[];
  try {
    ids = await affectedAccountIds(db, published.industry);
  } catch (error) {
    return unreached(0, error);
  }
  if (opts.client) return { reachable: true, ...(await notifyRulesPublished(opts.client, ids, published, opts)) };
  let connected: Awaited<ReturnType<typeof connectClient>>;
  try {
    connected = await connectClient({ connectTimeout: CONNECT_TIMEOUT });
  } catch (error) {
    return unreached(ids.length, error);
  }
  try {
    return { reachable: true, ...(await notifyRulesPublished(connected.client, ids, published, opts)) };
  } finally {
    await connected.close().catch(() => {});
  }
}
