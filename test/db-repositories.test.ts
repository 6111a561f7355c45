import { beforeEach, describe, expect, it } from 'vitest';
import { accountSchema } from '../engine/model.js';
import { upsertAccounts, updateComputed } from '../db/repositories/accounts.js';
import { actionStats, listActions, markActionDone, overdueActions } from '../db/repositories/actions.js';
import { ConflictError } from '../db/repositories/errors.js';
import {
  createOpportunity,
  listOpportunities,
  markHandoffDelivered,
  markHandoffFailed,
  opportunityStats,
  pendingHandoffs,
  upsertOpportunities,
  wonRevenue,
} from '../db/repositories/opportunities.js';
import {
  approvePlan,
  createPlan,
  currentPlan,
  listPendingPlans,
  listPlans,
  pendingPlan,
  getPlan,
  rejectPlan,
  withdrawPendingPlans,
  type PlanInput,
} from '../db/repositories/plans.js';
import {
  finishReviewRun,
  getReviewRun,
  listReviews,
  migrationMatrix,
  recordReview,
  recordReviewFailure,
  reviewCountsByRun,
  startReviewRun,
} from '../db/repositories/reviews.js';
import { appendStageResult, latestMonitorSeen, latestStageResult, listStageResults } from '../db/repositories/stage-results.js';
import {
  addMembers,
  isMember,
  listMembers,
  memberLoads,
  removeMember,
  teamDirectory,
  teamsOfUser,
  upsertTeams,
} from '../db/repositories/teams.js';
import {
  createSession,
  createUser,
  deleteExpiredSessions,
  deleteSession,
  getSessionUser,
  getUserByEmail,
  updateUser,
  upsertUsers,
} from '../db/repositories/users.js';
import { addVisit, addVisits, lastVisitDate, lastVisitDates, listVisits } from '../db/repositories/visits.js';
import { DRIVERS, useTestDatabase, type TestDatabase } from './helpers/databases.js';

describe.each(DRIVERS)('repositories on %s', (driver) => {
  const suite = useTestDatabase(driver, {
    seed: false,
    setup: async (t) => {
      await upsertAccounts(
        t.db,
        ['a1', 'a2', 'a3'].map((id, i) =>
          accountSchema.parse({ id, name: `Account ${id}`, industry: 'finance', ownerId: i < 2 ? 'm1' : 'm2' }),
        ),
      );
    },
  });
  let t: TestDatabase;
  beforeEach(() => {
    t = suite.t;
  });

  it('appends stage results idempotently, even when retried concurrently', async () => {
    const input = {
      accountId: 'a1',
      cycleYear: 2026,
      stage: 'grade' as const,
      ruleSetIndustry: 'finance',
      ruleSetVersion: 1,
      input: { revenueWithUs: 1 },
      output: { score: 42.5, tier: 'T3' },
      explanation: [{ rule: 'bands' }],
      idempotencyKey: 'wf-a1/run-1/grade/1',
    };
    const first = await appendStageResult(t.db, input);
    expect(first.inserted).toBe(true);
    const retry = await appendStageResult(t.db, { ...input, output: { score: 0 } });
    expect(retry).toEqual({ row: first.row, inserted: false });
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => appendStageResult(t.db, { ...input, idempotencyKey: 'race' })),
    );
    expect(racing.filter((r) => r.inserted)).toHaveLength(1);
    expect(new Set(racing.map((r) => r.row.id)).size).toBe(1);
    await appendStageResult(t.db, {
      ...input,
      stage: 'classify',
      output: { class: 'C' },
      idempotencyKey: 'wf-a1/run-1/classify/1',
    });
    const all = await listStageResults(t.db, 'a1');
    expect(all).toHaveLength(3);
    expect(all[0]!.stage).toBe('classify');
    expect(all.every((r) => r.createdAt instanceof Date)).toBe(true);
    expect((await latestStageResult(t.db, 'a1', 'grade'))?.output).toEqual({ score: 42.5, tier: 'T3' });
    expect(await listStageResults(t.db, 'a1', { cycleYear: 2025 })).toEqual([]);
  });

  it("reads each account's latest monitor input, for the what-if's health", async () => {
    const monitor = (accountId: string, key: string, input: unknown) =>
      appendStageResult(t.db, {
        accountId,
        cycleYear: 2026,
        stage: 'monitor',
        ruleSetIndustry: 'finance',
        ruleSetVersion: 1,
        input,
        output: {},
        idempotencyKey: key,
      });
    await monitor('a1', 'm-a1-1', { plan: null, overdueVisits: 5, openActions: 0, overdueActions: 0 });
    await monitor('a1', 'm-a1-2', {
      plan: { strategy: 'grow', closeness: 61.5 },
      overdueVisits: 1,
      openActions: 2,
      overdueActions: 1,
    });
    // A malformed row reads as nothing seen rather than failing the what-if.
    await monitor('a2', 'm-a2-1', { plan: { strategy: 7 }, overdueVisits: -3 });
    await upsertAccounts(t.db, [accountSchema.parse({ id: 'r1', name: 'Retail one', industry: 'retail' })]);
    await monitor('r1', 'm-r1-1', { plan: null, overdueVisits: 0, openActions: 0, overdueActions: 0 });
    const all = await latestMonitorSeen(t.db);
    expect(Object.fromEntries(all)).toEqual({
      a1: { plan: { strategy: 'grow', closeness: 61.5 }, overdueVisits: 1, openActions: 2, overdueActions: 1 },
      a2: { plan: undefined, overdueVisits: 0, openActions: 0, overdueActions: 0 },
      r1: { plan: undefined, overdueVisits: 0, openActions: 0, overdueActions: 0 },
    });
    expect([...(await latestMonitorSeen(t.db, { industries: ['finance'] })).keys()].sort()).toEqual(['a1', 'a2']);
    expect((await latestMonitorSeen(t.db, { industries: [] })).size).toBe(0);
  });

  const plan = (over: Partial<PlanInput> = {}): PlanInput => ({
    accountId: 'a1',
    cycleYear: 2026,
    goal: 'Become the strategic supplier',
    objectives: { revenue: 1_300_000 },
    strategy: 'grow',
    actions: [
      { title: 'Map business needs', role: 'owner', owner: 'm1', dueDate: '2026-02-01' },
      { title: 'Front-load presales', role: 'presales', dueDate: '2026-03-01' },
    ],
    resources: { presalesTier: 'dedicated' },
    tests: { checkpoints: 4 },
    needsApproval: true,
    createdBy: 'workflow',
    ...over,
  });

  it('runs plans through approval, superseding older versions', async () => {
    const v1 = await createPlan(t.db, plan());
    expect(v1).toMatchObject({ version: 1, status: 'pending-approval' });
    expect(await currentPlan(t.db, 'a1')).toBeUndefined();
    const v2 = await createPlan(t.db, plan({ goal: 'Revised' }));
    expect((await listPlans(t.db, 'a1')).map((p) => [p.version, p.status])).toEqual([
      [2, 'pending-approval'],
      [1, 'superseded'],
    ]);
    expect((await pendingPlan(t.db, 'a1'))?.id).toBe(v2.id);
    expect((await listPendingPlans(t.db, { ownerIds: ['m1'] })).map((p) => [p.id, p.accountName])).toEqual([
      [v2.id, 'Account a1'],
    ]);
    await expect(approvePlan(t.db, v1.id, 'boss')).rejects.toBeInstanceOf(ConflictError);
    const approved = await approvePlan(t.db, v2.id, 'boss');
    expect(approved).toMatchObject({ status: 'approved', approvedBy: 'boss' });
    const error = await approvePlan(t.db, v2.id, 'other').catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/approved \(by boss at \d{4}-/);
    expect((await currentPlan(t.db, 'a1', 2026))?.id).toBe(v2.id);
    const actions = await listActions(t.db, { planId: v2.id });
    expect(actions.map((a) => a.title)).toEqual(['Map business needs', 'Front-load presales']);

    const v3 = await createPlan(t.db, plan({ goal: 'Third' }));
    const rejected = await rejectPlan(t.db, v3.id, 'boss', 'no budget');
    expect(rejected).toMatchObject({ status: 'rejected', rejectedReason: 'no budget' });
    expect((await currentPlan(t.db, 'a1'))?.id).toBe(v2.id);

    const auto = await createPlan(t.db, plan({ needsApproval: false, goal: 'T3 plan', createdBy: 'workflow' }));
    expect(auto).toMatchObject({ status: 'approved', version: 4, approvedBy: 'workflow' });
    expect((await currentPlan(t.db, 'a1'))?.id).toBe(auto.id);
    expect((await listPlans(t.db, 'a1')).find((p) => p.id === v2.id)?.status).toBe('superseded');
  });

  it('withdraws the pending plans of the cycles a review closed, and only those', async () => {
    const a3 = (over: Partial<PlanInput>) => plan({ accountId: 'a3', ...over });
    const approved = await createPlan(t.db, a3({ cycleYear: 2025, needsApproval: false }));
    const rejected = await createPlan(t.db, a3({ cycleYear: 2025 }));
    await rejectPlan(t.db, rejected.id, 'boss', 'too vague');
    const pending2025 = await createPlan(t.db, a3({ cycleYear: 2025 }));
    const pending2026 = await createPlan(t.db, a3({ cycleYear: 2026 }));
    const otherAccount = await createPlan(t.db, plan({ accountId: 'a2', cycleYear: 2025 }));

    expect(await withdrawPendingPlans(t.db, 'a3', 2025)).toEqual([{ id: pending2025.id, version: 3, cycleYear: 2025 }]);
    const byId = new Map((await listPlans(t.db, 'a3')).map((p) => [p.id, p]));
    expect(byId.get(pending2025.id)).toMatchObject({ status: 'withdrawn', withdrawnAt: expect.any(Date) });
    expect(byId.get(approved.id)?.status).toBe('approved');
    expect(byId.get(rejected.id)?.status).toBe('rejected');
    // A later cycle's plan, and another account's, stay pending.
    expect(byId.get(pending2026.id)?.status).toBe('pending-approval');
    expect((await getPlan(t.db, otherAccount.id))?.status).toBe('pending-approval');
    // A withdrawn plan is out of the approvals and can no longer be decided.
    expect((await listPendingPlans(t.db)).map((p) => p.id)).not.toContain(pending2025.id);
    await expect(approvePlan(t.db, pending2025.id, 'boss')).rejects.toThrow(/plan \d+ is withdrawn, not pending approval/);
    // Nothing left to withdraw: a repeated review (a retried activity) withdraws nothing.
    expect(await withdrawPendingPlans(t.db, 'a3', 2025)).toEqual([]);
    expect((await withdrawPendingPlans(t.db, 'a3', 2026)).map((p) => p.id)).toEqual([pending2026.id]);
  });

  it('tracks actions to done', async () => {
    const p = (await currentPlan(t.db, 'a1'))!;
    const [first, second] = await listActions(t.db, { planId: p.id });
    expect(await actionStats(t.db, p.id)).toEqual({ total: 2, done: 0 });
    const done = await markActionDone(t.db, first!.id, new Date('2026-01-15T10:00:00Z'));
    const again = await markActionDone(t.db, first!.id, new Date('2026-02-15T10:00:00Z'));
    expect(again.doneAt).toEqual(done.doneAt);
    expect(await actionStats(t.db, p.id)).toEqual({ total: 2, done: 1 });
    expect((await overdueActions(t.db, 'a1', '2026-06-01')).map((a) => a.id)).toContain(second!.id);
    expect((await listActions(t.db, { accountId: 'a1', open: true })).some((a) => a.id === first!.id)).toBe(false);
  });

  it('stores visits and finds the last one per account', async () => {
    await addVisit(t.db, { accountId: 'a1', contactId: null, date: '2026-01-10', note: 'kick-off', by: 'm1' });
    await addVisits(t.db, [
      { accountId: 'a1', date: '2026-03-05', by: 'm1' },
      { accountId: 'a2', date: '2026-02-01', by: 'm1' },
    ]);
    expect(await lastVisitDate(t.db, 'a1')).toBe('2026-03-05');
    expect(await lastVisitDates(t.db, ['a1', 'a2', 'a3'])).toEqual(
      new Map([
        ['a1', '2026-03-05'],
        ['a2', '2026-02-01'],
      ]),
    );
    expect((await listVisits(t.db, 'a1')).map((v) => v.date)).toEqual(['2026-03-05', '2026-01-10']);
    expect((await listVisits(t.db, 'a1', { from: '2026-02-01' })).map((v) => v.date)).toEqual(['2026-03-05']);
  });

  it('writes an opportunity and its hand-off together and delivers it once', async () => {
    const { opportunity, outbox } = await createOpportunity(t.db, {
      id: 'opp-1',
      accountId: 'a1',
      title: 'Core banking upgrade',
      estimatedValue: 500_000,
      track: 'major-project',
      source: 'studio',
    });
    expect(outbox.payload).toMatchObject({ opportunityId: 'opp-1', track: 'major-project', estimatedValue: 500_000 });
    expect(opportunity.status).toBe('open');
    await expect(createOpportunity(t.db, { id: 'opp-1', accountId: 'a1', title: 'dup' })).rejects.toThrow();
    expect(await pendingHandoffs(t.db)).toHaveLength(1);
    await markHandoffFailed(t.db, outbox.id, 'pipeline down');
    expect((await pendingHandoffs(t.db, { maxAttempts: 1 })).length).toBe(0);
    const [pending] = await pendingHandoffs(t.db);
    expect(pending).toMatchObject({ attempts: 1, lastError: 'pipeline down' });
    await markHandoffDelivered(t.db, outbox.id);
    await markHandoffDelivered(t.db, outbox.id);
    expect(await pendingHandoffs(t.db)).toEqual([]);
    const [stored] = await listOpportunities(t.db, { accountId: 'a1' });
    expect(stored?.handedOffAt).toBeInstanceOf(Date);
    const year = new Date().getUTCFullYear();
    expect(await opportunityStats(t.db, 'a1', { from: `${year}-01-01`, to: `${year + 1}-01-01` })).toEqual({
      count: 1,
      value: 500_000,
    });

    await upsertOpportunities(t.db, [
      {
        id: 'crm-1',
        accountId: 'a2',
        title: 'Deal 1',
        estimatedValue: 100,
        status: 'won',
        closeDate: '2026-03-01',
        source: 'crm',
      },
      {
        id: 'crm-2',
        accountId: 'a2',
        title: 'Deal 2',
        estimatedValue: 50,
        status: 'won',
        closeDate: '2024-03-01',
        source: 'crm',
      },
      {
        id: 'crm-3',
        accountId: 'a2',
        title: 'Deal 3',
        estimatedValue: 70,
        status: 'lost',
        closeDate: '2026-03-01',
        source: 'crm',
      },
    ]);
    await upsertOpportunities(t.db, [
      {
        id: 'crm-1',
        accountId: 'a2',
        title: 'Deal 1',
        estimatedValue: 120,
        status: 'won',
        closeDate: '2026-03-01',
        source: 'crm',
      },
    ]);
    expect(await wonRevenue(t.db, ['a2', 'a3'], { from: '2025-06-01', to: '2026-06-01' })).toEqual(new Map([['a2', 120]]));
    expect(await pendingHandoffs(t.db)).toEqual([]);
  });

  it('records reviews idempotently and reports migrations', async () => {
    const run = await startReviewRun(t.db, { year: 2026, total: 3 });
    expect(run).toMatchObject({ status: 'running', done: 0, total: 3 });
    const base = {
      year: 2026,
      runId: run.id,
      attainment: 1.1,
      actionsDoneShare: 0.5,
      opportunitiesCount: 1,
      opportunitiesValue: 500_000,
      closenessChange: 5,
    };
    await recordReview(t.db, {
      ...base,
      accountId: 'a1',
      tierBefore: 'T2',
      tierAfter: 'T1',
      classBefore: 'C',
      classAfter: 'A',
      strategyBefore: 'grow',
      strategyAfter: 'retain',
    });
    await recordReview(t.db, {
      ...base,
      accountId: 'a1',
      tierBefore: 'T2',
      tierAfter: 'T1',
      classBefore: 'C',
      classAfter: 'A',
      strategyBefore: 'grow',
      strategyAfter: 'retain',
    });
    await recordReview(t.db, { ...base, accountId: 'a2', tierBefore: 'T2', tierAfter: 'T2', classBefore: 'B', classAfter: 'B' });
    await recordReviewFailure(t.db, run.id);
    // A running run's progress is counted from its reviews; the stored figure comes at the finish.
    expect(await getReviewRun(t.db, run.id)).toMatchObject({ done: 0, failed: 1 });
    expect(await reviewCountsByRun(t.db, [run.id])).toEqual(new Map([[run.id, 2]]));
    const finished = await finishReviewRun(t.db, run.id);
    expect(finished).toMatchObject({ done: 2, failed: 1 });
    expect(finished.finishedAt).toBeInstanceOf(Date);
    expect(await listReviews(t.db, { year: 2026 })).toHaveLength(2);
    expect(await migrationMatrix(t.db, 2026, 'tier')).toEqual([
      { before: 'T2', after: 'T1', count: 1 },
      { before: 'T2', after: 'T2', count: 1 },
    ]);
    expect(await migrationMatrix(t.db, 2026, 'strategy')).toEqual([
      { before: null, after: null, count: 1 },
      { before: 'grow', after: 'retain', count: 1 },
    ]);
  });

  it('stores users and sessions without doing auth', async () => {
    const alice = await createUser(t.db, { email: 'Alice@Example.com', name: 'Alice', role: 'admin', passwordHash: 'hash-a' });
    expect(alice.locale).toBe('en');
    await expect(
      createUser(t.db, { email: 'alice@example.com', name: 'A2', role: 'manager', passwordHash: 'x' }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await getUserByEmail(t.db, ' ALICE@example.com'))?.id).toBe(alice.id);
    expect((await updateUser(t.db, alice.id, { locale: 'zh-CN' })).locale).toBe('zh-CN');
    await createSession(t.db, { id: 'token-hash', userId: alice.id, expiresAt: new Date(Date.now() + 60_000) });
    await createSession(t.db, { id: 'old', userId: alice.id, expiresAt: new Date(Date.now() - 1000) });
    expect((await getSessionUser(t.db, 'token-hash'))?.user.email).toBe('Alice@Example.com');
    expect(await getSessionUser(t.db, 'old')).toBeUndefined();
    expect(await deleteExpiredSessions(t.db)).toBe(1);
    await deleteSession(t.db, 'token-hash');
    expect(await getSessionUser(t.db, 'token-hash')).toBeUndefined();
  });

  it('keeps teams and orders members for owner assignment', async () => {
    await upsertUsers(
      t.db,
      ['m1', 'm2', 'm3'].map((id) => ({ id, email: `${id}@x.com`, name: id, role: 'manager' as const, passwordHash: 'h' })),
    );
    await upsertTeams(t.db, [
      { id: 'industry:finance', name: 'Finance', line: 'industry' },
      { id: 'region:East', name: 'East', line: 'regional' },
    ]);
    await addMembers(t.db, 'industry:finance', ['m2', 'm1', 'm3']);
    await addMembers(t.db, 'industry:finance', ['m1']);
    await addMembers(t.db, 'region:East', ['m3']);
    expect((await listMembers(t.db, 'industry:finance')).map((u) => u.id)).toEqual(['m1', 'm2', 'm3']);
    // m1 owns a1 and a2, m2 owns a3, m3 none: fewest first, ties by id.
    expect(await memberLoads(t.db, 'industry:finance')).toEqual([
      { userId: 'm3', accounts: 0 },
      { userId: 'm2', accounts: 1 },
      { userId: 'm1', accounts: 2 },
    ]);
    await updateComputed(t.db, 'a1', { ownerId: 'm3' });
    expect((await memberLoads(t.db, 'industry:finance')).map((m) => m.userId)).toEqual(['m1', 'm2', 'm3']);
    expect((await teamsOfUser(t.db, 'm3')).map((x) => x.id)).toEqual(['industry:finance', 'region:East']);
    expect(await isMember(t.db, 'region:East', 'm1')).toBe(false);
    expect(await removeMember(t.db, 'region:East', 'm3')).toBe(true);
    expect((await teamDirectory(t.db)).get('industry:finance')?.memberIds).toEqual(['m1', 'm2', 'm3']);
  });
});
