/**
 * What the account workflow keeps of a stored plan version (its `PlanRef`, and the open actions
 * once it is in force), the same whether the rules proposed it or a manager revised it.
 */
import type { Db } from '../../db/client.js';
import { listActions } from '../../db/repositories/actions.js';
import type { PlanActionRow, PlanRow } from '../../db/schema.js';
import type { EspRules, Plan } from '../../engine/index.js';
import type { OpenAction, PlanSummary } from '../types.js';
import { ruleSetUsed } from './deps.js';

export function openActionsOf(rows: readonly PlanActionRow[]): OpenAction[] {
  return rows.filter((a) => !a.doneAt).map((a) => ({ id: a.id, title: a.title, owner: a.owner, dueDate: a.dueDate }));
}

/** `closeness`: the account's when the plan was made; the monitor measures a drop against it. */
export async function planSummaryOf(tx: Db, rules: EspRules, row: PlanRow, closeness: number): Promise<PlanSummary> {
  const approved = row.status === 'approved';
  return {
    ruleSet: ruleSetUsed(rules),
    plan: {
      id: row.id,
      version: row.version,
      strategy: row.strategy,
      closeness,
      needsApproval: row.needsApproval,
      status: approved ? 'approved' : 'pending-approval',
      objective: (row.objectives as Plan['objectives']).revenue.target,
      approverRole: rules.ruleSet.plan.approverRole,
    },
    openActions: approved ? openActionsOf(await listActions(tx, { planId: row.id, open: true })) : [],
  };
}
