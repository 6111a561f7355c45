/**
 * The annual review: one record per account and year (re-running a review overwrites it, so a
 * retried activity is harmless) and one row per run with its progress.
 */
import { and, asc, count, desc, eq, type SQL, or, isNotNull, inArray, gte, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../client.js';
import { accounts, reviewRuns, reviews, type ReviewRow, type ReviewRunRow, type ReviewRunStatus } from '../schema.js';
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

/** Years that have a review run or review records, newest first. */
export async function reviewYears(db: Db): Promise<number[]> {
  const [runs, reviewed] = await Promise.all([
    db.selectDistinct({ year: reviewRuns.year }).from(reviewRuns),
    db.selectDistinct({ year: reviews.year }).from(reviews),
  ]);
  return [...new Set([...runs, ...reviewed].map((r) => r.year))].sort((a, b) => b - a);
}

/**
 * How many accounts an annual review walks: every account (the run's `total`). The review
 * workflow's first activity and the studio's confirmation both count with this.
 */
export async function reviewAccountCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(accounts);
  return row?.n ?? 0;
}

/**
 * Accounts matching `where` whose cycle after `year` has started: the workflow stamps
 * `accounts.cycle_year` with the new year at the first stage of that cycle.
 */
export async function nextCycleStartedWhere(db: Db, year: number, where: SQL | undefined): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(accounts)
    .where(and(sql`${accounts.cycleYear} > ${year}`, where));
  return row?.n ?? 0;
}

export async function latestReviewRun(db: Db): Promise<ReviewRunRow | undefined> {
  const [row] = await db.select().from(reviewRuns).orderBy(desc(reviewRuns.startedAt)).limit(1);
  return row;
}

export async function reviewRunsPage(db: Db, limit = 20): Promise<ReviewRunRow[]> {
  return db.select().from(reviewRuns).orderBy(desc(reviewRuns.startedAt)).limit(limit);
}

export interface ReviewAggregate {
  accounts: number;
  attainmentMean: number | null;
  attainmentAtOrAbove1: number;
  opportunitiesCount: number;
  opportunitiesValue: number;
  tier: { before: string; after: string; count: number }[];
  class: { before: string; after: string; count: number }[];
  strategy: { before: string; after: string; count: number }[];
}

/**
 * The year's reviews of the accounts matching `where`, summarised like the engine's
 * `summarizeReviews` (migrations count only accounts with a "before"), but aggregated in SQL.
 */
export async function reviewAggregateWhere(db: Db, year: number, where: SQL | undefined): Promise<ReviewAggregate> {
  const scoped = and(eq(reviews.year, year), where);
  const [totals] = await db
    .select({
      accounts: count(),
      attainmentMean: sql<number | null>`round((avg(${reviews.attainment}))::numeric, 2)`.mapWith((v) =>
        v === null ? null : Number(v),
      ),
      atOrAbove1: sql<number>`count(*) filter (where ${reviews.attainment} >= 1)`.mapWith(Number),
      opportunitiesCount: sql<number>`coalesce(sum(${reviews.opportunitiesCount}), 0)`.mapWith(Number),
      opportunitiesValue: sql<number>`round(coalesce(sum(${reviews.opportunitiesValue}), 0)::numeric, 2)`.mapWith(Number),
    })
    .from(reviews)
    .innerJoin(accounts, eq(accounts.id, reviews.accountId))
    .where(scoped);
  const pairs = await db
    .select({
      tb: reviews.tierBefore,
      ta: reviews.tierAfter,
      cb: reviews.classBefore,
      ca: reviews.classAfter,
      sb: reviews.strategyBefore,
      sa: reviews.strategyAfter,
      gt: sql<number>`grouping(${reviews.tierBefore}, ${reviews.tierAfter})`.mapWith(Number),
      gc: sql<number>`grouping(${reviews.classBefore}, ${reviews.classAfter})`.mapWith(Number),
      n: count(),
    })
    .from(reviews)
    .innerJoin(accounts, eq(accounts.id, reviews.accountId))
    .where(and(scoped, isNotNull(reviews.tierBefore)))
    .groupBy(
      sql`grouping sets ((${reviews.tierBefore}, ${reviews.tierAfter}), (${reviews.classBefore}, ${reviews.classAfter}), (${reviews.strategyBefore}, ${reviews.strategyAfter}))`,
    );
  const out: ReviewAggregate = {
    accounts: totals?.accounts ?? 0,
    attainmentMean: totals?.attainmentMean ?? null,
    attainmentAtOrAbove1: totals?.atOrAbove1 ?? 0,
    opportunitiesCount: totals?.opportunitiesCount ?? 0,
    opportunitiesValue: totals?.opportunitiesValue ?? 0,
    tier: [],
    class: [],
    strategy: [],
  };
  for (const p of pairs) {
    if (p.gt === 0) {
      if (p.tb && p.ta) out.tier.push({ before: p.tb, after: p.ta, count: p.n });
    } else if (p.gc === 0) {
      if (p.cb && p.ca) out.class.push({ before: p.cb, after: p.ca, count: p.n });
    } else if (p.sb && p.sa && p.sb !== p.sa) out.strategy.push({ before: p.sb, after: p.sa, count: p.n });
  }
  return out;
}

export interface ReviewListRow {
  accountId: string;
  accountName: string;
  attainment: number | null;
  actionsDoneShare: number | null;
  opportunitiesCount: number;
  opportunitiesValue: number;
  closenessChange: number | null;
  scoreBefore: number | null;
  scoreAfter: number | null;
  tierBefore: string | null;
  tierAfter: string | null;
  classBefore: string | null;
  classAfter: string | null;
  strategyBefore: string | null;
  strategyAfter: string | null;
}

/** A page of the year's per-account review records within `where`, by account name. */
export async function reviewsPageWhere(
  db: Db,
  year: number,
  where: SQL | undefined,
  opts: { page: number; pageSize: number; changedOnly?: boolean },
): Promise<{ rows: ReviewListRow[]; total: number }> {
  const changed = opts.changedOnly
    ? or(
        sql`${reviews.tierBefore} is distinct from ${reviews.tierAfter}`,
        sql`${reviews.classBefore} is distinct from ${reviews.classAfter}`,
        sql`${reviews.strategyBefore} is distinct from ${reviews.strategyAfter}`,
      )
    : undefined;
  const scoped = and(eq(reviews.year, year), where, changed);
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({
        accountId: reviews.accountId,
        accountName: accounts.name,
        attainment: reviews.attainment,
        actionsDoneShare: reviews.actionsDoneShare,
        opportunitiesCount: reviews.opportunitiesCount,
        opportunitiesValue: reviews.opportunitiesValue,
        closenessChange: reviews.closenessChange,
        scoreBefore: reviews.scoreBefore,
        scoreAfter: reviews.scoreAfter,
        tierBefore: reviews.tierBefore,
        tierAfter: reviews.tierAfter,
        classBefore: reviews.classBefore,
        classAfter: reviews.classAfter,
        strategyBefore: reviews.strategyBefore,
        strategyAfter: reviews.strategyAfter,
      })
      .from(reviews)
      .innerJoin(accounts, eq(accounts.id, reviews.accountId))
      .where(scoped)
      .orderBy(asc(accounts.name), asc(reviews.accountId))
      .limit(opts.pageSize)
      .offset((opts.page - 1) * opts.pageSize),
    db.select({ n: count() }).from(reviews).innerJoin(accounts, eq(accounts.id, reviews.accountId)).where(scoped),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}

/** The newest run of a review workflow (run ids are `<workflowId>:<runId>`) started at or after `since`. */
export async function reviewRunOf(db: Db, workflowId: string, since: Date): Promise<ReviewRunRow | undefined> {
  const prefix = `${workflowId.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`;
  const [row] = await db
    .select()
    .from(reviewRuns)
    .where(and(sql`${reviewRuns.id} like ${prefix}`, gte(reviewRuns.startedAt, since)))
    .orderBy(desc(reviewRuns.startedAt))
    .limit(1);
  return row;
}

/** Reviews written per run, counted from the reviews themselves: `review_runs.done` is stored when the run finishes. */
export async function reviewCountsByRun(db: Db, runIds: readonly string[]): Promise<Map<string, number>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .select({ runId: reviews.runId, n: count() })
    .from(reviews)
    .where(inArray(reviews.runId, [...runIds]))
    .groupBy(reviews.runId);
  return new Map(rows.map((r) => [r.runId!, r.n]));
}
/** Creates the review run with a caller-chosen id, or returns it when it exists (a retried activity). */
export async function ensureReviewRun(db: Db, input: { id: string; year: number; total: number }): Promise<ReviewRunRow> {
  await db.insert(reviewRuns).values(input).onConflictDoNothing({ target: reviewRuns.id });
  const [row] = await db.select().from(reviewRuns).where(eq(reviewRuns.id, input.id));
  return row!;
}

/** Sets the run's failure count (the review workflow counts them; a retry must not add twice). */
export async function setReviewRunFailed(db: Db, id: string, failed: number): Promise<void> {
  await db.update(reviewRuns).set({ failed }).where(eq(reviewRuns.id, id));
}
