/**
 * Telling the account workflows that a rule set was published: the studio's publish and rollback,
 * `esp rules publish|rollback`, and the catch-up that finds accounts whose workflows missed it.
 *
 * Temporal may be down (or not deployed next to a studio used only to edit rules): the publish has
 * committed either way, and the caller says what could not be delivered. Nothing is lost: the
 * catch-up (`catchUpRules`, run when a worker starts and every few minutes: workflows/catch-up.ts)
 * signals every account its workflow has not evaluated under the rule set in force.
 */
import type { Db } from '../db/client.js';
import { accountsBehindRules } from '../db/repositories/account-rule-versions.js';
import { listAccountIds } from '../db/repositories/accounts.js';
import { FALLBACK_INDUSTRY } from '../engine/ruleset-format/schema.js';
import { rulesPublishedSignal } from './messages.js';
import { emptyReport, signalAccounts, type SignalOptions, type SignalReport } from './signal-accounts.js';
import type { RulesPublishedInput } from './types.js';

/**
 * The accounts a publish affects: an industry's own accounts, or every account for `*` (each
 * industry's effective set extends `*`, so all of them change).
 */
export async function affectedAccountIds(db: Db, industry: string): Promise<string[]> {
  return industry === FALLBACK_INDUSTRY ? listAccountIds(db) : listAccountIds(db, { industry });
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
    return emptyReport(false, [(error as Error).message]);
  }
  return signalAccounts(
    rulesPublishedSignal,
    ids.map((accountId) => ({ accountId, payload: published })),
    opts,
  );
}

/**
 * The catch-up: signals every account whose workflow has not evaluated it under the rule set in
 * force (a publish while Temporal was unreachable, a signal lost with a worker).
 */
export async function catchUpRules(db: Db, opts: SignalOptions = {}): Promise<SignalReport> {
  const behind = await accountsBehindRules(db);
  if (behind.length === 0) return emptyReport(true);
  return signalAccounts(
    rulesPublishedSignal,
    behind.map((b) => ({ accountId: b.accountId, payload: { industry: b.industry, version: b.version } })),
    opts,
  );
}
