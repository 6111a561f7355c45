/**
 * The trend charts' read model and the review exports, on both drivers: a month counts every
 * account at its latest decision by the month's end (carried forward), within the user's scope;
 * an account's scores and health come back oldest first; the review CSVs hold only the user's
 * accounts, in their language, and a formula-like name reaches the spreadsheet as text.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { upsertAccounts } from '../db/repositories/accounts.js';
import { finishReviewRun, recordReview, startReviewRun } from '../db/repositories/reviews.js';
import { accountTrend, appendStageResult, monthlyDistribution } from '../db/repositories/stage-results.js';
import { accounts, stageResults } from '../db/schema.js';
import { accountSchema } from '../engine/index.js';
import type { SessionUser } from '../studio/src/lib/user.js';
import { accountScope, withinScope } from '../studio/src/lib/server/scope.js';
import { _reviewCsv as reviewCsv } from '../studio/src/routes/reviews/export.csv/+server.js';
import { DRIVERS, useTestDatabase, type TestDatabase } from './helpers/databases.js';

const admin: SessionUser = { id: 'u-admin', email: 'admin@example.test', name: 'Ada', role: 'admin', locale: 'en' };
const alice: SessionUser = { id: 'u-a', email: 'a@example.test', name: 'Alice', role: 'manager', locale: 'en' };
const NOW = new Date('2026-05-20T12:00:00Z');

async function grade(t: TestDatabase, accountId: string, tier: string, score: number, at: string, key: string) {
  const { row } = await appendStageResult(t.db, {
    accountId,
    cycleYear: 2026,
    stage: 'grade',
    ruleSetIndustry: '*',
    ruleSetVersion: 1,
    input: {},
    output: { score, tier },
    idempotencyKey: key,
  });
  await t.db
    .update(stageResults)
    .set({ createdAt: new Date(at) })
    .where(eq(stageResults.id, row.id));
}

async function monitor(t: TestDatabase, accountId: string, health: string, at: string, key: string) {
  const { row } = await appendStageResult(t.db, {
    accountId,
    cycleYear: 2026,
    stage: 'monitor',
    ruleSetIndustry: '*',
    ruleSetVersion: 1,
    input: {},
    output: { health },
    idempotencyKey: key,
  });
  await t.db
    .update(stageResults)
    .set({ createdAt: new Date(at) })
    .where(eq(stageResults.id, row.id));
}

describe.each(DRIVERS)('trends and review exports (%s)', (driver) => {
  const suite = useTestDatabase(driver, {
    setup: async (t) => {
      await upsertAccounts(t.db, [
        accountSchema.parse({ id: 'a1', name: 'Alpha', ownerId: alice.id }),
        accountSchema.parse({ id: 'a2', name: '=HYPERLINK("http://evil.test","x")', ownerId: alice.id }),
        accountSchema.parse({ id: 'b1', name: 'Bravo', ownerId: 'u-b' }),
      ]);
      await grade(t, 'a1', 'T3', 50, '2026-02-10T00:00:00Z', 'g1');
      await grade(t, 'a1', 'T2', 70, '2026-04-02T00:00:00Z', 'g2');
      // Two grades in one month: the later one counts.
      await grade(t, 'a2', 'T4', 20, '2026-03-01T00:00:00Z', 'g3');
      await grade(t, 'a2', 'T1', 90, '2026-03-30T00:00:00Z', 'g4');
      await grade(t, 'b1', 'T1', 95, '2026-01-15T00:00:00Z', 'g5');
      await monitor(t, 'a1', 'amber', '2026-04-20T00:00:00Z', 'm1');
      await monitor(t, 'a1', 'green', '2026-05-10T00:00:00Z', 'm2');
      const run = await startReviewRun(t.db, { year: 2025, total: 3 });
      const base = { year: 2025, runId: run.id, opportunitiesCount: 0, opportunitiesValue: 0 };
      await recordReview(t.db, {
        ...base,
        accountId: 'a1',
        tierBefore: 'T3',
        tierAfter: 'T2',
        classBefore: 'C',
        classAfter: 'B',
        strategyBefore: 'grow',
        strategyAfter: 'retain',
        scoreBefore: 50,
        scoreAfter: 70,
      });
      await recordReview(t.db, {
        ...base,
        accountId: 'a2',
        tierBefore: 'T4',
        tierAfter: 'T1',
        classBefore: 'D',
        classAfter: 'A',
      });
      await recordReview(t.db, {
        ...base,
        accountId: 'b1',
        tierBefore: 'T1',
        tierAfter: 'T1',
        classBefore: 'A',
        classAfter: 'A',
      });
      await finishReviewRun(t.db, run.id);
    },
  });

  it('counts every account at its latest tier by each month’s end, carried forward', async () => {
    const rows = await monthlyDistribution(suite.t.db, 'tier', { months: 5, now: NOW });
    const at = (month: string) => Object.fromEntries(rows.filter((r) => r.month === month).map((r) => [r.value, r.count]));
    expect(at('2026-01')).toEqual({ T1: 1 });
    expect(at('2026-02')).toEqual({ T1: 1, T3: 1 });
    expect(at('2026-03')).toEqual({ T1: 2, T3: 1 });
    expect(at('2026-04')).toEqual({ T1: 2, T2: 1 });
    expect(at('2026-05')).toEqual({ T1: 2, T2: 1 });
    const health = await monthlyDistribution(suite.t.db, 'health', { months: 2, now: NOW });
    expect(health).toEqual([
      { month: '2026-04', value: 'amber', count: 1 },
      { month: '2026-05', value: 'green', count: 1 },
    ]);
  });

  it('keeps a manager’s trend to their own accounts', async () => {
    const where = withinScope(await accountScope(suite.t.db, alice));
    const rows = await monthlyDistribution(suite.t.db, 'tier', { months: 5, now: NOW, where });
    expect(rows.filter((r) => r.month === '2026-01')).toEqual([]);
    expect(rows.filter((r) => r.month === '2026-05')).toEqual([
      { month: '2026-05', value: 'T1', count: 1 },
      { month: '2026-05', value: 'T2', count: 1 },
    ]);
    // The scope's SQL reads the accounts table: a scope naming a column of it works as a filter.
    expect(await monthlyDistribution(suite.t.db, 'tier', { months: 1, now: NOW, where: eq(accounts.id, 'nobody') })).toEqual([]);
  });

  it('returns an account’s scores and health oldest first', async () => {
    const points = await accountTrend(suite.t.db, 'a1');
    expect(points.map((p) => [p.stage, p.score, p.tier, p.health])).toEqual([
      ['grade', 50, 'T3', null],
      ['grade', 70, 'T2', null],
      ['monitor', null, null, 'amber'],
      ['monitor', null, null, 'green'],
    ]);
  });

  it('exports the review results of the user’s accounts only, formula-safe', async () => {
    const csv = (await reviewCsv(suite.t.db, alice, 'en', 2025, 'records'))!;
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'Account id,Name,Attainment,Actions done,Opportunities,Opportunities value,Closeness change,Score before,Score after,Tier before,Tier after,Class before,Class after,Strategy before,Strategy after',
    );
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual(['a1', 'a2']);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
    expect(csv).toContain('a1,Alpha,,,0,0,,50,70,T3,T2,C,B,Grow,Retain');
    const zh = (await reviewCsv(suite.t.db, alice, 'zh-CN', 2025, 'records'))!;
    expect(zh).toContain('客户提升,客户维系');
  });

  it('exports the migration matrices, and nothing for a year without a review', async () => {
    const tiers = (await reviewCsv(suite.t.db, admin, 'en', 2025, 'tiers'))!.trim().split('\r\n');
    expect(tiers).toEqual(['before ↓ after →,T1,T2,T3,T4', 'T1,1,0,0,0', 'T2,0,0,0,0', 'T3,0,1,0,0', 'T4,1,0,0,0']);
    const classes = (await reviewCsv(suite.t.db, alice, 'en', 2025, 'classes'))!.trim().split('\r\n');
    expect(classes[0]).toBe('before ↓ after →,Class A,Class B,Class C,Class D');
    expect(classes.slice(1)).toEqual(['Class A,0,0,0,0', 'Class B,0,0,0,0', 'Class C,0,1,0,0', 'Class D,1,0,0,0']);
    expect(await reviewCsv(suite.t.db, admin, 'en', 2019, 'records')).toBeNull();
  });
});
