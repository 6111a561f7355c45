/**
 * The audit trail: one row per stage run per account, with the rule set version, the input it saw,
 * what it decided and why. Appends are idempotent by key, so a retried Temporal activity that
 * already wrote its result does not write it twice.
 */
import { and, count, desc, eq, type SQL } from 'drizzle-orm';
import type { Stage } from '../../engine/model.js';
import type { Db } from '../client.js';
import { stageResults, type StageResultRow } from '../schema.js';

export type StageResultInput = Omit<typeof stageResults.$inferInsert, 'id' | 'createdAt'>;

/**
 * Appends a stage result unless one with the same `idempotencyKey` exists. Returns the stored row
 * either way, and whether this call wrote it.
 */
export async function appendStageResult(db: Db, input: StageResultInput): Promise<{ row: StageResultRow; inserted: boolean }> {
  const [row] = await db
    .insert(stageResults)
    .values(input)
    .onConflictDoNothing({ target: stageResults.idempotencyKey })
    .returning();
  if (row) return { row, inserted: true };
  const [existing] = await db.select().from(stageResults).where(eq(stageResults.idempotencyKey, input.idempotencyKey));
  // Only a concurrent delete could make it vanish; the audit trail is append-only.
  if (!existing) throw new Error(`stage result ${input.idempotencyKey} was neither written nor found`);
  return { row: existing, inserted: false };
}

export interface StageResultQuery {
  stage?: Stage;
  cycleYear?: number;
  limit?: number;
}

/** The account's stage results, newest first. */
export async function listStageResults(db: Db, accountId: string, q: StageResultQuery = {}): Promise<StageResultRow[]> {
  const conditions: SQL[] = [eq(stageResults.accountId, accountId)];
  if (q.stage) conditions.push(eq(stageResults.stage, q.stage));
  if (q.cycleYear !== undefined) conditions.push(eq(stageResults.cycleYear, q.cycleYear));
  return db
    .select()
    .from(stageResults)
    .where(and(...conditions))
    .orderBy(desc(stageResults.createdAt), desc(stageResults.id))
    .limit(q.limit ?? 200);
}

export async function latestStageResult(db: Db, accountId: string, stage: Stage): Promise<StageResultRow | undefined> {
  return (await listStageResults(db, accountId, { stage, limit: 1 }))[0];
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
