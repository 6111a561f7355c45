/**
 * Accounts read a page, a count or an id at a time: the studio's scoped lists and facets, and the
 * review run's paging through every account. Every studio read takes a `where` (the caller's
 * access scope, already combined with any filters) so that a manager's pages never read outside
 * their accounts, and counts in SQL so a page over 10,000 accounts reads counts, not rows.
 */
import { and, asc, count, eq, gt, inArray, isNull, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../client.js';
import { accounts, users } from '../schema.js';
import { accountOrder, type AccountSort } from './accounts.js';

// ---- the account list ---------------------------------------------------------------------------

export interface StudioAccountRow {
  id: string;
  name: string;
  industry: string | null;
  region: string | null;
  status: string | null;
  tier: string | null;
  class: string | null;
  score: number | null;
  strategy: string | null;
  stage: string | null;
  health: string | null;
  waitingFor: string | null;
  revenueWithUs: number | null;
  potential: number | null;
  closeness: number | null;
  ownerId: string | null;
  ownerName: string | null;
  updatedAt: Date;
}

const listColumns = {
  id: accounts.id,
  name: accounts.name,
  industry: accounts.industry,
  region: accounts.region,
  status: accounts.status,
  tier: accounts.tier,
  class: accounts.class,
  score: accounts.score,
  strategy: accounts.strategy,
  stage: accounts.stage,
  health: accounts.health,
  waitingFor: accounts.waitingFor,
  revenueWithUs: accounts.revenueWithUs,
  potential: accounts.potential,
  closeness: accounts.closeness,
  ownerId: accounts.ownerId,
  ownerName: users.name,
  updatedAt: accounts.updatedAt,
};

export interface PageOptions {
  sort: AccountSort;
  direction: 'asc' | 'desc';
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** A sorted page of the accounts matching `where`, with the owner's name, and the total. */
export async function listAccountsWhere(
  db: Db,
  where: SQL | undefined,
  opts: PageOptions,
): Promise<{ rows: StudioAccountRow[]; total: number }> {
  const [rows, [totalRow]] = await Promise.all([
    db
      .select(listColumns)
      .from(accounts)
      .leftJoin(users, eq(users.id, accounts.ownerId))
      .where(where)
      .orderBy(...accountOrder(opts.sort, opts.direction))
      .limit(opts.pageSize)
      .offset((opts.page - 1) * opts.pageSize),
    db.select({ n: count() }).from(accounts).where(where),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}

// ---- counts -------------------------------------------------------------------------------------

export const COUNT_COLUMNS = ['industry', 'tier', 'class', 'strategy', 'stage', 'health', 'waitingFor', 'ownerId', 'coverageTeam'] as const;
export type CountColumn = (typeof COUNT_COLUMNS)[number];

export type ColumnCounts<K extends CountColumn> = { total: number } & { [C in K]: Map<string | null, number> };

/**
 * Counts per value of several columns in one scan (GROUPING SETS), plus the total. A null key is
 * "not set" (e.g. not evaluated yet).
 */
export async function countAccountsBy<K extends CountColumn>(
  db: Db,
  where: SQL | undefined,
  columns: readonly K[],
): Promise<ColumnCounts<K>> {
  const fields: Record<string, SQL | PgColumn> = { n: sql<number>`count(*)`.mapWith(Number) };
  columns.forEach((c, i) => {
    fields[`v${i}`] = accounts[c];
    fields[`g${i}`] = sql<number>`grouping(${accounts[c]})`.mapWith(Number);
  });
  const sets = sql.join([...columns.map((c) => sql`(${accounts[c]})`), sql`()`], sql`, `);
  const rows = (await db
    .select(fields)
    .from(accounts)
    .where(where)
    .groupBy(sql`grouping sets (${sets})`)) as Record<string, unknown>[];
  const out = { total: 0 } as ColumnCounts<K>;
  for (const c of columns) (out as Record<string, unknown>)[c] = new Map<string | null, number>();
  for (const row of rows) {
    const n = Number(row['n']);
    const i = columns.findIndex((_, k) => Number(row[`g${k}`]) === 0);
    if (i < 0) out.total = n;
    else (out[columns[i]!] as Map<string | null, number>).set((row[`v${i}`] as string | null) ?? null, n);
  }
  return out;
}

/** Which of `ids` match `where`: scoping ids that came from elsewhere (Temporal's visibility). */
export async function idsWhere(db: Db, where: SQL | undefined, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: accounts.id, name: accounts.name })
    .from(accounts)
    .where(and(where, inArray(accounts.id, [...ids])));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** What an access check needs of one account, without its contacts. */
export async function accountAccess(
  db: Db,
  id: string,
): Promise<{ id: string; name: string; ownerId: string | null; coverageTeam: string | null } | undefined> {
  const [row] = await db
    .select({ id: accounts.id, name: accounts.name, ownerId: accounts.ownerId, coverageTeam: accounts.coverageTeam })
    .from(accounts)
    .where(eq(accounts.id, id));
  return row;
}

// ---- the review run's paging -----------------------------------------------------------------

/**
 * Which accounts use a rule set in quota mode: those of `quotaIndustries` (industries with their
 * own quota-mode set) plus, when the fallback `*` is in quota mode, every account of an industry
 * without its own set.
 */
export function quotaAccountsWhere(q: {
  quotaIndustries: readonly string[];
  ownIndustries: readonly string[];
  fallbackIsQuota: boolean;
}): SQL {
  const parts: SQL[] = [];
  if (q.quotaIndustries.length > 0) parts.push(inArray(accounts.industry, [...q.quotaIndustries]));
  if (q.fallbackIsQuota) {
    parts.push(
      q.ownIndustries.length > 0
        ? or(isNull(accounts.industry), notInArray(accounts.industry, [...q.ownIndustries]))!
        : sql`true`,
    );
  }
  return parts.length === 0 ? sql`false` : parts.length === 1 ? parts[0]! : or(...parts)!;
}

/** A page of account ids in id order, after `after`, inside or outside the quota-mode accounts. */
export async function accountIdPage(
  db: Db,
  opts: { quota: SQL; inQuota: boolean; after: string | null; limit: number },
): Promise<string[]> {
  const rows = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(
      and(
        opts.inQuota ? opts.quota : sql`not coalesce((${opts.quota}), false)`,
        opts.after === null ? undefined : gt(accounts.id, opts.after),
      ),
    )
    .orderBy(asc(accounts.id))
    .limit(opts.limit);
  return rows.map((r) => r.id);
}

export async function quotaAccountIds(db: Db, quota: SQL): Promise<{ id: string; industry: string | null }[]> {
  return db.select({ id: accounts.id, industry: accounts.industry }).from(accounts).where(quota).orderBy(asc(accounts.id));
}
