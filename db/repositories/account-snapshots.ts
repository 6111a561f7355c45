/**
 * In-memory snapshots of the accounts in the engine's shape, for whole-portfolio evaluations that
 * run again and again over the same accounts (the studio's what-if). A snapshot is current while
 * `account_inputs_version` is unchanged: the triggers of migrations 0004 and 0010 bump it once in
 * every transaction that writes an account's inputs, its contacts, competitors or influence links
 * (studio, import, CLI, any process), so a use costs a one-row read instead of reading every account.
 * The same triggers stamp each account so written with that version (`accounts.inputs_version`):
 * a stale snapshot is brought up to date by reading only the accounts above its version and how
 * many match; only when accounts came or went, the ids of all that match as well.
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
 * `kept` brought up to date. Mostly the accounts written since were edited and are still all
 * `kept` covers: they are put in place of the kept ones. Otherwise (an insert, a delete, an account
 * that left the filter) the ids of all it covers, in the database's order, give the new list.
 */
async function refreshed(db: Db, filter: BulkAccountFilter, kept: AccountSnapshot): Promise<AccountSnapshot | null> {
  const edits = await loadAccountsChangedSince(db, filter, kept.version, { ids: false });
  if (edits.accounts.length === 0 && edits.count === kept.accounts.length)
    return snapshot(edits.version, kept.accounts, memosOf.get(kept));
  const inPlace = replacedInPlace(kept.accounts, edits.accounts, edits.count);
  if (inPlace) return snapshot(edits.version, inPlace);
  const { accounts: changed, version, ids } = await loadAccountsChangedSince(db, filter, kept.version, { ids: true });
  const merged = inOrder(ids!, changed, kept.accounts);
  return merged && snapshot(version, merged);
}

/**
 * `old` with each of `changed` in place of the account of the same id, if every one has its place
 * and `count` (how many match now) is `old.length`: then the accounts that match now are the same
 * ones (one that did not match before would be among the changed, and have no place). Else null.
 */
function replacedInPlace(old: readonly Account[], changed: readonly Account[], count: number): Account[] | null {
  if (count !== old.length) return null;
  const byId = new Map(changed.map((a) => [a.id, a]));
  let placed = 0;
  const accounts = old.map((a) => {
    const c = byId.get(a.id);
    if (!c) return a;
    placed++;
    return c;
  });
  return placed === changed.length ? accounts : null;
}

/**
 * The accounts of `ids` (the database's order), each the changed one if it changed, else the one in
 * `old` (in the same order); null if an id is in neither (cannot happen while the triggers stamp
 * every write; then the caller reads everything).
 */
function inOrder(ids: readonly string[], changed: readonly Account[], old: readonly Account[]): Account[] | null {
  const byId = new Map(changed.map((a) => [a.id, a]));
  const accounts = new Array<Account>(ids.length);
  let j = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const fresh = byId.get(id);
    if (fresh) {
      accounts[i] = fresh;
      continue;
    }
    // The kept accounts skipped are deleted, changed or out of the filter now.
    while (j < old.length && old[j]!.id !== id) j++;
    if (j === old.length) return null;
    accounts[i] = old[j++]!;
  }
  return accounts;
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
