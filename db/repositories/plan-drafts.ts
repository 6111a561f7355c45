/**
 * The manager's unsubmitted plan edits, one per account (`plan_drafts`). A draft is kept as typed,
 * valid or not; submitting it as a new plan version deletes it in the same transaction. A save
 * names the draft its editor started from (its `updatedAt`, or null for none), so two managers
 * editing the same plan do not overwrite each other unseen: the later save gets the draft that
 * stands instead.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { planDrafts, type PlanDraftRow } from '../schema.js';

export async function getPlanDraft(db: Db, accountId: string): Promise<PlanDraftRow | undefined> {
  const [row] = await db.select().from(planDrafts).where(eq(planDrafts.accountId, accountId));
  return row;
}

export type PlanDraftSave = { ok: true; draft: PlanDraftRow } | { ok: false; current: PlanDraftRow };

export async function savePlanDraft(
  db: Db,
  draft: { accountId: string; basedOnPlanId: number | null; content: unknown; updatedBy: string },
  seenAt: Date | null,
): Promise<PlanDraftSave> {
  const values = { ...draft, updatedAt: new Date() };
  // One statement each way, so a concurrent save cannot slip between the check and the write.
  const [saved] = seenAt
    ? await db
        .update(planDrafts)
        .set(values)
        .where(and(eq(planDrafts.accountId, draft.accountId), eq(planDrafts.updatedAt, seenAt)))
        .returning()
    : await db.insert(planDrafts).values(values).onConflictDoNothing({ target: planDrafts.accountId }).returning();
  if (saved) return { ok: true, draft: saved };
  const current = await getPlanDraft(db, draft.accountId);
  if (current) return { ok: false, current };
  // The draft seen is gone (submitted as a plan version meanwhile): this save starts a new one.
  return savePlanDraft(db, draft, null);
}

export async function deletePlanDraft(db: Db, accountId: string): Promise<void> {
  await db.delete(planDrafts).where(eq(planDrafts.accountId, accountId));
}
