/**
 * In-memory snapshots of the accounts in the engine's shape, for whole-portfolio evaluations that
 * run again and again over the same accounts (the studio's what-if). A snapshot is current while
 * `account_inputs_version` is unchanged: the triggers of migrations 0004 and 0010 bump it once in
 * every transaction that writes an account's inputs, its contacts, competitors or influence links
 * (studio, import, CLI, any process), so a use costs a one-row read instead of reading every account.
 * The same triggers stamp each account so written with that version (`accounts.inputs_version`):
 * a stale snapshot is brought up to date by reading only the accounts above its version, and the
 * ids of the matching accounts (which drop the deleted ones and those that left the filter).
 *
 * What is computed from a snapshot's accounts (e.g. their decisions under the published rules) is
 * kept with it through `memo`, one value per name, recomputed when what else it depends on (its
 * key) changes, and dropped with the snapshot: a refreshed snapshot is a new one, whose memos are
 * computed afresh (a decision may depend on the whole portfolio), unless none of its accounts changed.
 */
import type { Account } from '../../engine/model.js';
import type { Db } from '../client.js';
import { accountInputsVersion } from '../schema.js';
import { loadAccountsChangedSince, loadAccountsVersioned, type BulkAccountFilter } from './accounts-bulk.js';

export interface AccountSnapshot {
  version: number;
  /** Ordered by id; shared by every user of the snapshot: never mutate. */
  accounts: readonly Account[];
  /** The value named `name` computed from these accounts, kept while its `key` stays the same. */
  memo<T>(name: string, key: string, compute: () => T): T;
}

/** Snapshots kept per database handle: the fallback's (every account) and a few industries'. */
const MAX_SNAPSHOTS = 4;
const snapshots = new WeakMap<object, Map<string, AccountSnapshot>>();

function filterKey(filter: BulkAccountFilter): string {
  return 'all' in filter ? '*' : JSON.stringify([...filter.industries].sort());
}

export async function accountInputsVersionOf(db: Db): Promise<number> {
  const [row] = await db.select({ version: accountInputsVersion.version }).from(accountInputsVersion);
  return Number(row?.version ?? 0);
}

type Memos = Map<string, { key: string; value: unknown }>;

/** Each snapshot's memos, carried to a newer snapshot with the very same accounts. */
const memosOf = new WeakMap<AccountSnapshot, Memos>();

function snapshot(version: number, accounts: readonly Account[], memos: Memos = new Map()): AccountSnapshot {
  const s: AccountSnapshot = {
    version,
    accounts,
    memo<T>(name: string, key: string, compute: () => T): T {
      let m = memos.get(name);
      if (m?.key !== key) memos.set(name, (m = { key, value: compute() }));
      return m.value as T;
    },
  };
  memosOf.set(s, memos);
  return s;
}

/**
 * `kept` brought up to date: its accounts in the order of `ids` (the database's), each the changed
 * one if it changed, else the kept one; null if `ids` names an account that is in neither (cannot
 * happen while the triggers stamp every write; then the caller reads everything).
 */
async function refreshed(db: Db, filter: BulkAccountFilter, kept: AccountSnapshot): Promise<AccountSnapshot | null> {
  const { accounts: changed, version, ids } = await loadAccountsChangedSince(db, filter, kept.version);
  const byId = new Map(changed.map((a) => [a.id, a]));
  const old = kept.accounts;
  const accounts: Account[] = new Array<Account>(ids.length);
  let j = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const fresh = byId.get(id);
    if (fresh) {
      accounts[i] = fresh;
      continue;
    }
    // Both lists are in the database's order: the kept accounts skipped are deleted, changed or
    // out of the filter now.
    while (j < old.length && old[j]!.id !== id) j++;
    if (j === old.length) return null;
    accounts[i] = old[j++]!;
  }
  const same = changed.length === 0 && accounts.length === old.length;
  return same ? snapshot(version, old, memosOf.get(kept)) : snapshot(version, accounts);
}

/** The check or read under way per database handle and filter: one at a time, the next ones build on it. */
const underWay = new WeakMap<object, Map<string, Promise<AccountSnapshot>>>();

/**
 * The accounts matching `filter` as of now: the kept snapshot when no input changed since, else
 * the kept one with the accounts changed since re-read, else (none kept) read afresh. A call made
 * while another is under way for the same filter waits for it and then checks its result, so two
 * first what-ifs (or one and the studio's warm-up) read the accounts once.
 */
export async function accountSnapshot(db: Db, filter: BulkAccountFilter): Promise<AccountSnapshot> {
  let byKey = underWay.get(db);
  if (!byKey) underWay.set(db, (byKey = new Map()));
  const key = filterKey(filter);
  for (let other = byKey.get(key); other; other = byKey.get(key)) await other.catch(() => undefined);
  const mine = current(db, filter, key);
  byKey.set(key, mine);
  try {
    return await mine;
  } finally {
    if (byKey.get(key) === mine) byKey.delete(key);
  }
}

async function current(db: Db, filter: BulkAccountFilter, key: string): Promise<AccountSnapshot> {
  let byFilter = snapshots.get(db);
  if (!byFilter) snapshots.set(db, (byFilter = new Map()));
  const kept = byFilter.get(key);
  if (kept && kept.version === (await accountInputsVersionOf(db))) return kept;
  let fresh = kept ? await refreshed(db, filter, kept) : null;
  if (!fresh) {
    const { accounts, version } = await loadAccountsVersioned(db, filter);
    fresh = snapshot(version, accounts);
  }
  // Most recently used last; the oldest goes when there are too many.
  byFilter.delete(key);
  byFilter.set(key, fresh);
  if (byFilter.size > MAX_SNAPSHOTS) byFilter.delete(byFilter.keys().next().value!);
  return fresh;
}
