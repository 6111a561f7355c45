/**
 * In-memory snapshots of the accounts in the engine's shape, for whole-portfolio evaluations that
 * run again and again over the same accounts (the studio's what-if). A snapshot is current while
 * `account_inputs_version` is unchanged: the triggers of migration 0004 bump it in every
 * transaction that writes an account's inputs, its contacts, competitors or influence links
 * (studio, import, CLI, any process), so a use costs a one-row read instead of reading every account.
 *
 * What is computed from a snapshot's accounts (e.g. their decisions under the published rules) is
 * kept with it through `memo`, one value per name, recomputed when what else it depends on (its
 * key) changes, and dropped with the snapshot.
 */
import type { Account } from '../../engine/model.js';
import type { Db } from '../client.js';
import { accountInputsVersion } from '../schema.js';
import { loadAccountsVersioned, type BulkAccountFilter } from './accounts-bulk.js';

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

function snapshot(version: number, accounts: readonly Account[]): AccountSnapshot {
  const memos = new Map<string, { key: string; value: unknown }>();
  return {
    version,
    accounts,
    memo<T>(name: string, key: string, compute: () => T): T {
      let m = memos.get(name);
      if (m?.key !== key) memos.set(name, (m = { key, value: compute() }));
      return m.value as T;
    },
  };
}

/** The accounts matching `filter` as of now: the kept snapshot when no input changed since, else read afresh. */
export async function accountSnapshot(db: Db, filter: BulkAccountFilter): Promise<AccountSnapshot> {
  let byFilter = snapshots.get(db);
  if (!byFilter) snapshots.set(db, (byFilter = new Map()));
  const key = filterKey(filter);
  const kept = byFilter.get(key);
  if (kept && kept.version === (await accountInputsVersionOf(db))) return kept;
  const { accounts, version } = await loadAccountsVersioned(db, filter);
  const fresh = snapshot(version, accounts);
  // Most recently used last; the oldest goes when there are too many.
  byFilter.delete(key);
  byFilter.set(key, fresh);
  if (byFilter.size > MAX_SNAPSHOTS) byFilter.delete(byFilter.keys().next().value!);
  return fresh;
}
