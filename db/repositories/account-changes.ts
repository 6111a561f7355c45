/**
 * `account_changes`: the studio's edits of an account, written all-or-nothing with the account,
 * under optimistic concurrency. An edit names the `accounts.version` it was based on; when someone
 * else's edit landed in between, nothing is written and the caller gets that edit (who, when,
 * which fields) and the account as it now is, to show instead of silently overwriting it.
 * Imports write their changes here too (`accountsBeforeWrite`, `recordWrittenChanges`), so the
 * conflict and the history name them as well.
 */
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { accountSchema, type Account } from '../../engine/model.js';
import type { Db } from '../client.js';
import { accountChanges, accounts, type AccountChangeRow, type FieldChange } from '../schema.js';
import { getAccount, upsertAccounts } from './accounts.js';
import { loadAccountsByIds } from './accounts-bulk.js';
import { ARRAY_BATCH, chunks, insertRows, resultRows, textArray, type Columns } from './batched-writes.js';

const LISTS = ['contacts', 'competitors', 'influenceLinks'] as const;

/** The account's own fields, from the schema that defines them: everything but the id and the lists. */
const SCALAR_FIELDS = Object.keys(accountSchema.shape).filter(
  (k): k is Exclude<keyof Account, 'id' | (typeof LISTS)[number]> => k !== 'id' && !(LISTS as readonly string[]).includes(k),
);

const norm = (v: unknown) => (v === undefined ? null : v);
const same = (a: unknown, b: unknown) => JSON.stringify(norm(a)) === JSON.stringify(norm(b));

/** Items of a list keyed for comparison, each diffed field by field. */
function diffList<T extends object>(
  name: string,
  before: readonly T[],
  after: readonly T[],
  key: (item: T) => string,
  out: FieldChange[],
): void {
  const old = new Map(before.map((i) => [key(i), i]));
  const now = new Map(after.map((i) => [key(i), i]));
  for (const [k, item] of old) if (!now.has(k)) out.push({ field: `${name}.${k}`, before: item, after: null });
  for (const [k, item] of now) {
    const was = old.get(k);
    if (!was) {
      out.push({ field: `${name}.${k}`, before: null, after: item });
      continue;
    }
    const fields = new Set([...Object.keys(was), ...Object.keys(item)]);
    for (const f of fields) {
      const b = (was as Record<string, unknown>)[f];
      const a = (item as Record<string, unknown>)[f];
      if (!same(b, a)) out.push({ field: `${name}.${k}.${f}`, before: norm(b), after: norm(a) });
    }
  }
}

/**
 * What an edit changes, field by field: `potential`, `contacts.c2.reportsTo`, `contacts.c9` (added
 * or removed: the whole contact before or after), `influenceLinks.c1>c2.weight`.
 */
export function diffAccounts(before: Account, after: Account): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of SCALAR_FIELDS)
    if (!same(before[f], after[f])) out.push({ field: f, before: norm(before[f]), after: norm(after[f]) });
  diffList('contacts', before.contacts, after.contacts, (c) => c.id, out);
  diffList('competitors', before.competitors, after.competitors, (c) => c.id, out);
  diffList('influenceLinks', before.influenceLinks, after.influenceLinks, (l) => `${l.from}>${l.to}`, out);
  return out;
}

export interface EditConflict {
  /** The account's version now, and the account as it is. */
  version: number;
  current: Account;
  /** The edits made since the version the refused edit was based on, oldest first. */
  since: Pick<AccountChangeRow, 'version' | 'changedBy' | 'changedAt' | 'changes'>[];
}

export type EditOutcome =
  | { kind: 'saved'; version: number; changes: FieldChange[] }
  | { kind: 'conflict'; conflict: EditConflict }
  | { kind: 'notFound' };

/**
 * Writes `account` (valid: see db/import/account-validation.ts) over the stored account with its
 * contacts, competitors and influence links, bumps the version and records the changes, in one
 * transaction; or writes nothing when the stored version is not `baseVersion`. An edit that changes
 * nothing writes nothing and keeps the version.
 */
export async function saveAccountEdit(db: Db, edit: { account: Account; baseVersion: number; by: string }): Promise<EditOutcome> {
  const id = edit.account.id;
  return db.transaction(async (tx) => {
    // The inputs version first (migration 0010's lock order: the version, then account rows), so
    // that this row lock and an import's writes cannot deadlock.
    await tx.execute(sql`select account_inputs_version_of_transaction()`);
    // The row lock orders concurrent edits of one account: the second waits, then sees the new version.
    const [row] = await tx.select({ version: accounts.version }).from(accounts).where(eq(accounts.id, id)).for('update');
    if (!row) return { kind: 'notFound' };
    const before = (await getAccount(tx, id))!;
    if (row.version !== edit.baseVersion) {
      const since = await tx
        .select({
          version: accountChanges.version,
          changedBy: accountChanges.changedBy,
          changedAt: accountChanges.changedAt,
          changes: accountChanges.changes,
        })
        .from(accountChanges)
        .where(and(eq(accountChanges.accountId, id), gt(accountChanges.version, edit.baseVersion)))
        .orderBy(asc(accountChanges.version));
      return { kind: 'conflict', conflict: { version: row.version, current: before, since } };
    }
    const changes = diffAccounts(before, edit.account);
    if (changes.length === 0) return { kind: 'saved', version: row.version, changes };
    const version = row.version + 1;
    await upsertAccounts(tx, [edit.account]);
    await tx.update(accounts).set({ version }).where(eq(accounts.id, id));
    await tx.insert(accountChanges).values({ accountId: id, version, changedBy: edit.by, changes });
    return { kind: 'saved', version, changes };
  });
}

/** The account's version: what an edit form carries. */
export async function accountVersion(db: Db, id: string): Promise<number | undefined> {
  const [row] = await db.select({ version: accounts.version }).from(accounts).where(eq(accounts.id, id));
  return row?.version;
}

/** The account's edits, newest first. */
export async function listAccountChanges(db: Db, accountId: string, limit = 50): Promise<AccountChangeRow[]> {
  return db
    .select()
    .from(accountChanges)
    .where(eq(accountChanges.accountId, accountId))
    .orderBy(desc(accountChanges.version))
    .limit(limit);
}

/** A stored account as a bulk write found it: what its audit row is diffed against. */
export interface StoredBefore {
  account: Account;
  version: number;
}

/** An audit row as a bulk write writes it (`changed_at` defaults to the transaction's time). */
const AUDIT_COLUMNS: Columns<typeof accountChanges> = [
  ['accountId', 'text'],
  ['version', 'integer'],
  ['changedBy', 'text'],
  ['changes', 'jsonb'],
];

/** The stored versions of those of `ids` that exist. */
async function storedVersions(db: Db, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const batch of chunks([...new Set(ids)], ARRAY_BATCH)) {
    const result = await db.execute(
      sql`select ${accounts.id} as id, ${accounts.version} as version from ${accounts} where ${accounts.id} in (select unnest(${textArray(batch)}))`,
    );
    for (const r of resultRows(result)) out.set(r['id'] as string, Number(r['version']));
  }
  return out;
}

/** What a bulk write may change: the accounts' own fields only, or their lists too. */
export interface WriteScope {
  lists: boolean;
}

export interface BeforeWrite {
  scope: WriteScope;
  accounts: ReadonlyMap<string, StoredBefore>;
}

/**
 * The stored accounts among `ids`, with their versions, read in the writing transaction before
 * the write (only their own fields when the write leaves the lists alone). Ids not stored yet
 * (the new accounts of an import) cost one lookup per 10,000.
 */
export async function accountsBeforeWrite(
  db: Db,
  ids: readonly string[],
  scope: WriteScope = { lists: true },
): Promise<BeforeWrite> {
  const versions = await storedVersions(db, ids);
  const accounts = new Map<string, StoredBefore>();
  for (const account of await loadAccountsByIds(db, [...versions.keys()], scope))
    accounts.set(account.id, { account, version: versions.get(account.id)! });
  return { scope, accounts };
}

/**
 * After a bulk write (an import) in the same transaction: one audit row per account it changed,
 * field by field, by `by`, at the account's new version. Every import write that changes an
 * account bumps its version, so only the accounts whose version moved are read again.
 * Returns how many accounts changed.
 */
export async function recordWrittenChanges(db: Db, { scope, accounts: before }: BeforeWrite, by: string): Promise<number> {
  if (before.size === 0) return 0;
  const versions = await storedVersions(db, [...before.keys()]);
  const moved = [...versions].filter(([id, version]) => version !== before.get(id)!.version).map(([id]) => id);
  const rows: Omit<typeof accountChanges.$inferInsert, 'changedAt'>[] = [];
  for (const account of await loadAccountsByIds(db, moved, scope)) {
    const changes = diffAccounts(before.get(account.id)!.account, account);
    if (changes.length > 0) rows.push({ accountId: account.id, version: versions.get(account.id)!, changedBy: by, changes });
  }
  await insertRows(db, accountChanges, AUDIT_COLUMNS, rows);
  return rows.length;
}
