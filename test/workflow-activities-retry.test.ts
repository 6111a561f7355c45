/**
 * A stage activity retried after its first attempt committed (the worker died before reporting,
 * or a local activity re-ran): it answers with what was recorded and writes nothing twice, though
 * it no longer looks its rows up before doing the work.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPlans } from '../db/repositories/plans.js';
import { createActivities, type EspActivities } from '../workflows/activities/index.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from './helpers/databases.js';
import { EACH_STAGE_ONCE_TO_PLAN, keyAccount, seedAccount } from './helpers/temporal.js';
import { stageResultCounts } from '../db/repositories/stage-results.js';

describe.each(DRIVERS)('a retried stage activity on %s', { timeout: 120_000 }, (driver) => {
  let t: TestDatabase;
  let acts: EspActivities;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
    acts = createActivities({ db: t.db });
    await seedAccount(t.db, keyAccount({ id: 'retried' }));
  });
  afterAll(async () => {
    await t?.close();
  });

  const input = { accountId: 'retried', cycleYear: 2026, asOf: '2026-03-01' };
  /** Both attempts of one scheduled activity share its identity, and so its idempotency key. */
  const attempt = <A, R>(activityId: string, fn: (a: A) => Promise<R>, a: A): Promise<R> =>
    new MockActivityEnvironment({
      activityId,
      workflowExecution: { workflowId: 'account:retried', runId: 'run-1' },
    } as never).run(fn as never, a as never) as Promise<R>;

  it('answers each retry with the first attempt’s result and records every stage once', async () => {
    const profile = await attempt('1', acts.profileStage, input);
    expect(await attempt('1', acts.profileStage, input)).toEqual(profile);

    const assessed = await attempt('2', acts.assessStages, input);
    expect(await attempt('2', acts.assessStages, input)).toEqual(assessed);

    const plan = await attempt('3', acts.planStage, input);
    const again = await attempt('3', acts.planStage, input);
    expect(again).toEqual(plan);
    // The retry's plan (version 2) was rolled back with its conflicting audit row.
    expect((await listPlans(t.db, 'retried')).map((p) => p.version)).toEqual([1]);

    expect(await stageResultCounts(t.db, 'retried')).toEqual(EACH_STAGE_ONCE_TO_PLAN);
    // A new activity (another identity) is a new decision.
    expect((await attempt('4', acts.planStage, input)).plan.version).toBe(2);
  });

  it('answers a retried profileAndAssess with all five recorded stages', async () => {
    await seedAccount(t.db, keyAccount({ id: 'merged' }));
    const merged = { ...input, accountId: 'merged' };
    const first = await attempt('5', acts.profileAndAssess, merged);
    expect(first.profile.ready).toBe(true);
    expect(first.assess?.grade.tier).toBe('T1');
    expect(await attempt('5', acts.profileAndAssess, merged)).toEqual(first);
    expect(await stageResultCounts(t.db, 'merged')).toEqual({ profile: 1, grade: 1, classify: 1, relationship: 1, coverage: 1 });
  });

  it('answers a retried planAndStart with the plan and, without approval, its started execution', async () => {
    await seedAccount(
      t.db,
      keyAccount({ id: 'small', revenueWithUs: 300_000, potential: 2_000_000, demonstration: 30, winnability: 30 }),
    );
    const small = { ...input, accountId: 'small' };
    await attempt('6', acts.profileAndAssess, small);
    const first = await attempt('7', acts.planAndStart, small);
    expect(first.plan.plan).toMatchObject({ needsApproval: false, status: 'approved', version: 1 });
    expect(first.execution?.openActions.length).toBeGreaterThan(0);
    expect(await attempt('7', acts.planAndStart, small)).toEqual(first);
    expect((await listPlans(t.db, 'small')).map((p) => p.version)).toEqual([1]);
    expect(await stageResultCounts(t.db, 'small')).toMatchObject({ plan: 1, execute: 1 });
    // A plan that needs approval stops there: its execution starts after the decision.
    const t1 = await attempt('8', acts.planAndStart, { ...input, accountId: 'merged' });
    expect(t1).toMatchObject({ plan: { plan: { needsApproval: true, status: 'pending-approval' } }, execution: null });
  });
});
