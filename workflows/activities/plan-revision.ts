/**
 * The manager's revision of a plan (`submitPlan`): the edit, checked against the current rules'
 * strategy, becomes the next plan version of the cycle: waiting for approval when its tier needs
 * it, else in force at once. The audit row keeps the edit, who made it and an override's reason,
 * so the "why" chain shows it.
 */
import type { Db } from '../../db/client.js';
import { deletePlanDraft } from '../../db/repositories/plan-drafts.js';
import { createPlan, editablePlan, latestPlan } from '../../db/repositories/plans.js';
import { applyPlanEdit, validatePlanEdit, type explainAccount } from '../../engine/index.js';
import type { PlanRevisionInput, PlanSummary } from '../types.js';
import { NonRetryable } from './deps.js';
import { planSummaryOf } from './plan-summary.js';
import type { Loaded, StageWork } from './stages.js';

export async function revisedPlanWork(
  tx: Db,
  { account, rules }: Loaded,
  input: PlanRevisionInput,
  { decision, explanation }: ReturnType<typeof explainAccount>,
): Promise<StageWork<PlanSummary>> {
  const base = await latestPlan(tx, account.id, input.cycleYear);
  if (!base || base.id !== input.basedOnPlanId)
    throw new NonRetryable(
      `plan ${input.basedOnPlanId} is not the latest plan of account "${account.id}"${base ? ` (version ${base.version} is)` : ''}`,
      'Conflict',
    );
  if (base.status !== 'pending-approval' && base.status !== 'rejected')
    throw new NonRetryable(`plan ${base.id} is ${base.status}: only a pending or rejected plan is revised`, 'Conflict');
  const checked = validatePlanEdit(input.edit, decision.strategy);
  if (!checked.ok) {
    const first = checked.issues[0]!;
    throw new NonRetryable(`${first.path}: ${first.message}`, 'PlanEditInvalid');
  }
  const p = applyPlanEdit(editablePlan(base), checked.edit);
  const needsApproval = rules.ruleSet.plan.approvalTiers.includes(decision.tier);
  const row = await createPlan(tx, {
    accountId: account.id,
    cycleYear: input.cycleYear,
    ...p,
    valueProposition: base.valueProposition,
    needsApproval,
    createdBy: input.by,
    strategyOverride: checked.override,
  });
  await deletePlanDraft(tx, account.id);
  return {
    summary: await planSummaryOf(tx, rules, row, decision.closeness),
    input: { basedOnPlanId: base.id, basedOnVersion: base.version, by: input.by, edit: checked.edit },
    output: { planId: row.id, version: row.version, status: row.status, plan: p, revisedBy: input.by },
    explanation: {
      strategy: explanation.strategy,
      investment: explanation.investment,
      override: checked.override ? { ...checked.override, strategy: p.strategy, by: input.by } : null,
    },
    patch: { stage: 'plan', waitingFor: needsApproval ? 'plan-approval' : null, strategy: p.strategy },
  };
}
