/**
 * Plan revision and four eyes on the time-skipping server, with the real worker and activities on
 * PGlite: the owner may not decide their account's plan; a rejected plan is revised by its manager
 * (`submitPlan`) into a new version that waits for approval, with the strategy override's reason in
 * the audit trail; stale and invalid edits are refused with codes; another manager approves it and
 * execution starts with the edited actions. Where the rule set has admins decide plans, the
 * workflow refuses a manager's decision (`roleMayNotApprove`) and takes an admin's.
 *
 * `RECORD_HISTORIES=1` also saves the workflow's history (`account-plan-revision.json`) for the
 * replay test (`npx tsx workflows/record-histories.ts`).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPlanDraft, savePlanDraft } from '../db/repositories/plan-drafts.js';
import { listPlans } from '../db/repositories/plans.js';
import { publishDocument } from '../db/repositories/rule-sets.js';
import { listStageResults } from '../db/repositories/stage-results.js';
import type { PlanEditInput } from '../engine/index.js';
import { timeSkippingEnvOptions } from '../scripts/temporal/binaries.js';
import { accountWorkflow } from '../workflows/account-workflow.js';
import { approvePlan, submitPlan } from '../workflows/client.js';
import type { WorkerHandle } from '../workflows/worker.js';
import { readDefaultDocument } from './helpers/accounts.js';
import { openTestDatabase, type TestDatabase } from './helpers/databases.js';
import {
  recordHistory,
  keyAccount,
  refusalCode,
  registerSearchAttributes,
  seedAccount,
  startTestWorker,
  untilState,
} from './helpers/temporal.js';

const TASK_QUEUE = 'esp-plan-revision';

let env: TestWorkflowEnvironment;
let t: TestDatabase;
let worker: WorkerHandle;

beforeAll(async () => {
  [env, t] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping(await timeSkippingEnvOptions()),
    openTestDatabase('pglite'),
  ]);
  await registerSearchAttributes(env.connection);
  await seedAccount(t.db);
  worker = await startTestWorker(env.nativeConnection, t.db, TASK_QUEUE);
});

afterAll(async () => {
  await worker?.shutdown();
  await env?.teardown();
  await t?.close();
});

const edit = (over: Partial<PlanEditInput> = {}): PlanEditInput => ({
  goal: 'Become the plant-wide MES partner',
  objectives: { revenueTarget: 15_000_000, closenessTarget: 80 },
  resources: { owner: 'u-alice', presalesTier: 'dedicated', investment: 'high' },
  strategy: 'grow',
  strategyReason: 'The new plant opens in Q3: retaining is too timid',
  actions: [
    { title: 'Workshop with the plant director', owner: 'u-alice', dueDate: '2030-03-01' },
    { title: 'MES pilot on line 2', role: 'presales', owner: 'presales:dedicated', dueDate: '2030-05-01' },
  ],
  ...over,
});

describe('plan revision and four eyes (time-skipping)', () => {
  it(
    'refuses the owner, revises a rejected plan into a new version, and starts execution once another manager approves',
    { timeout: 90_000 },
    async () => {
      const client = env.client;
      const state = (what: string, ok: Parameters<typeof untilState>[3]) => untilState(client, 'acme', what, ok, 30_000);
      await client.workflow.start(accountWorkflow, {
        workflowId: 'account:acme',
        taskQueue: TASK_QUEUE,
        args: [{ accountId: 'acme' }],
      });

      let s = await state('the first plan to wait for approval', (s) => s.waitingFor === 'plan-approval');
      expect(s).toMatchObject({ owner: 'u-alice', strategy: 'retain', plan: { version: 1, approverRole: 'manager' } });
      const v1 = s.plan!.id;

      // Four eyes: the owner neither approves nor rejects their own account's plan.
      expect(await refusalCode(approvePlan(client, 'acme', { approve: true, by: 'u-alice', role: 'manager' }))).toBe('ownPlan');
      expect(await refusalCode(approvePlan(client, 'acme', { approve: false, by: 'u-alice', role: 'admin', reason: 'x' }))).toBe(
        'ownPlan',
      );
      await approvePlan(client, 'acme', { approve: false, by: 'u-boss', role: 'manager', reason: 'No plant-wide ambition' });
      s = await state('the revision wait', (s) => s.waitingFor === 'plan-revision');
      expect(s.lastRejection).toMatchObject({ by: 'u-boss', reason: 'No plant-wide ambition' });

      // Refused edits change nothing: a stale base, an override without its reason.
      expect(await refusalCode(submitPlan(client, 'acme', { edit: edit(), by: 'u-alice', basedOnPlanId: v1 + 100 }))).toBe(
        'planChanged',
      );
      expect(
        await refusalCode(submitPlan(client, 'acme', { edit: edit({ strategyReason: null }), by: 'u-alice', basedOnPlanId: v1 })),
      ).toBe('planEditInvalid');
      expect(
        await refusalCode(
          submitPlan(client, 'acme', {
            edit: edit({ actions: [{ title: ' ', dueDate: 'soon' }] }),
            by: 'u-alice',
            basedOnPlanId: v1,
          }),
        ),
      ).toBe('planEditInvalid');
      expect(await listPlans(t.db, 'acme')).toHaveLength(1);

      expect(
        await savePlanDraft(t.db, { accountId: 'acme', basedOnPlanId: v1, content: edit(), updatedBy: 'u-alice' }, null),
      ).toMatchObject({ ok: true });
      const submitted = await submitPlan(client, 'acme', { edit: edit(), by: 'u-alice', basedOnPlanId: v1 });
      expect(submitted).toMatchObject({ version: 2, status: 'pending-approval' });
      s = await state('the revised plan to wait for approval', (s) => s.waitingFor === 'plan-approval' && s.plan?.version === 2);
      expect(s).toMatchObject({ strategy: 'grow', lastRejection: null, plan: { id: submitted.planId, strategy: 'grow' } });
      expect(await getPlanDraft(t.db, 'acme')).toBeUndefined();

      // Both versions are kept; the revision carries the edit and the override's reason.
      const [v2row, v1row] = await listPlans(t.db, 'acme');
      expect(v1row).toMatchObject({ id: v1, version: 1, status: 'rejected', rejectedReason: 'No plant-wide ambition' });
      expect(v2row).toMatchObject({
        version: 2,
        status: 'pending-approval',
        goal: 'Become the plant-wide MES partner',
        strategy: 'grow',
        createdBy: 'u-alice',
        strategyOverride: { proposed: 'retain', reason: 'The new plant opens in Q3: retaining is too timid' },
      });
      expect((v2row!.tests as { kpi: string; target: number }[]).find((k) => k.kpi === 'revenueWithUs')?.target).toBe(15_000_000);
      const audit = await listStageResults(t.db, 'acme', { stage: 'plan' });
      expect(audit).toHaveLength(2);
      expect(audit.find((r) => (r.output as { planId?: number }).planId === submitted.planId)?.explanation).toMatchObject({
        override: {
          proposed: 'retain',
          strategy: 'grow',
          by: 'u-alice',
          reason: 'The new plant opens in Q3: retaining is too timid',
        },
      });

      // The revision waits for a decision like any plan: not the owner's, another manager's.
      expect(await refusalCode(approvePlan(client, 'acme', { approve: true, by: 'u-alice', role: 'manager' }))).toBe('ownPlan');
      expect(await approvePlan(client, 'acme', { approve: true, by: 'u-boss', role: 'manager' })).toEqual({
        planId: submitted.planId,
        status: 'approved',
      });
      s = await state('execution of the revised plan', (s) => s.waitingFor === 'next-monitor');
      expect(s.openActions.map((a) => a.title)).toEqual(['Workshop with the plant director', 'MES pilot on line 2']);
      expect(
        await refusalCode(submitPlan(client, 'acme', { edit: edit(), by: 'u-alice', basedOnPlanId: submitted.planId })),
      ).toBe('noPlanToRevise');

      await recordHistory('account-plan-revision', client.workflow.getHandle('account:acme'));
    },
  );

  it("refuses a manager's decision when the rule set has admins decide the plans", { timeout: 90_000 }, async () => {
    const client = env.client;
    await publishDocument(
      t.db,
      'government',
      { ...readDefaultDocument('government.json'), plan: { approverRole: 'admin' } },
      { comment: 'admins decide government plans', by: 'u-admin' },
    );
    const id = await seedAccount(t.db, keyAccount({ id: 'ministry', name: 'Ministry of Works', industry: 'government' }));
    await client.workflow.start(accountWorkflow, {
      workflowId: `account:${id}`,
      taskQueue: TASK_QUEUE,
      args: [{ accountId: id }],
    });
    const s = await untilState(client, id, 'the plan to wait for an admin', (s) => s.waitingFor === 'plan-approval', 30_000);
    expect(s.plan).toMatchObject({ version: 1, approverRole: 'admin' });

    for (const reject of [false, true])
      expect(
        await refusalCode(
          approvePlan(client, id, { approve: !reject, by: 'u-boss', role: 'manager', ...(reject ? { reason: 'no' } : {}) }),
        ),
      ).toBe('roleMayNotApprove');
    // Four eyes still holds for admins: the owner is refused whatever their role.
    expect(await refusalCode(approvePlan(client, id, { approve: true, by: 'u-alice', role: 'admin' }))).toBe('ownPlan');
    expect(await listPlans(t.db, id)).toMatchObject([{ status: 'pending-approval' }]);

    expect(await approvePlan(client, id, { approve: true, by: 'u-admin', role: 'admin' })).toEqual({
      planId: s.plan!.id,
      status: 'approved',
    });
    await untilState(client, id, 'execution of the approved plan', (s) => s.waitingFor === 'next-monitor', 30_000);
  });
});
