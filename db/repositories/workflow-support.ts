/**
 * Repository functions the Temporal activities need beyond the other repositories: idempotent
 * variants (an activity may run more than once: a retry, or a worker that died after the write but
 * before reporting it) and the review run's paging.
 */
import { and, asc, count, eq, gt, inArray, isNull, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import {
  accounts,
  handoffOutbox,
  opportunities,
  reviewRuns,
  stageResults,
  visits,
  type OpportunityRow,
  type OutboxRow,
  type ReviewRunRow,
  type StageResultRow,
  type VisitRow,
} from '../schema.js';
import { createOpportunity, type OpportunityInput } from './opportunities.js';
import { addVisit, type VisitInput } from './visits.js';

/**
 * Creates the opportunity and its hand-off unless an opportunity with `input.id` exists; then the
 * existing one and its outbox row are returned. The caller derives the id from the activity's
 * identity, so a re-run activity finds its own earlier write.
 */
export async function createOpportunityOnce(
  db: Db,
  input: OpportunityInput & { id: string },
): Promise<{ opportunity: OpportunityRow; outbox: OutboxRow; created: boolean }> {
  const [existing] = await db.select().from(opportunities).where(eq(opportunities.id, input.id));
  if (existing) {
    const [outbox] = await db
      .select()
      .from(handoffOutbox)
      .where(eq(handoffOutbox.opportunityId, existing.id))
      .orderBy(asc(handoffOutbox.id))
      .limit(1);
    if (outbox) return { opportunity: existing, outbox, created: false };
  }
  try {
    return { ...(await createOpportunity(db, input)), created: true };
  } catch (error) {
    // Two attempts raced (the first one's worker looked dead but was not): the loser reads the winner's rows.
    const [again] = await db.select().from(opportunities).where(eq(opportunities.id, input.id));
    const [outbox] = again
      ? await db
          .select()
          .from(handoffOutbox)
          .where(eq(handoffOutbox.opportunityId, again.id))
          .orderBy(asc(handoffOutbox.id))
          .limit(1)
      : [];
    if (again && outbox) return { opportunity: again, outbox, created: false };
    throw error;
  }
}

export async function getOutboxRow(db: Db, id: number): Promise<OutboxRow | undefined> {
  const [row] = await db.select().from(handoffOutbox).where(eq(handoffOutbox.id, id));
  return row;
}

export async function getOpportunitiesByIds(db: Db, ids: readonly string[]): Promise<OpportunityRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(opportunities)
    .where(inArray(opportunities.id, [...ids]));
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

/** The audit row an activity wrote under its idempotency key, if it already ran to the end once. */
export async function stageResultByKey(db: Db, idempotencyKey: string): Promise<StageResultRow | undefined> {
  const [row] = await db.select().from(stageResults).where(eq(stageResults.idempotencyKey, idempotencyKey));
  return row;
}

/** Stage result counts per stage for an account (and cycle): what the tests and the studio check. */
export async function stageResultCounts(db: Db, accountId: string, cycleYear?: number): Promise<Record<string, number>> {
  const rows = await db
    .select({ stage: stageResults.stage, n: count() })
    .from(stageResults)
    .where(
      and(eq(stageResults.accountId, accountId), cycleYear === undefined ? undefined : eq(stageResults.cycleYear, cycleYear)),
    )
    .groupBy(stageResults.stage);
  return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
}
