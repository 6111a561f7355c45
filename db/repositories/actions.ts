/** Plan actions (major-project execution), tracked to done. Created when a plan goes into force. */
import { and, asc, count, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { planActions, type PlanActionRow } from '../schema.js';
import { NotFoundError } from './errors.js';

export async function listActions(
  db: Db,
  filter: { accountId?: string; planId?: number; open?: boolean },
): Promise<PlanActionRow[]> {
  return db
    .select()
    .from(planActions)
    .where(
      and(
        filter.accountId ? eq(planActions.accountId, filter.accountId) : undefined,
        filter.planId !== undefined ? eq(planActions.planId, filter.planId) : undefined,
        filter.open ? sql`${planActions.doneAt} is null` : undefined,
      ),
    )
    .orderBy(sql`${planActions.dueDate} asc nulls last`, asc(planActions.id));
}

/**
 * Marks an action done, with who did and their optional note on the evidence (idempotent: the first
 * completion's time, person and note are kept).
 */
export async function markActionDone(
  db: Db,
  actionId: number,
  doneAt: Date = new Date(),
  by: { by?: string | null; note?: string | null } = {},
): Promise<PlanActionRow> {
  const first = sql`${planActions.doneAt} is null`;
  const [row] = await db
    .update(planActions)
    .set({
      doneAt: sql`coalesce(${planActions.doneAt}, ${doneAt.toISOString()}::timestamptz)`,
      doneBy: sql`case when ${first} then ${by.by ?? null}::text else ${planActions.doneBy} end`,
      doneNote: sql`case when ${first} then ${by.note ?? null}::text else ${planActions.doneNote} end`,
    })
    .where(eq(planActions.id, actionId))
    .returning();
  if (!row) throw new NotFoundError(`action ${actionId} does not exist`);
  return row;
}

/** Open again: the completion, its person and its note are cleared. */
export async function reopenAction(db: Db, actionId: number): Promise<PlanActionRow> {
  const [row] = await db
    .update(planActions)
    .set({ doneAt: null, doneBy: null, doneNote: null })
    .where(eq(planActions.id, actionId))
    .returning();
  if (!row) throw new NotFoundError(`action ${actionId} does not exist`);
  return row;
}

/** Actions total and done for a plan: the review's "share of actions done". */
export async function actionStats(db: Db, planId: number): Promise<{ total: number; done: number }> {
  const [row] = await db
    .select({ total: count(), done: count(planActions.doneAt) })
    .from(planActions)
    .where(eq(planActions.planId, planId));
  return { total: row?.total ?? 0, done: row?.done ?? 0 };
}

export async function overdueActions(db: Db, accountId: string, today: string): Promise<PlanActionRow[]> {
  return db
    .select()
    .from(planActions)
    .where(
      and(
        eq(planActions.accountId, accountId),
        sql`${planActions.doneAt} is null`,
        isNotNull(planActions.dueDate),
        sql`${planActions.dueDate} < ${today}`,
      ),
    )
    .orderBy(asc(planActions.dueDate));
}
