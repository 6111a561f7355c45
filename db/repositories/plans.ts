/**
 * GOSART plans, versioned per account and cycle year. A plan that needs approval (T1/T2 by default)
 * waits as `pending-approval`; approving it supersedes the plan in force and materialises its
 * actions for execution tracking. Only one plan is in force (approved) per account and year. A plan
 * still pending when the annual review starts the next cycle is withdrawn: nobody decides it any more.
 */
import { and, asc, count, desc, eq, inArray, lte, type SQL, sql } from 'drizzle-orm';
import type { Strategy } from '../../engine/model.js';
import type { EditablePlan, StrategyOverride } from '../../engine/stages/plan-edit.js';
import type { Db } from '../client.js';
import { accounts, planActions, plans, users, type PlanRow } from '../schema.js';
import { ConflictError, NotFoundError } from './errors.js';

export interface PlanActionInput {
  title: string;
  role?: 'owner' | 'presales' | 'executive';
  owner?: string | null;
  /** `YYYY-MM-DD`. */
  dueDate?: string | null;
}

export interface PlanInput {
  accountId: string;
  cycleYear: number;
  goal: string;
  objectives: unknown;
  strategy: Strategy;
  actions: PlanActionInput[];
  resources: unknown;
  tests: unknown;
  valueProposition?: unknown;
  /** Pending approval when true; in force at once (approved by `createdBy`) otherwise. */
  needsApproval: boolean;
  createdBy?: string | null;
  /** The manager's strategy instead of the rules' one, with the reason. */
  strategyOverride?: StrategyOverride | null;
}

/**
 * Stores a new plan version. Older pending versions of the year are superseded (only the newest
 * can be approved); a plan that needs no approval is approved at once.
 */
export async function createPlan(db: Db, input: PlanInput): Promise<PlanRow> {
  return db.transaction(async (tx) => {
    // Serialises plan creation per account so two versions never get the same number.
    await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, input.accountId)).for('update');
    const [{ next } = { next: 1 }] = await tx
      .select({ next: sql<number>`coalesce(max(${plans.version}), 0) + 1`.mapWith(Number) })
      .from(plans)
      .where(and(eq(plans.accountId, input.accountId), eq(plans.cycleYear, input.cycleYear)));
    await tx
      .update(plans)
      .set({ status: 'superseded' })
      .where(
        and(eq(plans.accountId, input.accountId), eq(plans.cycleYear, input.cycleYear), eq(plans.status, 'pending-approval')),
      );
    const [row] = await tx
      .insert(plans)
      .values({
        accountId: input.accountId,
        cycleYear: input.cycleYear,
        version: next,
        status: 'pending-approval',
        goal: input.goal,
        objectives: input.objectives,
        strategy: input.strategy,
        actions: input.actions,
        resources: input.resources,
        tests: input.tests,
        valueProposition: input.valueProposition ?? null,
        needsApproval: input.needsApproval,
        createdBy: input.createdBy ?? null,
        strategyOverride: input.strategyOverride ?? null,
      })
      .returning();
    if (input.needsApproval) return row!;
    return putInForce(tx, row!, input.createdBy ?? 'system');
  });
}

async function putInForce(db: Db, plan: PlanRow, by: string): Promise<PlanRow> {
  await db
    .update(plans)
    .set({ status: 'superseded' })
    .where(and(eq(plans.accountId, plan.accountId), eq(plans.cycleYear, plan.cycleYear), eq(plans.status, 'approved')));
  const [approved] = await db
    .update(plans)
    .set({ status: 'approved', approvedBy: by, approvedAt: sql`now()` })
    .where(eq(plans.id, plan.id))
    .returning();
  const actions = Array.isArray(plan.actions) ? (plan.actions as PlanActionInput[]) : [];
  if (actions.length > 0)
    await db.insert(planActions).values(
      actions.map((a) => ({
        planId: plan.id,
        accountId: plan.accountId,
        title: a.title,
        role: a.role ?? 'owner',
        owner: a.owner ?? null,
        dueDate: a.dueDate ?? null,
      })),
    );
  return approved!;
}

async function pendingForUpdate(db: Db, planId: number): Promise<PlanRow> {
  const [plan] = await db.select().from(plans).where(eq(plans.id, planId)).for('update');
  if (!plan) throw new NotFoundError(`plan ${planId} does not exist`);
  if (plan.status !== 'pending-approval') {
    const when = plan.approvedAt ?? plan.rejectedAt;
    const by = plan.approvedBy ?? plan.rejectedBy;
    throw new ConflictError(
      `plan ${planId} is ${plan.status}${by ? ` (by ${by}${when ? ` at ${when.toISOString()}` : ''})` : ''}, not pending approval`,
      { by, at: when },
    );
  }
  return plan;
}

/** Approves a pending plan: it goes into force and its actions become trackable. */
export async function approvePlan(db: Db, planId: number, by: string): Promise<PlanRow> {
  return db.transaction(async (tx) => putInForce(tx, await pendingForUpdate(tx, planId), by));
}

export async function rejectPlan(db: Db, planId: number, by: string, reason: string): Promise<PlanRow> {
  return db.transaction(async (tx) => {
    await pendingForUpdate(tx, planId);
    const [row] = await tx
      .update(plans)
      .set({ status: 'rejected', rejectedBy: by, rejectedAt: sql`now()`, rejectedReason: reason })
      .where(eq(plans.id, planId))
      .returning();
    return row!;
  });
}

/** A plan the review withdrew: which one, of which cycle. */
export interface WithdrawnPlan {
  id: number;
  version: number;
  cycleYear: number;
}

/**
 * Withdraws the account's plans still waiting for approval in cycles up to `throughYear`: the
 * annual review closed those cycles, so their plans can no longer be approved. Returns what it
 * withdrew (oldest first); plans already decided keep their status.
 */
export async function withdrawPendingPlans(db: Db, accountId: string, throughYear: number): Promise<WithdrawnPlan[]> {
  const rows = await db
    .update(plans)
    .set({ status: 'withdrawn', withdrawnAt: sql`now()` })
    .where(and(eq(plans.accountId, accountId), eq(plans.status, 'pending-approval'), lte(plans.cycleYear, throughYear)))
    .returning({ id: plans.id, version: plans.version, cycleYear: plans.cycleYear });
  return rows.sort((a, b) => a.cycleYear - b.cycleYear || a.version - b.version);
}

/** A stored plan version as what a manager's edit starts from (its JSON columns as the engine's shapes). */
export function editablePlan(row: PlanRow): EditablePlan {
  return {
    goal: row.goal,
    objectives: row.objectives as EditablePlan['objectives'],
    strategy: row.strategy,
    actions: row.actions as EditablePlan['actions'],
    resources: row.resources as EditablePlan['resources'],
    tests: row.tests as EditablePlan['tests'],
  };
}

export async function getPlan(db: Db, planId: number): Promise<PlanRow | undefined> {
  const [row] = await db.select().from(plans).where(eq(plans.id, planId));
  return row;
}

/** The plan in force (approved) for the account, in `cycleYear` or the latest year. */
export async function currentPlan(db: Db, accountId: string, cycleYear?: number): Promise<PlanRow | undefined> {
  const [row] = await db
    .select()
    .from(plans)
    .where(
      and(
        eq(plans.accountId, accountId),
        eq(plans.status, 'approved'),
        cycleYear === undefined ? undefined : eq(plans.cycleYear, cycleYear),
      ),
    )
    .orderBy(desc(plans.cycleYear), desc(plans.version))
    .limit(1);
  return row;
}

/** The newest plan version of the account's cycle, whatever its status. */
export async function latestPlan(db: Db, accountId: string, cycleYear: number): Promise<PlanRow | undefined> {
  const [row] = await db
    .select()
    .from(plans)
    .where(and(eq(plans.accountId, accountId), eq(plans.cycleYear, cycleYear)))
    .orderBy(desc(plans.version))
    .limit(1);
  return row;
}

/** The plan waiting for approval, if any (the newest version). */
export async function pendingPlan(db: Db, accountId: string): Promise<PlanRow | undefined> {
  const [row] = await db
    .select()
    .from(plans)
    .where(and(eq(plans.accountId, accountId), eq(plans.status, 'pending-approval')))
    .orderBy(desc(plans.cycleYear), desc(plans.version))
    .limit(1);
  return row;
}

/** The approvals inbox: pending plans oldest first, optionally of the given owners' accounts. */
export async function listPendingPlans(
  db: Db,
  opts: { ownerIds?: string[]; limit?: number } = {},
): Promise<(PlanRow & { accountName: string; ownerId: string | null })[]> {
  const rows = await db
    .select({ plan: plans, accountName: accounts.name, ownerId: accounts.ownerId })
    .from(plans)
    .innerJoin(accounts, eq(accounts.id, plans.accountId))
    .where(and(eq(plans.status, 'pending-approval'), opts.ownerIds ? inArray(accounts.ownerId, opts.ownerIds) : undefined))
    .orderBy(asc(plans.createdAt), asc(plans.id))
    .limit(opts.limit ?? 100);
  return rows.map((r) => ({ ...r.plan, accountName: r.accountName, ownerId: r.ownerId }));
}

/** Every version of the account's plans, newest first. */
export async function listPlans(db: Db, accountId: string): Promise<PlanRow[]> {
  return db.select().from(plans).where(eq(plans.accountId, accountId)).orderBy(desc(plans.cycleYear), desc(plans.version));
}

export interface QueuedPlan {
  planId: number;
  version: number;
  cycleYear: number;
  strategy: Strategy;
  strategyOverride: StrategyOverride | null;
  createdBy: string | null;
  createdAt: Date;
  accountId: string;
  accountName: string;
  industry: string | null;
  tier: string | null;
  ownerId: string | null;
  ownerName: string | null;
  coverageTeam: string | null;
}

const pendingOn = (where: SQL | undefined): SQL | undefined => and(eq(plans.status, 'pending-approval'), where);

/**
 * Plans waiting for approval with their accounts, oldest first. `where` (over `plans` and
 * `accounts`) is the caller's: who may see and decide which accounts, and the queue's filters.
 */
export async function listApprovalQueue(db: Db, opts: { where?: SQL | undefined; limit?: number } = {}): Promise<QueuedPlan[]> {
  return db
    .select({
      planId: plans.id,
      version: plans.version,
      cycleYear: plans.cycleYear,
      strategy: plans.strategy,
      strategyOverride: plans.strategyOverride,
      createdBy: plans.createdBy,
      createdAt: plans.createdAt,
      accountId: accounts.id,
      accountName: accounts.name,
      industry: accounts.industry,
      tier: accounts.tier,
      ownerId: accounts.ownerId,
      ownerName: users.name,
      coverageTeam: accounts.coverageTeam,
    })
    .from(plans)
    .innerJoin(accounts, eq(accounts.id, plans.accountId))
    .leftJoin(users, eq(users.id, accounts.ownerId))
    .where(pendingOn(opts.where))
    .orderBy(asc(plans.createdAt), asc(plans.id))
    .limit(opts.limit ?? 500);
}

/** How many plans wait for approval on the accounts matching `where`: `listApprovalQueue`'s rows without its limit. */
export async function countApprovalQueue(db: Db, where: SQL | undefined): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(plans)
    .innerJoin(accounts, eq(accounts.id, plans.accountId))
    .where(pendingOn(where));
  return row?.n ?? 0;
}

/** The industries (null: none) of the accounts matching `where` that have a plan waiting for approval. */
export async function pendingPlanIndustries(db: Db, where: SQL | undefined): Promise<(string | null)[]> {
  const rows = await db
    .selectDistinct({ industry: accounts.industry })
    .from(plans)
    .innerJoin(accounts, eq(accounts.id, plans.accountId))
    .where(pendingOn(where));
  return rows.map((r) => r.industry);
}

/** A pending plan as the portfolio lists it: the queue's row without the decision's details. */
export type PendingPlanRow = Omit<QueuedPlan, 'strategyOverride' | 'createdBy' | 'industry' | 'coverageTeam'>;

export function pendingPlanRow({
  strategyOverride: _o,
  createdBy: _c,
  industry: _i,
  coverageTeam: _t,
  ...row
}: QueuedPlan): PendingPlanRow {
  return row;
}

/** Plans pending approval on the accounts matching `where`, oldest first, and how many there are. */
export async function pendingPlansWhere(
  db: Db,
  where: SQL | undefined,
  limit = 10,
): Promise<{ rows: PendingPlanRow[]; total: number }> {
  const [queued, total] = await Promise.all([listApprovalQueue(db, { where, limit }), countApprovalQueue(db, where)]);
  return { rows: queued.map(pendingPlanRow), total };
}
