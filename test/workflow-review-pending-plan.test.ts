/**
 * The annual review meets a plan still waiting for approval (account-workflow-v5), on the
 * time-skipping server with the real worker and activities on PGlite: while the review activity
 * runs, plan decisions are refused (`reviewInProgress`) and the plan stays as it was; the review
 * withdraws it (status `withdrawn`, one line in the review's audit row), so in the next cycle a
 * decision naming it is refused (`planWithdrawn`) and only the new cycle's plan can be approved.
 *
 * The review activity is held at a gate (its rules loader waits) so that decisions arrive while it
 * runs, without timing.
 *
 * `RECORD_HISTORIES=1` also saves both runs' histories for the replay test
 * (`npx tsx workflows/record-histories.ts`).
 */
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { listApprovalQueue, listPlans } from '../db/repositories/plans.js';
import { getEffectiveRules } from '../db/repositories/rule-sets.js';
import { listStageResults } from '../db/repositories/stage-results.js';
import { plans as planTable } from '../db/schema.js';
import type { PlanEditInput } from '../engine/index.js';
import { timeSkippingEnvOptions } from '../scripts/temporal/binaries.js';
import { accountWorkflow } from '../workflows/account-workflow.js';
import { approvePlan, reviewProgress, startReview, submitPlan } from '../workflows/client.js';
import { refusalOf } from '../workflows/refusals.js';
import type { WorkerHandle } from '../workflows/worker.js';
import { openTestDatabase, type TestDatabase } from './helpers/databases.js';
import {
  recordHistory,
  keyAccount,
  refusalCode,
  registerSearchAttributes,
  seedAccount,
  startTestWorker,
  until,
  untilState,
} from './helpers/temporal.js';

const TASK_QUEUE = 'esp-review-pending-plan';

let env: TestWorkflowEnvironment;
let t: TestDatabase;
let worker: WorkerHandle;

/** Closed: the review activity waits in its rules loader until the gate opens. */
const gate = { held: null as Promise<void> | null, open: () => {}, reached: () => {} };

beforeAll(async () => {
  [env, t] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping(await timeSkippingEnvOptions()),
    openTestDatabase('pglite'),
  ]);
  await registerSearchAttributes(env.connection);
  await seedAccount(t.db);
  worker = await startTestWorker(env.nativeConnection, t.db, TASK_QUEUE, {
    loadRules: async (db, industry) => {
      if (gate.held && Context.current().info.activityType === 'reviewStage') {
        gate.reached();
        await gate.held;
      }
      return getEffectiveRules(db, industry);
    },
  });
});

afterAll(async () => {
  gate.open();
  await worker?.shutdown();
  await env?.teardown();
  await t?.close();
});

describe('the review withdraws a plan still waiting for approval (time-skipping)', () => {
  it('refuses decisions while the review runs and on the withdrawn plan after it', { timeout: 90_000 }, async () => {
    const client = env.client;
    const handle = await client.workflow.start(accountWorkflow, {
      workflowId: 'account:acme',
      taskQueue: TASK_QUEUE,
      args: [{ accountId: 'acme' }],
    });
    const firstRunId = handle.firstExecutionRunId;
    let s = await untilState(client, 'acme', 'the plan to wait for approval', (s) => s.waitingFor === 'plan-approval', 30_000);
    const year = s.cycleYear;
    const stale = s.plan!;
    expect(stale).toMatchObject({ version: 1, status: 'pending-approval' });

    // ---- the review runs: decisions wait ----------------------------------------------------------
    const reached = new Promise<void>((resolve) => (gate.reached = resolve));
    gate.held = new Promise<void>((resolve) => (gate.open = resolve));
    const review = await startReview(client, { year }, { taskQueue: TASK_QUEUE });
    await reached;
    await untilState(client, 'acme', 'the review to run', (s) => s.stage === 'review', 30_000);
    const decide = { by: 'u-boss', role: 'manager', planId: stale.id };
    const refused = await approvePlan(client, 'acme', { approve: true, ...decide }).catch((e: unknown) => refusalOf(e));
    expect(refused).toMatchObject({ code: 'reviewInProgress', params: { year: String(year) } });
    expect(await refusalCode(approvePlan(client, 'acme', { approve: false, reason: 'too late', ...decide }))).toBe(
      'reviewInProgress',
    );
    const edit = { goal: 'x' } as unknown as PlanEditInput;
    expect(await refusalCode(submitPlan(client, 'acme', { edit, by: 'u-boss', basedOnPlanId: stale.id }))).toBe(
      'reviewInProgress',
    );
    expect(await listPlans(t.db, 'acme')).toMatchObject([{ id: stale.id, status: 'pending-approval', approvedBy: null }]);

    // ---- the review closes the cycle: the pending plan is withdrawn ---------------------------------
    gate.held = null;
    gate.open();
    expect(
      await until(
        'the review',
        () => reviewProgress(review),
        (p) => p.status === 'completed',
      ),
    ).toMatchObject({
      done: 1,
      failed: 0,
      released: 1,
    });
    await until(
      'the continue-as-new into the next cycle',
      () => client.workflow.getHandle('account:acme', firstRunId).describe(),
      (d) => d.status.name === 'CONTINUED_AS_NEW',
    );
    s = await untilState(
      client,
      'acme',
      "the next cycle's plan to wait for approval",
      (s) => s.cycleYear === year + 1 && s.waitingFor === 'plan-approval',
      30_000,
    );
    const fresh = s.plan!;
    expect(fresh.id).not.toBe(stale.id);
    expect(s.withdrawnPlans).toEqual([{ id: stale.id, version: 1, cycleYear: year }]);

    const plans = await listPlans(t.db, 'acme');
    expect(plans.map((p) => [p.id, p.cycleYear, p.status])).toEqual([
      [fresh.id, year + 1, 'pending-approval'],
      [stale.id, year, 'withdrawn'],
    ]);
    expect(plans[1]!.withdrawnAt).toBeInstanceOf(Date);
    expect((await listApprovalQueue(t.db)).map((p) => p.planId)).toEqual([fresh.id]);
    // One line in the review's audit row says so.
    const [reviewRow] = await listStageResults(t.db, 'acme', { stage: 'review' });
    expect((reviewRow!.output as { summary: { withdrawnPlans: unknown } }).summary.withdrawnPlans).toEqual([
      { id: stale.id, version: 1, cycleYear: year },
    ]);

    // ---- the next cycle: the withdrawn plan cannot be decided, the new one can ----------------------
    expect(await refusalCode(approvePlan(client, 'acme', { approve: true, ...decide }))).toBe('planWithdrawn');
    // A plan id that is no plan id: refused as such, not as another plan.
    for (const planId of [0, -1, 1.5, Number.NaN])
      expect(await refusalCode(approvePlan(client, 'acme', { approve: true, by: 'u-boss', role: 'manager', planId }))).toBe(
        'planIdInvalid',
      );
    expect(await refusalCode(submitPlan(client, 'acme', { edit, by: 'u-boss', basedOnPlanId: stale.id }))).toBe('planWithdrawn');
    expect(
      await refusalCode(approvePlan(client, 'acme', { approve: true, by: 'u-boss', role: 'manager', planId: fresh.id + 99 })),
    ).toBe('planChanged');
    expect(await approvePlan(client, 'acme', { approve: true, by: 'u-boss', role: 'manager', planId: fresh.id })).toEqual({
      planId: fresh.id,
      status: 'approved',
    });
    await untilState(client, 'acme', 'execution of the new plan', (s) => s.waitingFor === 'next-monitor', 30_000);
    expect((await listPlans(t.db, 'acme')).map((p) => p.status)).toEqual(['approved', 'withdrawn']);

    await recordHistory('account-review-pending-plan', client.workflow.getHandle('account:acme', firstRunId));
    await recordHistory(
      'account-review-pending-plan-two',
      client.workflow.getHandle('account:acme', (await handle.describe()).runId),
    );
  });

  it('names the withdrawn plan’s own cycle when the decision finds it withdrawn on its way', { timeout: 60_000 }, async () => {
    const client = env.client;
    await seedAccount(t.db, keyAccount({ id: 'beta', name: 'Beta Manufacturing' }));
    await client.workflow.start(accountWorkflow, {
      workflowId: 'account:beta',
      taskQueue: TASK_QUEUE,
      args: [{ accountId: 'beta' }],
    });
    const s = await untilState(client, 'beta', 'the plan to wait for approval', (s) => s.waitingFor === 'plan-approval', 30_000);
    const plan = s.plan!;
    // Withdrawn behind the workflow's back as a plan of the cycle before the one it runs: the
    // validator lets the decision through, the activity finds the plan withdrawn, and the refusal
    // says which cycle the plan was of, not the workflow's.
    await t.db
      .update(planTable)
      .set({ status: 'withdrawn', cycleYear: s.cycleYear - 1, withdrawnAt: new Date() })
      .where(eq(planTable.id, plan.id));
    const refused = await approvePlan(client, 'beta', {
      approve: true,
      by: 'u-boss',
      role: 'manager',
      planId: plan.id,
    }).catch((e: unknown) => refusalOf(e));
    expect(refused).toMatchObject({
      code: 'planWithdrawn',
      params: { version: plan.version, year: String(s.cycleYear - 1) },
      message: `plan ${plan.id} (version ${plan.version} of ${s.cycleYear - 1}) was withdrawn when the review closed its cycle`,
    });
  });
});
