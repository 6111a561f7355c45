/** A stored plan version as the account and plan pages show it (dates as ISO strings). */
import type { RuleSetRef } from '$db/repositories/stage-results.js';
import type { PlanRow } from '$db/schema.js';
import type { Plan } from '$engine/index.js';
import type { PlanView } from '$lib/components/accounts/types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** `ruleSets`: each plan's rule set, by plan id (`planRuleSets`). */
export function planView(row: PlanRow, ruleSets: ReadonlyMap<number, RuleSetRef>): PlanView {
  return {
    id: row.id,
    version: row.version,
    cycleYear: row.cycleYear,
    status: row.status,
    goal: row.goal,
    objectives: (row.objectives as Plan['objectives'] | null) ?? null,
    strategy: row.strategy,
    actions: Array.isArray(row.actions) ? (row.actions as PlanView['actions']) : [],
    resources: (row.resources as Plan['resources'] | null) ?? null,
    tests: Array.isArray(row.tests) ? (row.tests as Plan['tests']) : [],
    valueProposition: (row.valueProposition as Plan['valueProposition'] | null) ?? null,
    needsApproval: row.needsApproval,
    createdAt: row.createdAt.toISOString(),
    approvedBy: row.approvedBy,
    approvedAt: iso(row.approvedAt),
    rejectedBy: row.rejectedBy,
    rejectedAt: iso(row.rejectedAt),
    rejectedReason: row.rejectedReason,
    withdrawnAt: iso(row.withdrawnAt),
    createdBy: row.createdBy,
    ruleSet: ruleSets.get(row.id) ?? null,
    strategyOverride: row.strategyOverride ?? null,
  };
}
