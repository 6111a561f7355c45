/**
 * The manager's unsubmitted plan edits, one per account (`plan_drafts`). A draft is kept as typed,
 * valid or not; submitting it as a new plan version deletes it in the same transaction.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { planDrafts, type PlanDraftRow } from '../schema.js';

export async function getPlanDraft(db: Db, accountId: string): Promise<PlanDraftRow | undefined> {
  const [row] = await db.select().from(planDrafts).where(eq(planDrafts.accountId, accountId));
  return row;
}

export async function savePlanDraft(
  db: Db,
  draft: { accountId: string; basedOnPlanId: number | null; content: unknown; updatedBy: string },
): Promise<PlanDraftRow> {
  const values = { ...draft, updatedAt: new Date() };
  const [row] = await db
    .insert(planDrafts)
    .values(values)
    .onConflictDoUpdate({ target: planDrafts.accountId, set: values })
    .returning();
  return row!;
}

export async function deletePlanDraft(db: Db, accountId: string): Promise<void> {
  await db.delete(planDrafts).where(eq(planDrafts.accountId, accountId));
}
