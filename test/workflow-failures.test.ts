/**
 * How the account workflow meets failures, on the time-skipping server: a database that is down
 * for a while is retried with backoff and the account carries on; an error no retry can fix (a
 * missing account) is non-retryable, shown in the `state` query, and retried once someone fixes
 * the data. Also: published rules re-run grade..coverage and the monitor at once, and the stages
 * run the same as local activities.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/client.js';
import { deleteAccounts, listAccountIds } from '../db/repositories/accounts.js';
import { getReview, listReviewRuns, startReviewRun } from '../db/repositories/reviews.js';
import { publishDocument } from '../db/repositories/rule-sets.js';
import { listStageResults, stageResultCounts } from '../db/repositories/stage-results.js';
import { timeSkippingEnvOptions } from '../scripts/temporal/binaries.js';
import { accountWorkflow } from '../workflows/account-workflow.js';
import { accountHandle, accountState, reviewProgress, startReview } from '../workflows/client.js';
import { reviewSignal, rulesPublishedSignal, startCycleSignal } from '../workflows/messages.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import type { AccountWorkflowOptions } from '../workflows/types.js';
import type { WorkerHandle } from '../workflows/worker.js';
import { openTestDatabase, type TestDatabase } from './helpers/databases.js';
import {
  EACH_STAGE_ONCE_TO_PLAN,
  failureOf,
  keyAccount,
  registerSearchAttributes,
  seedAccount,
  startTestWorker,
  until,
  untilState,
} from './helpers/temporal.js';

const TASK_QUEUE = 'esp-failures';

let env: TestWorkflowEnvironment;
let t: TestDatabase;
let worker: WorkerHandle;
// Down for a while: until `until` and for at least `minRefusals` calls, so a slow machine that
// starts the activity late still sees the outage.
const outage = { until: 0, refused: 0, minRefusals: 0 };

/** The database as the activities see it: every query is refused while the outage lasts. */
function flakyDb(db: Db): Db {
  const entryPoints = new Set(['select', 'selectDistinct', 'insert', 'update', 'delete', 'transaction', 'execute']);
  return new Proxy(db, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || !entryPoints.has(String(property))) return value;
      return (...args: unknown[]) => {
        if (Date.now() < outage.until || outage.refused < outage.minRefusals) {
          outage.refused++;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

beforeAll(async () => {
  [env, t] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping(await timeSkippingEnvOptions()),
    openTestDatabase('pglite'),
  ]);
  await registerSearchAttributes(env.connection);
  worker = await startTestWorker(env.nativeConnection, flakyDb(t.db), TASK_QUEUE);
});

afterAll(async () => {
  await worker?.shutdown();
  await env?.teardown();
  await t?.close();
});

function start(accountId: string, options?: AccountWorkflowOptions) {
  return env.client.workflow.start(accountWorkflow, {
    workflowId: `account:${accountId}`,
    taskQueue: TASK_QUEUE,
    args: [{ accountId, ...(options ? { options } : {}) }],
  });
}

describe('account workflow failures', () => {
  it('retries a database that is down with backoff, and carries on once it is back', { timeout: 60_000 }, async () => {
    await seedAccount(t.db, keyAccount({ id: 'outage' }));
    outage.refused = 0;
    outage.minRefusals = 3;
    outage.until = Date.now() + 2_500;
    const handle = await start('outage');
    const s = await untilState(
      env.client,
      'outage',
      'the plan after the outage',
      (s) => s.waitingFor === 'plan-approval',
      40_000,
    );
    expect(outage.refused).toBeGreaterThanOrEqual(2);
    // Retries are invisible to the workflow: no error, one audit row per stage.
    expect(s.lastError).toBeNull();
    expect(await stageResultCounts(t.db, 'outage')).toEqual(EACH_STAGE_ONCE_TO_PLAN);
    const history = await handle.fetchHistory();
    const profileAttempts = history.events!.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!
      .attempt;
    expect(profileAttempts).toBeGreaterThanOrEqual(2);
  });

  it(
    'ends a workflow whose account does not exist, with the reason; a new one runs once it does',
    { timeout: 60_000 },
    async () => {
      const handle = await start('ghost');
      const failure = await failureOf(env.client, handle.workflowId);
      // Not parked at `profile` as if data were missing: nothing can fix it but another account.
      expect(failure).toMatchObject({
        type: 'AccountNotFound',
        message: 'account "ghost" no longer exists in the database; its workflow ended',
      });
      // Failed once, not retried: a retry cannot create the account.
      const history = await handle.fetchHistory();
      expect(history.events!.filter((e) => e.activityTaskFailedEventAttributes)).toHaveLength(1);

      await seedAccount(t.db, keyAccount({ id: 'ghost', name: 'Ghost Ltd' }));
      await start('ghost');
      const s = await untilState(env.client, 'ghost', 'the new run', (s) => s.waitingFor === 'plan-approval');
      expect(s.lastError).toBeNull();
    },
  );

  it('re-evaluates with the monitor at once, in one audit row, when rules are published', { timeout: 60_000 }, async () => {
    // T4 (score 28.25): its plan needs no approval, so it goes straight to execution.
    await seedAccount(
      t.db,
      keyAccount({ id: 'small', revenueWithUs: 300_000, potential: 2_000_000, demonstration: 30, winnability: 30 }),
    );
    await start('small');
    let s = await untilState(env.client, 'small', 'execution', (s) => s.waitingFor === 'next-monitor');
    // The first monitor runs at execution start.
    expect(s).toMatchObject({ tier: 'T4', monitors: 1, plan: { needsApproval: false, status: 'approved' } });

    await publishDocument(
      t.db,
      'manufacturing',
      { industry: 'manufacturing', grade: { tierPolicy: { thresholds: { T3: 25 } } } },
      { by: 'u-admin', comment: 'smaller accounts count as T3' },
    );
    await accountHandle(env.client, 'small').signal(rulesPublishedSignal, { industry: 'finance', version: 2 });
    await accountHandle(env.client, 'small').signal(rulesPublishedSignal, { industry: 'manufacturing', version: 2 });
    s = await untilState(env.client, 'small', 'the re-evaluation', (s) => s.monitors === 2 && s.waitingFor === 'next-monitor');
    expect(s).toMatchObject({ tier: 'T3', ruleSet: { industry: 'manufacturing', version: 2 } });
    expect(s.history.at(-1)!.summary).toMatch(/^re-evaluated under manufacturing v2: tier T4 → T3; health /);
    const rows = (await listStageResults(t.db, 'small')).reverse();
    expect(rows.map((r) => `${r.stage}@${r.ruleSetVersion}`)).toEqual([
      'profile@1',
      'grade@1',
      'classify@1',
      'relationship@1',
      'coverage@1',
      'plan@1',
      'execute@1',
      'monitor@1',
      'monitor@2',
    ]);
  });

  it('continues as new when its history grows, and carries on where it was', { timeout: 60_000 }, async () => {
    await seedAccount(
      t.db,
      keyAccount({ id: 'chatty', revenueWithUs: 300_000, potential: 2_000_000, demonstration: 30, winnability: 30 }),
    );
    const handle = await start('chatty', { maxHistoryEvents: 50 });
    let s = await untilState(env.client, 'chatty', 'execution', (s) => s.waitingFor === 'next-monitor');
    expect(s).toMatchObject({ run: 1, monitors: 1 });
    for (let month = 1; month <= 3; month++) {
      // A day past the 30-day interval: the monitor's timer, set a few real milliseconds after
      // the last one fired, is surely due (exactly 30 days sometimes stopped just short of it).
      await env.sleep('31 days');
      s = await untilState(
        env.client,
        'chatty',
        `monitor ${month}`,
        (s) => s.monitors === month + 1 && s.waitingFor === 'next-monitor',
      );
    }
    // Each run's history stays short; the state (stage, monitors, the stage history) goes on.
    expect(s.run).toBeGreaterThan(1);
    expect(s).toMatchObject({ step: 'execute', stage: 'execute', monitors: 4 });
    expect(s.history.map((h) => h.stage)).toEqual([
      'profile',
      'grade',
      'classify',
      'relationship',
      'coverage',
      'plan',
      'execute',
      'monitor',
      'monitor',
      'monitor',
      'monitor',
    ]);
    const history = await env.client.workflow.getHandle(handle.workflowId).fetchHistory();
    expect(history.events!.length).toBeLessThan(120);
    expect(await stageResultCounts(t.db, 'chatty')).toMatchObject({ profile: 1, plan: 1, execute: 1, monitor: 4 });
  });

  it('runs the stages as local activities when asked', { timeout: 60_000 }, async () => {
    await seedAccount(t.db, keyAccount({ id: 'local' }));
    const handle = await start('local', { localActivities: true });
    await untilState(env.client, 'local', 'the plan', (s) => s.waitingFor === 'plan-approval');
    expect(await stageResultCounts(t.db, 'local')).toEqual(EACH_STAGE_ONCE_TO_PLAN);
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    // profileAndAssess (profile, grade … coverage), plan: one marker each.
    const localActivities = history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(localActivities).toHaveLength(2);
    // All in one workflow task: the search attributes are written once, when it waits for approval
    // (besides the SDK's own TemporalChangeVersion, once for the run's one patch).
    const upserted = history.events!.flatMap(
      (e) =>
        Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {})
          .sort()
          .join(',') || [],
    );
    expect(upserted).toEqual(['TemporalChangeVersion', 'EspClass,EspIndustry,EspOwner,EspStage,EspStrategy,EspTier']);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.EspStage)).toBe('plan');
    expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.EspTier)).toBe('T1');
  });

  it(
    "holds a reviewed account's next cycle in the same run until startCycle, then continues as new",
    { timeout: 60_000 },
    async () => {
      await seedAccount(
        t.db,
        keyAccount({ id: 'held', revenueWithUs: 300_000, potential: 2_000_000, demonstration: 30, winnability: 30 }),
      );
      const handle = await start('held', { localActivities: true });
      const before = await untilState(env.client, 'held', 'execution', (s) => s.waitingFor === 'next-monitor');
      const year = before.cycleYear;
      const firstRunId = (await handle.describe()).runId;
      await startReviewRun(t.db, { id: 'manual:held', year, total: 1 });
      // As a review run sends it; nobody listens at `replyTo`, which the account does not mind.
      await handle.signal(reviewSignal, { year, reviewRunId: 'manual:held', replyTo: 'review:nobody', holdNextCycle: true });
      const held = await untilState(env.client, 'held', 'the held next cycle', (s) => s.waitingFor === 'cycle-start');
      expect(held).toMatchObject({ step: 'cycle-wait', stage: 'review', cycleYear: year + 1, run: before.run });
      expect(held.previousCycles.map((c) => c.year)).toEqual([year]);
      expect(await getReview(t.db, 'held', year)).toMatchObject({ runId: 'manual:held' });
      // Still the reviewed year's run, showing `review` to the stock CLI.
      const heldRun = await handle.describe();
      expect(heldRun).toMatchObject({ runId: firstRunId, status: { name: 'RUNNING' } });
      expect(heldRun.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.EspStage)).toBe('review');

      await handle.signal(startCycleSignal, { year: year + 1 });
      // The time-skipping server never answers a query that reaches a run as it continues as new.
      await until(
        'the continue-as-new',
        () => env.client.workflow.getHandle('account:held', firstRunId).describe(),
        (d) => d.status.name === 'CONTINUED_AS_NEW',
      );
      const next = await untilState(
        env.client,
        'held',
        'the next cycle',
        (s) => s.run === before.run + 1 && s.waitingFor === 'next-monitor',
      );
      expect(next).toMatchObject({ cycleYear: year + 1, stage: 'execute' });
      expect((await handle.describe()).runId).not.toBe(firstRunId);
      expect(await stageResultCounts(t.db, 'held', year + 1)).toMatchObject({ profile: 1, plan: 1, execute: 1 });
      // Out of the way of the next test's review over every account.
      await handle.terminate('test done');
      await deleteAccounts(t.db, ['held']);
    },
  );

  it('counts an account without a running workflow as a failed review, and reviews the others', { timeout: 60_000 }, async () => {
    await seedAccount(t.db, keyAccount({ id: 'orphan' }));
    const year = (await accountState(env.client, 'small')).cycleYear;
    const review = await startReview(env.client, { year, window: 2, pageSize: 2 }, { taskQueue: TASK_QUEUE });
    const progress = await until(
      'the review',
      () => reviewProgress(review),
      (p) => p.status === 'completed',
      40_000,
    );
    const accountIds = (await listAccountIds(t.db)).filter((id) => id !== 'orphan');
    expect(progress.failures).toEqual([{ accountId: 'orphan', error: expect.stringMatching(/no running account workflow/) }]);
    // 'local' started after the earlier tests skipped three months into the next year: its cycle is
    // already year + 1, so it acknowledges the review as skipped.
    expect(progress).toMatchObject({
      total: accountIds.length + 1,
      done: accountIds.length - 1,
      skipped: 1,
      failed: 1,
      inFlight: 0,
    });
    const [run] = await listReviewRuns(t.db, year);
    expect(run).toMatchObject({ status: 'completed', done: accountIds.length - 1, failed: 1 });
    for (const id of accountIds) expect((await accountState(env.client, id)).cycleYear, id).toBe(year + 1);
  });
});
