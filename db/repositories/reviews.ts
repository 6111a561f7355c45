/**
 * The annual review: one record per account and year (re-running a review overwrites it, so a
 * retried activity is harmless) and one row per run with its progress.
 */
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../client.js';
import { reviewRuns, reviews, type ReviewRow, type ReviewRunRow, type ReviewRunStatus } from '../schema.js';
import { NotFoundError } from './errors.js';

export type ReviewInput = Omit<typeof reviews.$inferInsert, 'id' | 'createdAt'>;

export async function startReviewRun(db: Db, input: { year: number; total: number; id?: string }): Promise<ReviewRunRow> {
  const [row] = await db.insert(reviewRuns).values({ id: input.id, year: input.year, total: input.total }).returning();
  return row!;
}

export async function getReviewRun(db: Db, id: string): Promise<ReviewRunRow | undefined> {
  const [row] = await db.select().from(reviewRuns).where(eq(reviewRuns.id, id));
  return row;
}

export async function listReviewRuns(db: Db, year?: number): Promise<ReviewRunRow[]> {
  return db
    .select()
    .from(reviewRuns)
    .where(year === undefined ? undefined : eq(reviewRuns.year, year))
    .orderBy(desc(reviewRuns.startedAt));
}

/**
 * Stores (or replaces) the account's review for the year. The run's `done` is not touched here:
 * a per-review update of the one run row serialised every review of the run on that row's lock
 * and recounted the run's reviews each time. Readers count a running run's reviews
 * (`reviewCountsByRun`), and `finishReviewRun` stores the final count.
 */
export async function recordReview(db: Db, input: ReviewInput): Promise<ReviewRow> {
  const { accountId: _accountId, year: _year, ...rest } = input;
  const [row] = await db
    .insert(reviews)
    .values(input)
    .onConflictDoUpdate({ target: [reviews.accountId, reviews.year], set: { ...rest, createdAt: sql`now()` } })
    .returning();
  return row!;
}

export async function recordReviewFailure(db: Db, runId: string): Promise<void> {
  await db
    .update(reviewRuns)
    .set({ failed: sql`${reviewRuns.failed} + 1` })
    .where(eq(reviewRuns.id, runId));
}

export async function finishReviewRun(
  db: Db,
  runId: string,
  status: Exclude<ReviewRunStatus, 'running'> = 'completed',
): Promise<ReviewRunRow> {
  const [row] = await db
    .update(reviewRuns)
    .set({ status, finishedAt: sql`now()`, done: sql`(select count(*) from ${reviews} where ${reviews.runId} = ${runId})` })
    .where(eq(reviewRuns.id, runId))
    .returning();
  if (!row) throw new NotFoundError(`review run ${runId} does not exist`);
  return row;
}

export async function getReview(db: Db, accountId: string, year: number): Promise<ReviewRow | undefined> {
  const [row] = await db
    .select()
    .from(reviews)
    .where(and(eq(reviews.accountId, accountId), eq(reviews.year, year)));
  return row;
}

export async function listReviews(
  db: Db,
  filter: { year?: number; runId?: string; accountId?: string; limit?: number } = {},
): Promise<ReviewRow[]> {
  return db
    .select()
    .from(reviews)
    .where(
      and(
        filter.year !== undefined ? eq(reviews.year, filter.year) : undefined,
        filter.runId ? eq(reviews.runId, filter.runId) : undefined,
        filter.accountId ? eq(reviews.accountId, filter.accountId) : undefined,
      ),
    )
    .orderBy(desc(reviews.year), asc(reviews.accountId))
    .limit(filter.limit ?? 1000);
}

/** The year's tier, class or strategy migration: counts per (before, after) pair. */
export async function migrationMatrix(
  db: Db,
  year: number,
  what: 'tier' | 'class' | 'strategy',
): Promise<{ before: string | null; after: string | null; count: number }[]> {
  const columns: Record<typeof what, [PgColumn, PgColumn]> = {
    tier: [reviews.tierBefore, reviews.tierAfter],
    class: [reviews.classBefore, reviews.classAfter],
    strategy: [reviews.strategyBefore, reviews.strategyAfter],
  };
  const [before, after] = columns[what];
  const rows = await db
    .select({ before, after, count: count() })
    .from(reviews)
    .where(eq(reviews.year, year))
    .groupBy(before, after)
    .orderBy(sql`${before} asc nulls first`, sql`${after} asc nulls first`);
  return rows.map((r) => ({ before: r.before as string | null, after: r.after as string | null, count: r.count }));
}
