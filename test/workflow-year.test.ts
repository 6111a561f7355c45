/**
 * One key account's whole year on the time-skipping test server, with the real worker and
 * activities on a fresh PGlite database: plan rejected then approved, monitors from execution start, visits and
 * an overdue one, an action done, an opportunity handed off (after one failed POST), a strategy
 * change back to plan, the annual review and continue-as-new into year two.
 *
 * `RECORD_HISTORIES=1` also saves the workflows' histories for the replay test
 * (`npx tsx workflows/record-histories.ts`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listActions } from '../db/repositories/actions.js';
import { listPlans } from '../db/repositories/plans.js';
import { getReview, listReviewRuns } from '../db/repositories/reviews.js';
import { listStageResults, stageResultCounts } from '../db/repositories/stage-results.js';
import { accounts, handoffOutbox, opportunities } from '../db/schema.js';
import { timeSkippingEnvOptions } from '../scripts/temporal/binaries.js';
import { accountWorkflow } from '../workflows/account-workflow.js';
import {
  accountHandle,
  approvePlan,
  completeAction,
  logOpportunity,
  logVisit,
  notifyAccountUpdated,
  reopenAction,
  reviewProgress,
  startReview,
} from '../workflows/client.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import type { AccountState } from '../workflows/types.js';
import type { WorkerHandle } from '../workflows/worker.js';
import { openTestDatabase, type TestDatabase } from './helpers/databases.js';
import {
  EACH_STAGE_ONCE_TO_PLAN,
  recordHistory,
  keyAccount,
  registerSearchAttributes,
  seedAccount,
  startTestWorker,
  until,
  untilState,
} from './helpers/temporal.js';

const TASK_QUEUE = 'esp-year';

let env: TestWorkflowEnvironment;
let t: TestDatabase;
let worker: WorkerHandle;
let handoffServer: http.Server;
const handoffRequests: { key: string | undefined; body: unknown; status: number }[] = [];

beforeAll(async () => {
  [env, t] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping(await timeSkippingEnvOptions()),
    openTestDatabase('pglite'),
  ]);
  await registerSearchAttributes(env.connection);
  // The sales pipeline: the first POST fails, so the hand-off is delivered by a retry.
  handoffServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = handoffRequests.length === 0 ? 503 : 202;
      handoffRequests.push({ key: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(body), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => handoffServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(handoffServer.address() as AddressInfo).port}/handoffs`;
  await seedAccount(t.db);
  worker = await startTestWorker(env.nativeConnection, t.db, TASK_QUEUE, { handoff: { url } });
});

afterAll(async () => {
  await worker?.shutdown();
  await env?.teardown();
  await t?.close();
  await new Promise((resolve) => handoffServer?.close(resolve));
});

async function searchAttribute(handle: WorkflowHandle, name: keyof typeof SEARCH_ATTRIBUTE_KEYS): Promise<unknown> {
  const description = await handle.describe();
  return description.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS[name]);
}

async function updateError(p: Promise<unknown>): Promise<string> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return `${(error as Error).message}: ${((error as Error).cause as Error | undefined)?.message}`;
}

function stateOf(client: Client) {
  return (what: string, ok: (s: AccountState) => boolean) => untilState(client, 'acme', what, ok, 30_000);
}

describe('account workflow, one year on the time-skipping server', () => {
  it('runs every stage of the year, the review, and continues as new into year two', { timeout: 110_000 }, async () => {
    const client = env.client;
    const state = stateOf(client);
    const handle = await client.workflow.start(accountWorkflow, {
      workflowId: 'account:acme',
      taskQueue: TASK_QUEUE,
      args: [{ accountId: 'acme' }],
    });
    const firstRunId = handle.firstExecutionRunId;

    // ---- profile .. plan, then the approval -------------------------------------------------
    let s = await state('the first plan to wait for approval', (s) => s.waitingFor === 'plan-approval');
    const year = s.cycleYear;
    expect(s).toMatchObject({
      stage: 'plan',
      tier: 'T1',
      class: 'A',
      strategy: 'retain',
      track: 'major-project',
      completeness: 1,
    });
    expect(s.history.map((h) => h.stage)).toEqual(['profile', 'grade', 'classify', 'relationship', 'coverage', 'plan']);
    expect(await searchAttribute(handle, 'EspStage')).toBe('plan');
    expect(await searchAttribute(handle, 'EspTier')).toBe('T1');
    expect(await searchAttribute(handle, 'EspIndustry')).toBe('manufacturing');

    expect(await updateError(approvePlan(client, 'acme', { approve: true, by: 'u-eve', role: 'viewer' }))).toMatch(
      /role "viewer" may not approve plans/,
    );
    expect(await updateError(approvePlan(client, 'acme', { approve: false, by: 'u-boss', role: 'manager' }))).toMatch(
      /a rejection needs a reason/,
    );
    expect(
      await approvePlan(client, 'acme', { approve: false, by: 'u-boss', role: 'manager', reason: 'no value proposition yet' }),
    ).toEqual({
      planId: s.plan!.id,
      status: 'rejected',
    });
    s = await state('the plan revision wait', (s) => s.waitingFor === 'plan-revision');
    expect(s.lastRejection).toMatchObject({ by: 'u-boss', reason: 'no value proposition yet' });
    expect(await updateError(approvePlan(client, 'acme', { approve: true, by: 'u-boss', role: 'manager' }))).toMatch(
      /no plan is pending approval/,
    );

    await seedAccount(t.db, keyAccount({ solution: 'Plant-wide MES', businessValue: '8% less scrap' }));
    expect(await notifyAccountUpdated(client, 'acme')).toBe(true);
    s = await state('the revised plan', (s) => s.waitingFor === 'plan-approval' && s.plan?.version === 2);
    expect(await approvePlan(client, 'acme', { approve: true, by: 'u-boss', role: 'manager' })).toMatchObject({
      status: 'approved',
    });
    s = await state('execution', (s) => s.waitingFor === 'next-monitor');
    // The first monitor runs at execution start: a health from day one.
    let monitorCount = 1;
    expect(s).toMatchObject({ monitors: monitorCount, health: 'green' });
    expect(await searchAttribute(handle, 'EspHealth')).toBe('green');
    expect(s.openActions).toHaveLength(3);
    expect(await searchAttribute(handle, 'EspStage')).toBe('execute');

    // ---- twelve months of monitor ‖ execute -------------------------------------------------
    // Offset from the monitor timers so no sleep ends exactly when one is due.
    await env.sleep('1 hour');
    let opportunityId = '';
    let firstActionId = 0;
    for (let month = 1; month <= 12; month++) {
      // Visits in months 1-3 and 7-12; none in 4-6, so visits are overdue at monitors 4-6.
      if (month <= 3 || month >= 7) await logVisit(client, 'acme', { note: `monthly visit ${month}`, by: 'u-alice' });
      if (month === 2) {
        const first = s.openActions[0]!;
        firstActionId = first.id;
        expect(await completeAction(client, 'acme', { actionId: first.id, by: 'u-alice' })).toMatchObject({
          actionId: first.id,
          openActions: 2,
        });
        expect(await updateError(completeAction(client, 'acme', { actionId: first.id }))).toMatch(/not an open action/);
        // The timeline follows the actions done.
        const execute = (await state('the action done', () => true)).history.findLast((h) => h.stage === 'execute');
        expect(execute?.summary).toMatch(/^major-project: 2 open actions, visits every \d+ days, last visit /);
        // "Mark done" with evidence, and its undo: only by the same person, only while it is fresh.
        const second = s.openActions[1]!;
        expect(
          await completeAction(client, 'acme', { actionId: second.id, by: 'u-alice', note: 'signed minutes' }),
        ).toMatchObject({
          openActions: 1,
        });
        const noted = (await listActions(t.db, { accountId: 'acme' })).find((a) => a.id === second.id)!;
        expect(noted).toMatchObject({ doneBy: 'u-alice', doneNote: 'signed minutes' });
        expect(await updateError(reopenAction(client, 'acme', { actionId: second.id, by: 'u-bob' }))).toMatch(
          /actionUndoNotYours/,
        );
        expect(await reopenAction(client, 'acme', { actionId: second.id, by: 'u-alice' })).toEqual({
          actionId: second.id,
          openActions: 2,
        });
        expect(await updateError(reopenAction(client, 'acme', { actionId: second.id, by: 'u-alice' }))).toMatch(/still open/);
        expect((await listActions(t.db, { accountId: 'acme' })).find((a) => a.id === second.id)).toMatchObject({
          doneAt: null,
          doneBy: null,
          doneNote: null,
        });
        expect((await accountHandle(client, 'acme').query('state')) as AccountState).toMatchObject({
          openActions: expect.arrayContaining([expect.objectContaining({ id: second.id })]),
        });
        expect(await updateError(completeAction(client, 'acme', { actionId: second.id, note: 'x'.repeat(2001) }))).toMatch(
          /longer than 2000/,
        );
        const opp = await logOpportunity(client, 'acme', { title: 'MES phase 2', estimatedValue: 3_000_000 });
        expect(opp.track).toBe('major-project');
        opportunityId = opp.opportunityId;
        expect(await updateError(logOpportunity(client, 'acme', { title: ' ' }))).toMatch(/needs a title/);
      }
      // A month later the undo has expired.
      if (month === 3)
        expect(await updateError(reopenAction(client, 'acme', { actionId: firstActionId, by: 'u-alice' }))).toMatch(
          /actionUndoExpired/,
        );
      if (month === 7) {
        // The customer is slipping: the strategy rules now choose win-back over the plan's retain.
        await seedAccount(t.db, keyAccount({ status: 'declining', solution: 'Plant-wide MES', businessValue: '8% less scrap' }));
        await notifyAccountUpdated(client, 'acme', { fields: ['status'], by: 'u-alice' });
        // Re-evaluated at once, with a monitor: the strategy rules now pick another strategy.
        s = await state('the win-back plan', (s) => s.waitingFor === 'plan-approval' && s.plan?.strategy === 'win-back');
        expect(s.history.filter((h) => h.stage === 'monitor').at(-1)?.summary).toMatch(
          /^re-evaluated under manufacturing v1: strategy retain → win-back; health \w+.*; strategy now win-back: back to plan$/,
        );
        expect(await searchAttribute(handle, 'EspStrategy')).toBe('win-back');
        await approvePlan(client, 'acme', { approve: true, by: 'u-boss', role: 'manager' });
        // The re-evaluation's monitor, and the one at the new plan's execution start.
        monitorCount += 2;
        s = await state(
          'execution of the win-back plan',
          (s) => s.waitingFor === 'next-monitor' && s.plan?.status === 'approved' && s.monitors === monitorCount,
        );
      }
      await env.sleep('30 days');
      monitorCount++;
      s = await state(`monitor ${month}`, (s) => s.monitors === monitorCount && s.stage !== 'monitor');
      if (month === 4) {
        expect(s.overdueVisits).toBeGreaterThan(0);
        expect(s.health).toBe('amber');
        expect(await searchAttribute(handle, 'EspHealth')).toBe('amber');
      }
    }
    expect(s.monitors).toBe(15);
    expect(s.overdueVisits).toBe(0);
    expect(s.health).toBe('green');

    // ---- the hand-off was delivered by a retry --------------------------------------------------
    await until(
      'the hand-off',
      () => t.db.select().from(handoffOutbox),
      (rows) => rows.length === 1 && rows[0]!.deliveredAt !== null,
    );
    const [outbox] = await t.db.select().from(handoffOutbox);
    expect(outbox).toMatchObject({ opportunityId, attempts: 2, lastError: null });
    expect(handoffRequests.map((r) => r.status)).toEqual([503, 202]);
    expect(handoffRequests[1]).toMatchObject({
      key: opportunityId,
      body: { opportunityId, accountId: 'acme', track: 'major-project', estimatedValue: 3_000_000 },
    });
    const [opportunity] = await t.db.select().from(opportunities).where(eq(opportunities.id, opportunityId));
    expect(opportunity).toMatchObject({ track: 'major-project', source: 'workflow' });
    expect(opportunity!.handedOffAt).not.toBeNull();

    // ---- the annual review and the next cycle ----------------------------------------------------
    // Polled rather than awaited: awaiting a result lets the server skip time to the next monitor.
    const review = await startReview(client, { year }, { taskQueue: TASK_QUEUE });
    const progress = await until(
      'the review',
      () => reviewProgress(review),
      (p) => p.status === 'completed',
    );
    // Reviewed, then released into its next cycle (startCycle) once every account had answered.
    expect(progress).toMatchObject({ year, total: 1, done: 1, failed: 0, inFlight: 0, released: 1 });

    // The time-skipping server never answers a query that reaches a run as it continues as new.
    await until(
      'the continue-as-new into year two',
      () => client.workflow.getHandle('account:acme', firstRunId).describe(),
      (d) => d.status.name === 'CONTINUED_AS_NEW',
    );
    s = await state('year two', (s) => s.cycleYear === year + 1 && s.waitingFor === 'plan-approval');
    expect(s.run).toBe(2);
    expect(s.previousCycles).toEqual([
      expect.objectContaining({
        year,
        tier: 'T1',
        class: 'A',
        strategy: 'win-back',
        monitors: 15,
        opportunities: 1,
        attainment: 1,
      }),
    ]);
    expect(s.plan).toMatchObject({ version: 1, strategy: 'win-back', status: 'pending-approval' });
    const description = await accountHandle(client, 'acme').describe();
    expect(description.runId).not.toBe(firstRunId);
    expect(description.status.name).toBe('RUNNING');

    // ---- the audit trail ---------------------------------------------------------------------
    expect(await stageResultCounts(t.db, 'acme', year)).toEqual({
      profile: 1,
      grade: 2,
      classify: 2,
      relationship: 2,
      coverage: 2,
      plan: 3,
      execute: 2,
      monitor: 15,
      review: 1,
    });
    expect(await stageResultCounts(t.db, 'acme', year + 1)).toEqual(EACH_STAGE_ONCE_TO_PLAN);
    const rows = await listStageResults(t.db, 'acme', { limit: 100 });
    for (const row of rows) expect(row).toMatchObject({ ruleSetIndustry: 'manufacturing', ruleSetVersion: 1 });
    const monitors = rows.filter((r) => r.stage === 'monitor' && r.cycleYear === year).reverse();
    // At execution start, months 1-6 (no visits in 4-6), the month-7 re-evaluation (back to plan),
    // the win-back plan's execution start, months 7-12.
    expect(monitors.map((m) => (m.output as { health: string }).health)).toEqual([
      'green',
      'green',
      'green',
      'green',
      'amber',
      'amber',
      'amber',
      'green',
      'green',
      'green',
      'green',
      'green',
      'green',
      'green',
      'green',
    ]);
    expect(monitors.map((m) => (m.output as { backToPlan: boolean }).backToPlan).indexOf(true)).toBe(7);

    const plans = await listPlans(t.db, 'acme');
    expect(plans.filter((p) => p.cycleYear === year).map((p) => [p.version, p.strategy, p.status, p.rejectedReason])).toEqual([
      [3, 'win-back', 'approved', null],
      [2, 'retain', 'superseded', null],
      [1, 'retain', 'rejected', 'no value proposition yet'],
    ]);
    expect(await getReview(t.db, 'acme', year)).toMatchObject({
      attainment: 1,
      opportunitiesCount: 1,
      opportunitiesValue: 3_000_000,
      tierBefore: 'T1',
      tierAfter: 'T1',
      strategyBefore: 'retain',
      strategyAfter: 'win-back',
    });
    const [run] = await listReviewRuns(t.db, year);
    expect(run).toMatchObject({ status: 'completed', total: 1, done: 1, failed: 0 });
    const [account] = await t.db.select().from(accounts).where(eq(accounts.id, 'acme'));
    expect(account).toMatchObject({
      stage: 'plan',
      waitingFor: 'plan-approval',
      cycleYear: year + 1,
      tier: 'T1',
      strategy: 'win-back',
    });

    await recordHistory('account-year', client.workflow.getHandle('account:acme', firstRunId));
    await recordHistory('account-year-two', client.workflow.getHandle('account:acme', description.runId));
    await recordHistory('review', client.workflow.getHandle(review.workflowId));
  });
});
