/**
 * Who may decide which plan, checked on the server before anything goes to the workflow (which
 * checks again): the account is in the user's scope, the user does not own it (four eyes), the
 * user's role is at least the rule set's `plan.approverRole`, and the plan is still the one
 * pending (not withdrawn by the review, not replaced by a newer version). Used by the approval queue (one or many plans) and by the account page.
 */
import { and, eq, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '$db/client.js';
import { getEffective } from '$db/repositories/rule-sets.js';
import { accountAccess } from '$db/repositories/accounts-list.js';
import {
  countApprovalQueue,
  listApprovalQueue,
  listPlans,
  pendingPlanIndustries,
  type QueuedPlan,
} from '$db/repositories/plans.js';
import { accounts, type PlanRow } from '$db/schema.js';
import { TIERS, type Role, type Tier } from '$engine/model.js';
import type { SessionUser } from '../user.js';
import { hasRole } from './guards.js';
import { accountScope, canSeeAccount, withinScope } from './scope.js';
import { describeWorkflowError, type TemporalPort, type WorkflowError } from './temporal.js';

/** The least role that decides the plans of an industry, per the effective published rule set. */
export async function approverRoleOf(db: Db, industry: string | null): Promise<Role> {
  return (await getEffective(db, industry ?? '*')).ruleSet.plan.approverRole;
}

/** Why `user` may not decide this pending plan, or null when they may. */
export async function decisionRefusal(db: Db, user: SessionUser, plan: QueuedPlan): Promise<WorkflowError | null> {
  if (plan.ownerId === user.id)
    return {
      code: 'ownPlan',
      params: { account: plan.accountId },
      message: `${user.id} owns account "${plan.accountId}" and may not decide its plan`,
    };
  const role = await approverRoleOf(db, plan.industry);
  if (!hasRole(user, role))
    return { code: 'roleMayNotApprove', params: { role: user.role }, message: `role "${user.role}" may not approve these plans` };
  return null;
}

/** The account page's check before its decision goes to the workflow; null when none is pending. */
export async function accountDecisionRefusal(db: Db, user: SessionUser, accountId: string): Promise<WorkflowError | null> {
  const [plan] = await listApprovalQueue(db, { where: eq(accounts.id, accountId), limit: 1 });
  return plan ? decisionRefusal(db, user, plan) : null;
}

type PlanVersion = Pick<PlanRow, 'id' | 'version' | 'cycleYear' | 'status'>;

/** A form's plan id (the plan the user read): a positive whole number, else undefined. */
export function planIdOf(value: string): number | undefined {
  return /^[1-9]\d{0,14}$/.test(value) ? Number(value) : undefined;
}

/** The coded refusal for a plan id that is missing or not one. */
export const INVALID_PLAN_ID: WorkflowError = {
  code: 'planIdInvalid',
  params: { field: 'planId' },
  message: 'planId must be a plan id',
};

/** `planWithdrawn` when plan `planId` (the one the user read) is among `plans` and the review withdrew it. */
export function withdrawnPlanRefusal(plans: readonly PlanVersion[], planId: number): WorkflowError | null {
  const read = plans.find((p) => p.id === planId);
  if (read?.status !== 'withdrawn') return null;
  return {
    code: 'planWithdrawn',
    params: { version: read.version, year: String(read.cycleYear) },
    message: `plan ${planId} was withdrawn when the review closed its cycle`,
  };
}

/**
 * Why a decision on plan `planId` (the one the user read) may not go to the workflow, given the
 * account's plan versions: the review withdrew it (`planWithdrawn`), or another version is pending
 * (`planChanged`). Null when it is the pending plan, or when none is pending (the workflow says why).
 */
export function staleDecisionRefusal(plans: readonly PlanVersion[], planId: number): WorkflowError | null {
  const withdrawn = withdrawnPlanRefusal(plans, planId);
  if (withdrawn) return withdrawn;
  const pending = plans.find((p) => p.status === 'pending-approval');
  if (pending && pending.id !== planId)
    return { code: 'planChanged', params: { version: pending.version }, message: 'the pending plan changed' };
  return null;
}

export interface QueueFilter {
  tier?: Tier | undefined;
  industry?: string | undefined;
  owner?: string | undefined;
  /** Plans waiting at least this many days. */
  minDays?: number | undefined;
}

export function parseQueueFilter(params: URLSearchParams): QueueFilter {
  const text = (name: string) => params.get(name)?.trim().slice(0, 200) || undefined;
  const days = Number(params.get('minDays'));
  const tier = text('tier');
  return {
    tier: (TIERS as readonly string[]).includes(tier ?? '') ? (tier as Tier) : undefined,
    industry: text('industry'),
    owner: text('owner'),
    minDays: Number.isInteger(days) && days > 0 && days <= 3650 ? days : undefined,
  };
}

/**
 * Over `plans` and `accounts`: the pending plans this user may decide. In scope, not their own, and
 * of an industry whose rule set's approver role the user's role meets: the approver role is per
 * industry, so it becomes the list of industries the user decides, in SQL, before any limit or count.
 */
async function decidablePlansWhere(db: Db, user: SessionUser): Promise<SQL> {
  const notOwn = or(isNull(accounts.ownerId), ne(accounts.ownerId, user.id));
  const seen = withinScope(await accountScope(db, user), notOwn);
  const industries = await pendingPlanIndustries(db, seen);
  const roles = await Promise.all(industries.map((industry) => approverRoleOf(db, industry)));
  const decided = industries.filter((_, i) => hasRole(user, roles[i]!));
  const named = decided.filter((i): i is string => i !== null);
  const ofIndustry =
    or(
      named.length ? inArray(accounts.industry, named) : undefined,
      decided.includes(null) ? isNull(accounts.industry) : undefined,
    ) ?? sql`false`;
  return seen ? and(seen, ofIndustry)! : ofIndustry;
}

/**
 * The pending plans this user may decide (`decidablePlansWhere`), oldest first, and how many there
 * are. At most `limit` rows, so the queue stays one page; filters apply to those.
 */
export async function approvalQueue(db: Db, user: SessionUser, limit = 500): Promise<{ rows: QueuedPlan[]; total: number }> {
  const where = await decidablePlansWhere(db, user);
  const [rows, total] = await Promise.all([listApprovalQueue(db, { where, limit }), countApprovalQueue(db, where)]);
  return { rows, total };
}

export function matchesQueueFilter(plan: QueuedPlan, filter: QueueFilter, now = new Date()): boolean {
  return (
    (!filter.tier || plan.tier === filter.tier) &&
    (!filter.industry || plan.industry === filter.industry) &&
    (!filter.owner || plan.ownerId === filter.owner) &&
    (!filter.minDays || now.getTime() - plan.createdAt.getTime() >= filter.minDays * 86_400_000)
  );
}

export type DecisionResult =
  | { accountId: string; name: string; ok: true; status: 'approved' | 'rejected' }
  | { accountId: string; name: string; ok: false; error: WorkflowError };

/**
 * Decides each requested plan (`accountId` → the plan id the user read) through the workflow's
 * `approvePlan` update, one at a time, and answers per account. Plans out of the user's scope look
 * like plans no longer pending.
 */
export async function decidePlans(
  db: Db,
  user: SessionUser,
  requested: { accountId: string; planId: number }[],
  decision: { approve: boolean; reason: string },
  port: TemporalPort | null,
): Promise<DecisionResult[]> {
  const scope = await accountScope(db, user);
  const ids = [...new Set(requested.map((r) => r.accountId))];
  const pending = new Map(
    (await listApprovalQueue(db, { where: inArray(accounts.id, ids), limit: ids.length })).map((p) => [p.accountId, p]),
  );
  const results: DecisionResult[] = [];
  for (const { accountId, planId } of requested) {
    const plan = pending.get(accountId);
    const name = plan?.accountName ?? accountId;
    const refuse = (error: WorkflowError) => results.push({ accountId, name, ok: false, error });
    if (!plan || !canSeeAccount(scope, plan)) {
      // A plan the review withdrew says so, to whoever may see its account. Looked up among the
      // account's versions, never by the posted id itself (any digits: not always a plan id).
      const access = plan ? undefined : await accountAccess(db, accountId);
      const withdrawn =
        access && canSeeAccount(scope, access) ? withdrawnPlanRefusal(await listPlans(db, accountId), planId) : null;
      refuse(
        withdrawn ?? {
          code: 'noPendingPlan',
          params: { stage: '–' },
          message: `no plan of "${accountId}" is pending for this user`,
        },
      );
      continue;
    }
    if (plan.planId !== planId) {
      // The same answer as the account page: a withdrawn plan is over, else a newer version waits.
      refuse(
        withdrawnPlanRefusal(await listPlans(db, accountId), planId) ?? {
          code: 'planChanged',
          params: { version: plan.version },
          message: 'the pending plan changed',
        },
      );
      continue;
    }
    const refusal = await decisionRefusal(db, user, plan);
    if (refusal) {
      refuse(refusal);
      continue;
    }
    if (!port) {
      refuse({ code: 'temporalDown', params: {}, message: 'Temporal is not reachable' });
      continue;
    }
    try {
      const r = await port.approvePlan(accountId, {
        approve: decision.approve,
        by: user.id,
        role: user.role,
        planId,
        ...(decision.approve ? {} : { reason: decision.reason }),
      });
      results.push({ accountId, name, ok: true, status: r.status });
    } catch (error) {
      refuse(describeWorkflowError(error));
    }
  }
  return results;
}
