/**
 * Opportunities incubated on accounts, and the hand-off to the sales pipeline through a
 * transactional outbox: the opportunity and its hand-off message commit together, and a sender
 * delivers pending messages at least once (the pipeline dedupes by opportunity id).
 */
import { and, asc, count, eq, gte, inArray, isNull, lt, lte, sql, sum } from 'drizzle-orm';
import type { Track } from '../../engine/model.js';
import type { Db } from '../client.js';
import { handoffOutbox, opportunities, type OpportunityRow, type OpportunityStatus, type OutboxRow } from '../schema.js';
import { NotFoundError } from './errors.js';
import { insertRows } from './batched-writes.js';

export type OpportunityInput = Omit<typeof opportunities.$inferInsert, 'createdAt' | 'handedOffAt'>;

export interface HandoffPayload {
  opportunityId: string;
  accountId: string;
  title: string;
  estimatedValue: number | null;
  track: Track | null;
  owner: string | null;
}

/** Logs an opportunity and queues its hand-off on the account's track, in one transaction. */
export async function createOpportunity(
  db: Db,
  input: OpportunityInput,
): Promise<{ opportunity: OpportunityRow; outbox: OutboxRow }> {
  return db.transaction(async (tx) => {
    const [opportunity] = await tx.insert(opportunities).values(input).returning();
    const o = opportunity!;
    const payload: HandoffPayload = {
      opportunityId: o.id,
      accountId: o.accountId,
      title: o.title,
      estimatedValue: o.estimatedValue,
      track: o.track,
      owner: o.owner,
    };
    const [outbox] = await tx.insert(handoffOutbox).values({ opportunityId: o.id, payload }).returning();
    return { opportunity: o, outbox: outbox! };
  });
}

/** Bulk upsert by id without hand-off: historical opportunities from a CRM import. */
export async function upsertOpportunities(db: Db, rows: readonly OpportunityInput[], batchSize = 1000): Promise<number> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += batchSize)
      await tx
        .insert(opportunities)
        .values(rows.slice(i, i + batchSize))
        .onConflictDoUpdate({
          target: opportunities.id,
          set: {
            accountId: sql`excluded.account_id`,
            title: sql`excluded.title`,
            estimatedValue: sql`excluded.estimated_value`,
            track: sql`excluded.track`,
            status: sql`excluded.status`,
            stage: sql`excluded.stage`,
            closeDate: sql`excluded.close_date`,
            source: sql`excluded.source`,
            owner: sql`excluded.owner`,
          },
        });
  });
  return rows.length;
}

export async function listOpportunities(
  db: Db,
  filter: { accountId?: string; status?: OpportunityStatus; limit?: number } = {},
): Promise<OpportunityRow[]> {
  return db
    .select()
    .from(opportunities)
    .where(
      and(
        filter.accountId ? eq(opportunities.accountId, filter.accountId) : undefined,
        filter.status ? eq(opportunities.status, filter.status) : undefined,
      ),
    )
    .orderBy(sql`${opportunities.closeDate} desc nulls first`, asc(opportunities.id))
    .limit(filter.limit ?? 500);
}

/**
 * Count and value of the opportunities created on the account in [from, to): "opportunities
 * incubated" in the annual review. Dates are `YYYY-MM-DD`.
 */
export async function opportunityStats(
  db: Db,
  accountId: string,
  range: { from: string; to: string },
): Promise<{ count: number; value: number }> {
  const [row] = await db
    .select({ count: count(), value: sum(opportunities.estimatedValue).mapWith(Number) })
    .from(opportunities)
    .where(
      and(
        eq(opportunities.accountId, accountId),
        gte(opportunities.createdAt, new Date(range.from)),
        lt(opportunities.createdAt, new Date(range.to)),
      ),
    );
  return { count: row?.count ?? 0, value: row?.value ?? 0 };
}

/** Won revenue per account closed in [from, to]: the CRM import's `revenueWithUs`. */
export async function wonRevenue(
  db: Db,
  accountIds: readonly string[],
  range: { from: string; to: string },
): Promise<Map<string, number>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db
    .select({ accountId: opportunities.accountId, value: sum(opportunities.estimatedValue).mapWith(Number) })
    .from(opportunities)
    .where(
      and(
        inArray(opportunities.accountId, [...accountIds]),
        eq(opportunities.status, 'won'),
        gte(opportunities.closeDate, range.from),
        lte(opportunities.closeDate, range.to),
      ),
    )
    .groupBy(opportunities.accountId);
  return new Map(rows.map((r) => [r.accountId, r.value ?? 0]));
}

// ---- outbox ------------------------------------------------------------------------------------

/** Undelivered hand-offs, oldest first, skipping ones that failed `maxAttempts` times. */
export async function pendingHandoffs(db: Db, opts: { limit?: number; maxAttempts?: number } = {}): Promise<OutboxRow[]> {
  return db
    .select()
    .from(handoffOutbox)
    .where(
      and(
        isNull(handoffOutbox.deliveredAt),
        opts.maxAttempts !== undefined ? lt(handoffOutbox.attempts, opts.maxAttempts) : undefined,
      ),
    )
    .orderBy(asc(handoffOutbox.id))
    .limit(opts.limit ?? 100);
}

/** Records a delivery and stamps the opportunity as handed off (idempotent). */
export async function markHandoffDelivered(db: Db, outboxId: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(handoffOutbox)
      .set({
        deliveredAt: sql`coalesce(${handoffOutbox.deliveredAt}, now())`,
        attempts: sql`${handoffOutbox.attempts} + 1`,
        lastError: null,
      })
      .where(eq(handoffOutbox.id, outboxId))
      .returning();
    if (!row) throw new NotFoundError(`hand-off ${outboxId} does not exist`);
    await tx
      .update(opportunities)
      .set({ handedOffAt: sql`coalesce(${opportunities.handedOffAt}, ${row.deliveredAt!.toISOString()}::timestamptz)` })
      .where(eq(opportunities.id, row.opportunityId));
  });
}

export async function markHandoffFailed(db: Db, outboxId: number, error: string): Promise<void> {
  await db
    .update(handoffOutbox)
    .set({ attempts: sql`${handoffOutbox.attempts} + 1`, lastError: error.slice(0, 2000) })
    .where(eq(handoffOutbox.id, outboxId));
}

/** Opportunities by id, without a hand-off (historical or demo data). */
export async function upsertOpportunityRows(
  db: Db,
  rows: readonly {
    id: string;
    accountId: string;
    title: string;
    estimatedValue: number | null;
    track: string | null;
    status: string;
    stage: string | null;
    closeDate: string | null;
    source: string | null;
    owner: string | null;
  }[],
): Promise<number> {
  const columns = [
    ['id', 'text'],
    ['accountId', 'text'],
    ['title', 'text'],
    ['estimatedValue', 'double precision'],
    ['track', 'text'],
    ['status', 'text'],
    ['stage', 'text'],
    ['closeDate', 'date'],
    ['source', 'text'],
    ['owner', 'text'],
  ] as const;
  const update = columns
    .filter(([k]) => k !== 'id')
    .map(([k]) => `"${opportunities[k].name}" = excluded."${opportunities[k].name}"`)
    .join(', ');
  await insertRows(db, opportunities, columns, rows, `on conflict ("id") do update set ${update}`);
  return rows.length;
}

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
