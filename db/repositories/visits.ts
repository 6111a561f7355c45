/** Visits (fast-track execution): the cadence check needs each account's last visit. */
import { and, desc, eq, gte, inArray, lt, max, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { visits, type VisitRow } from '../schema.js';
import { insertRows, chunks } from './batched-writes.js';

export type VisitInput = Omit<typeof visits.$inferInsert, 'id' | 'createdAt'>;

export async function addVisit(db: Db, input: VisitInput): Promise<VisitRow> {
  const [row] = await db.insert(visits).values(input).returning();
  return row!;
}

/** Bulk insert (demo data, imports), in batches. */
export async function addVisits(db: Db, rows: readonly VisitInput[], batchSize = 2000): Promise<number> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += batchSize) await tx.insert(visits).values(rows.slice(i, i + batchSize));
  });
  return rows.length;
}

export async function listVisits(
  db: Db,
  accountId: string,
  opts: { from?: string; to?: string; limit?: number } = {},
): Promise<VisitRow[]> {
  return db
    .select()
    .from(visits)
    .where(
      and(
        eq(visits.accountId, accountId),
        opts.from ? gte(visits.date, opts.from) : undefined,
        opts.to ? lt(visits.date, opts.to) : undefined,
      ),
    )
    .orderBy(desc(visits.date), desc(visits.id))
    .limit(opts.limit ?? 200);
}

/** `YYYY-MM-DD` of the last visit per account; accounts never visited are absent. */
export async function lastVisitDates(db: Db, accountIds: readonly string[]): Promise<Map<string, string>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db
    .select({ accountId: visits.accountId, last: max(visits.date) })
    .from(visits)
    .where(inArray(visits.accountId, [...accountIds]))
    .groupBy(visits.accountId);
  return new Map(rows.flatMap((r) => (r.last ? [[r.accountId, r.last] as const] : [])));
}

export async function lastVisitDate(db: Db, accountId: string): Promise<string | undefined> {
  return (await lastVisitDates(db, [accountId])).get(accountId);
}

/** Visits in bulk (the demo's year of visits). */
export async function insertVisitRows(
  db: Db,
  rows: readonly { accountId: string; contactId: string | null; date: string; note: string | null; by: string | null }[],
): Promise<number> {
  await insertRows(
    db,
    visits,
    [
      ['accountId', 'text'],
      ['contactId', 'text'],
      ['date', 'date'],
      ['note', 'text'],
      ['by', 'text'],
    ],
    rows,
  );
  return rows.length;
}

/** Deletes the visits of the given accounts (re-seeding the demo replaces its year of visits). */
export async function deleteVisitsOf(db: Db, accountIds: readonly string[]): Promise<number> {
  let n = 0;
  for (const batch of chunks([...new Set(accountIds)])) {
    const rows = await db.delete(visits).where(inArray(visits.accountId, batch)).returning({ id: visits.id });
    n += rows.length;
  }
  return n;
}

/**
 * Adds a visit unless the same visit (account, date, contact, note, by) is already recorded: the
 * visits table has no idempotency key, and the same visit logged twice is a duplicate anyway.
 */
export async function addVisitOnce(db: Db, input: VisitInput): Promise<{ visit: VisitRow; created: boolean }> {
  const [existing] = await db
    .select()
    .from(visits)
    .where(
      and(
        eq(visits.accountId, input.accountId),
        eq(visits.date, input.date),
        sql`${visits.contactId} is not distinct from ${input.contactId ?? null}`,
        sql`${visits.note} is not distinct from ${input.note ?? null}`,
        sql`${visits.by} is not distinct from ${input.by ?? null}`,
      ),
    )
    .limit(1);
  if (existing) return { visit: existing, created: false };
  return { visit: await addVisit(db, input), created: true };
}
