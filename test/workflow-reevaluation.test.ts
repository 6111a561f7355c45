/**
 * Account workflow v3 on the time-skipping server: health from day one, a publish that reaches a
 * plan waiting for approval (rebuilt, or kept under the new version), one audit row for a
 * re-evaluation, account changes that re-run from the stage they affect, and an account deleted
 * under its running workflow.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsBehindEdits } from '../db/repositories/account-edit-versions.js';
import { accountVersion, saveAccountEdit } from '../db/repositories/account-changes.js';
import { deleteAccounts, getAccount } from '../db/repositories/accounts.js';
import { listPlans } from '../db/repositories/plans.js';
import { getDocument, publishDocument } from '../db/repositories/rule-sets.js';
import { listStageResults } from '../db/repositories/stage-results.js';
import { timeSkippingEnvOptions } from '../scripts/temporal/binaries.js';
import { accountWorkflow } from '../workflows/account-workflow.js';
import { accountHandle, approvePlan, notifyAccountUpdated } from '../workflows/client.js';
import { rulesPublishedSignal } from '../workflows/messages.js';
import { catchUpRules } from '../workflows/rules-published.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import { catchUpEdits } from '../workflows/catch-up.js';
import { startWorker, type StartWorkerOptions, type WorkerHandle } from '../workflows/worker.js';
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

const TASK_QUEUE = 'esp-reevaluation';

let env: TestWorkflowEnvironment;
let t: TestDatabase;
let worker: WorkerHandle;

beforeAll(async () => {
  [env, t] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping(await timeSkippingEnvOptions()),
    openTestDatabase('pglite'),
  ]);
  await registerSearchAttributes(env.connection);
  worker = await startTestWorker(env.nativeConnection, t.db, TASK_QUEUE);
});

afterAll(async () => {
  await worker?.shutdown();
  await env?.teardown();
  await t?.close();
});

function start(accountId: string) {
  return env.client.workflow.start(accountWorkflow, {
    workflowId: `account:${accountId}`,
    taskQueue: TASK_QUEUE,
    args: [{ accountId, options: { localActivities: true } }],
  });
}

/** Publishes the industry's rule set again with `change` applied to its published document. */
async function republish(industry: string, change: (doc: Record<string, unknown>) => void, comment: string) {
  const doc = structuredClone((await getDocument(t.db, industry, 'published')).document) as Record<string, unknown>;
  change(doc);
  const r = await publishDocument(t.db, industry, doc, { by: 'u-admin', comment });
  return r.published.version!;
}

const rowsOf = async (accountId: string) =>
  (await listStageResults(t.db, accountId)).reverse().map((r) => `${r.stage}@${r.ruleSetVersion}`);

/** T4 (score 28.25) in retail: its plan needs no approval, so it goes straight to execution. */
const smallAccount = (id: string) =>
  keyAccount({ id, industry: 'retail', revenueWithUs: 300_000, potential: 2_000_000, demonstration: 30, winnability: 30 });

describe('account workflow v3', () => {
  it(
    'monitors at execution start: health and EspHealth at once, later monitors on the interval',
    { timeout: 60_000 },
    async () => {
      await seedAccount(t.db, smallAccount('fresh'));
      const handle = await start('fresh');
      const s = await untilState(
        env.client,
        'fresh',
        'the first monitor',
        (s) => s.monitors === 1 && s.waitingFor === 'next-monitor',
      );
      expect(s.health).toMatch(/^(green|amber|red)$/);
      expect(Date.parse(s.nextMonitorAt!) - Date.parse(s.lastMonitorAt!)).toBeGreaterThan(29 * 86_400_000);
      expect((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.EspHealth)).toBe(s.health);
      expect(await rowsOf('fresh')).toEqual([
        'profile@1',
        'grade@1',
        'classify@1',
        'relationship@1',
        'coverage@1',
        'plan@1',
        'execute@1',
        'monitor@1',
      ]);
    },
  );

  it('records a re-evaluation that changed nothing as one audit row', { timeout: 60_000 }, async () => {
    const version = await republish('retail', () => undefined, 'same rules, new version');
    await accountHandle(env.client, 'fresh').signal(rulesPublishedSignal, { industry: 'retail', version });
    const s = await untilState(
      env.client,
      'fresh',
      'the re-evaluation',
      (s) => s.monitors === 2 && s.waitingFor === 'next-monitor',
    );
    expect(s.ruleSet).toEqual({ industry: 'retail', version });
    expect(s.history.at(-1)!.summary).toMatch(new RegExp(`^re-evaluated under retail v${version}: no change; health `));
    expect((await rowsOf('fresh')).slice(-2)).toEqual(['monitor@1', `monitor@${version}`]);
    const [row] = await listStageResults(t.db, 'fresh', { limit: 1 });
    expect(row!.output).toMatchObject({ reevaluated: { line: `re-evaluated under retail v${version}: no change`, changes: [] } });
  });

  it(
    'rebuilds a plan waiting for approval when the publish changes its tier, and the approver sees why',
    { timeout: 60_000 },
    async () => {
      await seedAccount(t.db, keyAccount({ id: 'waiting' }));
      await start('waiting');
      let s = await untilState(env.client, 'waiting', 'the plan', (s) => s.waitingFor === 'plan-approval');
      expect(s).toMatchObject({ tier: 'T1', plan: { version: 1, ruleSet: { industry: 'manufacturing', version: 1 } } });

      const version = await republish(
        'manufacturing',
        (doc) => {
          doc['grade'] = { ...(doc['grade'] as object), tierPolicy: { thresholds: { T1: 85 } } };
        },
        'T1 from 85',
      );
      await accountHandle(env.client, 'waiting').signal(rulesPublishedSignal, { industry: 'manufacturing', version });
      s = await untilState(
        env.client,
        'waiting',
        'the rebuilt plan',
        (s) => s.plan?.version === 2 && s.waitingFor === 'plan-approval',
      );
      expect(s).toMatchObject({
        tier: 'T2',
        ruleSet: { industry: 'manufacturing', version },
        plan: {
          status: 'pending-approval',
          ruleSet: { industry: 'manufacturing', version },
          rebuilt: {
            under: { industry: 'manufacturing', version },
            changes: expect.arrayContaining([{ field: 'tier', from: 'T1', to: 'T2' }]),
          },
        },
      });
      expect(s.history.at(-1)!.summary).toContain(`(rebuilt under manufacturing v${version})`);
      expect((await rowsOf('waiting')).slice(-2)).toEqual([`grade@${version}`, `plan@${version}`]);
      expect((await listPlans(t.db, 'waiting')).map((p) => `${p.version}:${p.status}`).sort()).toEqual([
        '1:superseded',
        '2:pending-approval',
      ]);

      // The rebuilt plan is the one decided; the summary follows the decision.
      await approvePlan(env.client, 'waiting', { approve: true, by: 'u-bob', role: 'manager' });
      s = await untilState(env.client, 'waiting', 'execution', (s) => s.waitingFor === 'next-monitor');
      expect(s.history.find((h) => h.stage === 'plan' && h.summary?.startsWith('plan v2'))!.summary).toBe(
        `plan v2: ${s.plan!.strategy}, approved by u-bob`,
      );
      expect(s.monitors).toBe(1);
    },
  );

  it(
    'keeps a waiting plan whose tier, class and strategy stand, re-stamped with the new version',
    { timeout: 60_000 },
    async () => {
      await seedAccount(t.db, keyAccount({ id: 'steady', industry: 'energy' }));
      await start('steady');
      let s = await untilState(env.client, 'steady', 'the plan', (s) => s.waitingFor === 'plan-approval');
      const before = s.plan!;
      const version = await republish('energy', () => undefined, 'same rules, new version');
      await accountHandle(env.client, 'steady').signal(rulesPublishedSignal, { industry: 'energy', version });
      s = await untilState(env.client, 'steady', 'the re-stamp', (s) => s.plan?.ruleSet?.version === version);
      expect(s).toMatchObject({ step: 'plan-approval', waitingFor: 'plan-approval', plan: { id: before.id, version: 1 } });
      expect(s.plan!.rebuilt ?? null).toBeNull();
      expect(s.history.at(-1)!.summary).toBe(`re-evaluated under energy v${version}: no change`);
      expect((await rowsOf('steady')).slice(-2)).toEqual(['plan@1', `grade@${version}`]);
    },
  );

  it('re-evaluates in execute when decision inputs change, not when only the name does', { timeout: 60_000 }, async () => {
    await notifyAccountUpdated(env.client, 'fresh', { fields: ['name'], by: 'u-alice' });
    await notifyAccountUpdated(env.client, 'fresh', { fields: ['revenueWithUs'], by: 'u-alice' });
    const s = await untilState(
      env.client,
      'fresh',
      'the re-evaluation',
      (s) => s.monitors === 3 && s.waitingFor === 'next-monitor',
    );
    // One row for the one change that matters, naming both changes and who made them.
    expect((await rowsOf('fresh')).filter((r) => r.startsWith('monitor'))).toHaveLength(3);
    expect(s.history.at(-1)!.summary).toMatch(/^re-evaluated under retail v\d+: no change; health /);
    const [row] = await listStageResults(t.db, 'fresh', { limit: 1 });
    expect(row!.input).toMatchObject({ accountChange: { fields: ['name', 'revenueWithUs'], by: ['u-alice'] } });
  });

  it(
    'an accountUpdated {fields, by} re-runs from the earliest stage the fields affect, and its audit row names who',
    { timeout: 60_000 },
    async () => {
      // A plan waiting for approval: a name changes nothing; a grade input re-grades (one row).
      await seedAccount(t.db, keyAccount({ id: 'payload-plan', industry: 'energy' }));
      await start('payload-plan');
      await untilState(env.client, 'payload-plan', 'the plan', (s) => s.waitingFor === 'plan-approval');
      const planned = (await rowsOf('payload-plan')).length;
      await notifyAccountUpdated(env.client, 'payload-plan', { fields: ['name'], by: 'u-xavier' });
      await notifyAccountUpdated(env.client, 'payload-plan', { fields: ['potential'], by: 'u-carol' });
      const graded = await until(
        'the re-grade',
        () => listStageResults(t.db, 'payload-plan'),
        (rows) => rows.length > planned,
      );
      expect(graded).toHaveLength(planned + 1);
      expect(graded[0]).toMatchObject({
        stage: 'grade',
        input: { accountChange: { fields: ['name', 'potential'], by: ['u-carol', 'u-xavier'] } },
      });

      // Below the profile gate: the completed profile is read again, from the profile stage on.
      const thin = keyAccount({
        id: 'payload-thin',
        industry: 'energy',
        employees: null,
        companyRevenue: null,
        potential: null,
        demonstration: null,
        winnability: null,
      });
      await seedAccount(t.db, thin);
      await start('payload-thin');
      await untilState(env.client, 'payload-thin', 'the profile wait', (s) => s.waitingFor === 'profile-data');
      await seedAccount(t.db, keyAccount({ id: 'payload-thin', industry: 'energy' }));
      const fields = ['companyRevenue', 'demonstration', 'employees', 'potential', 'winnability'];
      await notifyAccountUpdated(env.client, 'payload-thin', { fields, by: 'u-dave' });
      const s = await untilState(env.client, 'payload-thin', 'the plan', (s) => s.waitingFor === 'plan-approval');
      expect(s.tier).not.toBeNull();
      const rows = (await listStageResults(t.db, 'payload-thin')).reverse();
      const resumed = rows.findIndex((r) => r.input !== null && 'accountChange' in (r.input as object));
      expect(rows[resumed]).toMatchObject({ stage: 'profile', input: { accountChange: { fields, by: ['u-dave'] } } });
      expect(rows.slice(resumed).map((r) => r.stage)).toEqual(Object.keys(EACH_STAGE_ONCE_TO_PLAN));
    },
  );

  it('catches up with a publish it missed: the account is told again until it is evaluated', { timeout: 60_000 }, async () => {
    const version = await republish('retail', () => undefined, 'published while Temporal was down');
    // Nobody was told; the catch-up finds the account behind and tells it.
    const report = await catchUpRules(t.db, { client: env.client as never });
    expect(report).toMatchObject({ reachable: true, signalled: expect.any(Number) });
    expect(report.targets).toBeGreaterThanOrEqual(1);
    await untilState(
      env.client,
      'fresh',
      'the caught-up version',
      (s) => s.ruleSet?.version === version && s.waitingFor === 'next-monitor',
    );
    await until(
      'nothing behind',
      () => catchUpRules(t.db, { client: env.client as never }),
      (r) => r.targets === 0,
    );
  });

  it('ends a workflow whose account was deleted, with the reason', { timeout: 60_000 }, async () => {
    await seedAccount(t.db, smallAccount('gone'));
    const handle = await start('gone');
    await untilState(env.client, 'gone', 'execution', (s) => s.waitingFor === 'next-monitor');
    await deleteAccounts(t.db, ['gone']);
    await notifyAccountUpdated(env.client, 'gone');
    expect(await failureOf(env.client, handle.workflowId)).toEqual({
      type: 'AccountNotFound',
      message: 'account "gone" no longer exists in the database; its workflow ended',
    });
    expect((await handle.describe()).status.name).toBe('FAILED');
  });

  it(
    'catches up with an edit committed while no worker ran: the worker starts and re-evaluates the account',
    { timeout: 60_000 },
    async () => {
      // Its own queue and workers that keep no workflow cache, so no task waits on a stopped
      // worker's sticky queue (which the time-skipping server never hands over).
      const queue = 'esp-offline';
      const workerOn = (catchUp?: StartWorkerOptions['catchUp']) =>
        startWorker({
          connection: env.nativeConnection,
          db: t.db,
          taskQueue: queue,
          worker: { shutdownGraceTime: '2 seconds', maxCachedWorkflows: 0 },
          ...(catchUp ? { catchUp } : {}),
        });
      let offlineWorker = await workerOn();
      await seedAccount(t.db, smallAccount('offline'));
      await env.client.workflow.start(accountWorkflow, {
        workflowId: 'account:offline',
        taskQueue: queue,
        args: [{ accountId: 'offline', options: { localActivities: true } }],
      });
      const before = await untilState(
        env.client,
        'offline',
        'execution',
        (s) => s.monitors === 1 && s.waitingFor === 'next-monitor',
      );
      expect(await accountsBehindEdits(t.db)).toEqual([]);

      await offlineWorker.shutdown();
      const account = (await getAccount(t.db, 'offline'))!;
      const saved = await saveAccountEdit(t.db, {
        account: { ...account, potential: 9_000_000 },
        baseVersion: (await accountVersion(t.db, 'offline'))!,
        by: 'u-alice',
      });
      if (saved.kind !== 'saved') throw new Error(saved.kind);
      // Nobody told the workflow: the account is behind by the edit, with its fields and author.
      expect(await accountsBehindEdits(t.db)).toEqual([
        { accountId: 'offline', version: saved.version, fields: ['potential'], by: 'u-alice' },
      ]);

      const reports: string[] = [];
      offlineWorker = await workerOn({
        client: env.client as never,
        onReport: (kind, r) => reports.push(`${kind} ${r.signalled}/${r.targets}`),
      });
      try {
        const s = await untilState(
          env.client,
          'offline',
          'the re-evaluation',
          (s) => s.monitors === 2 && s.waitingFor === 'next-monitor',
        );
        expect(s.history.at(-1)!.summary).toMatch(/^re-evaluated under retail v\d+: /);
        expect(reports).toContain('edits 1/1');
        // Graded with the edited potential, read at the edited version: nothing left to tell.
        expect(s.score).toBeGreaterThan(before.score!);
      } finally {
        await offlineWorker.shutdown();
      }
      expect(await accountsBehindEdits(t.db)).toEqual([]);
      expect(await catchUpEdits(t.db, { client: env.client as never })).toMatchObject({ reachable: true, targets: 0 });
    },
  );

  it('tells a change the workflow has nothing to re-run for once, not at every catch-up', { timeout: 60_000 }, async () => {
    const account = (await getAccount(t.db, 'offline'))!;
    await saveAccountEdit(t.db, {
      account: { ...account, name: 'Offline Retail, renamed' },
      baseVersion: (await accountVersion(t.db, 'offline'))!,
      by: 'u-bob',
    });
    expect(await accountsBehindEdits(t.db)).toMatchObject([{ accountId: 'offline', fields: ['name'], by: 'u-bob' }]);
    expect(await catchUpEdits(t.db, { client: env.client as never })).toMatchObject({ targets: 1, signalled: 1 });
    expect(await accountsBehindEdits(t.db)).toEqual([]);
    expect(await catchUpEdits(t.db, { client: env.client as never })).toMatchObject({ targets: 0 });
  });
});
