/**
 * Which accounts changed after their workflow last read them: the catch-up for edits and imports
 * whose `accountUpdated` never arrived (Temporal was unreachable, a worker was down). Every stage
 * activity stamps the `accounts.version` it read (`evaluated_version`); the catch-up stamps the
 * version it told the workflow of (`caught_up_version`), so each missed change is told once, even
 * when the workflow has nothing to re-run for it (a name change, a held next cycle).
 */
import { and, asc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { accountChanges, accounts } from '../schema.js';
import { chunks } from './batched-writes.js';

export interface BehindEdits {
  accountId: string;
  /** The account's version now: what the workflow is told of. */
  version: number;
  /**
   * The fields changed since the workflow's version (from the audit rows), or undefined when a
   * change left no audit row: the workflow then assumes anything may have changed.
   */
  fields?: string[];
  /** Who made the latest of those changes. */
  by?: string;
}

/** The newest version the workflow read or was told of; -1 before either. */
const known = sql`coalesce(greatest(${accounts.evaluatedVersion}, ${accounts.caughtUpVersion}), -1)`;

/** Accounts with a workflow (a stage) whose version is newer than what their workflow knows. */
export async function accountsBehindEdits(db: Db): Promise<BehindEdits[]> {
  const behind = await db
    .select({ accountId: accounts.id, version: accounts.version, known: sql<number>`${known}` })
    .from(accounts)
    .where(and(isNotNull(accounts.stage), gt(accounts.version, known)))
    .orderBy(accounts.id);
  if (behind.length === 0) return [];
  const since = new Map(behind.map((b) => [b.accountId, Number(b.known)]));
  const audit = new Map<string, { first: number; fields: Set<string>; by: string }>();
  for (const ids of chunks(
    behind.map((b) => b.accountId),
    1000,
  )) {
    const rows = await db
      .select({
        accountId: accountChanges.accountId,
        version: accountChanges.version,
        changedBy: accountChanges.changedBy,
        changes: accountChanges.changes,
      })
      .from(accountChanges)
      .where(inArray(accountChanges.accountId, ids))
      .orderBy(asc(accountChanges.accountId), asc(accountChanges.version));
    for (const r of rows) {
      if (r.version <= since.get(r.accountId)!) continue;
      const a = audit.get(r.accountId) ?? { first: r.version, fields: new Set<string>(), by: r.changedBy };
      a.by = r.changedBy;
      for (const c of r.changes) a.fields.add(c.field);
      audit.set(r.accountId, a);
    }
  }
  return behind.map(({ accountId, version }) => {
    const a = audit.get(accountId);
    // A version right after the known one without its audit row was written by something that
    // leaves none: its fields are unknown, so the workflow hears "anything may have changed".
    const complete = a !== undefined && a.first === since.get(accountId)! + 1;
    return a ? { accountId, version, ...(complete ? { fields: [...a.fields] } : {}), by: a.by } : { accountId, version };
  });
}

/** Records that the workflows were told of these versions (never moves a stamp back). */
export async function markEditsCaughtUp(db: Db, told: readonly { accountId: string; version: number }[]): Promise<void> {
  for (const t of told)
    await db
      .update(accounts)
      .set({ caughtUpVersion: sql`greatest(${accounts.caughtUpVersion}, ${t.version})` })
      .where(eq(accounts.id, t.accountId));
}
