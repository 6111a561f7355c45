/**
 * Read models for the portfolio and account pages, always within the user's account scope.
 * (When `AccountFilter` in db/repositories/accounts.ts learns a scope, these can delegate to it.)
 */
import { asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '../../../../db/client.js';
import { accounts, users } from '../../../../db/schema.js';
import { scopeWhere, type AccountScope } from './scope.js';

export type CountColumn = 'tier' | 'class' | 'stage' | 'health';

export async function countAccountsBy(db: Db, scope: AccountScope, column: CountColumn): Promise<Map<string | null, number>> {
  const col = accounts[column];
  const rows = await db.select({ value: col, n: count() }).from(accounts).where(scopeWhere(scope)).groupBy(col);
  return new Map(rows.map((r) => [r.value as string | null, r.n]));
}

export async function countScopedAccounts(db: Db, scope: AccountScope): Promise<number> {
  const [row] = await db.select({ n: count() }).from(accounts).where(scopeWhere(scope));
  return row?.n ?? 0;
}

export interface AccountListItem {
  id: string;
  name: string;
  industry: string | null;
  tier: string | null;
  class: string | null;
  score: number | null;
  strategy: string | null;
  stage: string | null;
  health: string | null;
  revenueWithUs: number | null;
  ownerId: string | null;
  ownerName: string | null;
}

export async function listScopedAccounts(
  db: Db,
  scope: AccountScope,
  page: number,
  pageSize: number,
): Promise<{ rows: AccountListItem[]; total: number; page: number; pageSize: number }> {
  const where = scopeWhere(scope);
  const rows = await db
    .select({
      id: accounts.id,
      name: accounts.name,
      industry: accounts.industry,
      tier: accounts.tier,
      class: accounts.class,
      score: accounts.score,
      strategy: accounts.strategy,
      stage: accounts.stage,
      health: accounts.health,
      revenueWithUs: accounts.revenueWithUs,
      ownerId: accounts.ownerId,
      ownerName: users.name,
    })
    .from(accounts)
    .leftJoin(users, eq(users.id, accounts.ownerId))
    .where(where)
    .orderBy(sql`${accounts.score} desc nulls last`, asc(accounts.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize);
  return { rows, total: await countScopedAccounts(db, scope), page, pageSize };
}
