import { listAccountChanges } from '../db/repositories/account-changes.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/client.js';
import { loadDefaultMapping, checkMapping } from '../db/import/crm-mapping.js';
import {
  importCrm,
  planCrmImport,
  readCrmFiles,
  summarizePlan,
  yearsBefore,
  type CrmPlan,
  type CrmRows,
} from '../db/import/crm.js';
import { parseCsv } from '../db/import/csv.js';
import { evaluate, parseExpression } from '../db/import/expression.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { importAccounts, parseAccountsCsv } from '../db/import/accounts.js';
import { ImportError, Problems } from '../db/import/problems.js';
import { getAccountWithState, updateComputed } from '../db/repositories/accounts.js';
import { getEffectiveRules } from '../db/repositories/rule-sets.js';
import { teamNames } from '../db/repositories/teams.js';
import { profile } from '../engine/index.js';
import { createActivities } from '../workflows/activities/index.js';
import type { ProfileSummary } from '../workflows/types.js';
import { accounts, opportunities, teamMembers, teams, users } from '../db/schema.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from './helpers/databases.js';

const DIR = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'maven-crm');
const FILES = {
  accounts: join(DIR, 'accounts.csv'),
  opportunities: join(DIR, 'sales_pipeline.csv'),
  teams: join(DIR, 'sales_teams.csv'),
};

let rows: CrmRows;
const plans = new Map<string, CrmPlan>();
function plan(asOf: string): CrmPlan {
  if (!plans.has(asOf)) plans.set(asOf, planCrmImport(rows, loadDefaultMapping(), asOf, FILES));
  return plans.get(asOf)!;
}
const account = (p: CrmPlan, id: string) => p.accounts.find((a) => a.account.id === id)!;
const statuses = (p: CrmPlan) => {
  const out: Record<string, number> = {};
  for (const a of p.accounts) out[a.account.status!] = (out[a.account.status!] ?? 0) + 1;
  return out;
};

beforeAll(async () => {
  const problems = new Problems();
  rows = await readCrmFiles(FILES, problems);
  expect(problems.ok).toBe(true);
});

describe('CRM mapping', () => {
  it('the default mapping is valid and documents the Maven shape', () => {
    const m = loadDefaultMapping();
    expect(m.accounts.companyRevenue).toEqual({ column: 'revenue', multiply: 1_000_000 });
    expect(m.opportunities.unknownAccounts).toBe('skip');
  });

  it('rejects unknown keys, bad expressions and non-column ids', () => {
    const base = JSON.parse(JSON.stringify(loadDefaultMapping())) as Record<string, Record<string, unknown>>;
    base['accounts']!['potential'] = { expression: 'turnover * 0.1' };
    base['accounts']!['id'] = { default: 'x' };
    const r = checkMapping(base);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      expect.stringMatching(/^accounts\.potential\.expression: unknown field "turnover"/),
      'accounts.id: id must come from a column',
    ]);
    expect(checkMapping({ ...base, accounts: { ...base['accounts'], id: 'account', colour: 'x' } }).ok).toBe(false);
  });

  it('evaluates expressions without eval, with unknowns propagating', () => {
    const e = parseExpression('max(companyRevenue * 0.01, employees * 1000) + -(2)', ['companyRevenue', 'employees']);
    expect(evaluate(e, { companyRevenue: 1e8, employees: 10 })).toBe(999_998);
    expect(evaluate(e, { companyRevenue: null, employees: 10 })).toBeNull();
    expect(() => parseExpression('1 +', [])).toThrow(/unexpected end/);
    expect(() => parseExpression('process.exit(1)', [])).toThrow(/unknown field "process"/);
    expect(evaluate(parseExpression('1 / employees', ['employees']), { employees: 0 })).toBeNull();
  });

  it('computes the windows by calendar day', () => {
    expect(yearsBefore('2017-12-31', 1)).toBe('2016-12-31');
    expect(yearsBefore('2016-02-29', 1)).toBe('2015-02-28');
  });
});

describe('Maven CRM sample, default mapping', () => {
  it('as of 2017-12-31: every account won deals in the last 12 months', () => {
    const p = plan('2017-12-31');
    expect(p.problems.ok).toBe(true);
    expect(p.accounts).toHaveLength(85);
    expect(statuses(p)).toEqual({ active: 85 });
    expect(p.accounts.reduce((s, a) => s + a.account.revenueWithUs!, 0)).toBe(10_005_534);
    // 8,800 deals: 1,425 open ones have no account yet and are skipped.
    expect(p.opportunities).toHaveLength(7375);
    expect(p.skipped).toEqual({ withoutAccount: 1425, unknownAccount: 0, unknownAccountIds: [] });
    expect(p.opportunities.filter((o) => o.status === 'won')).toHaveLength(4238);
    expect(p.users).toHaveLength(41);
    expect(p.teams.map((t) => t.id)).toEqual([
      'region:Central',
      'region:East',
      'region:West',
      'manager:cara-losch',
      'manager:celia-rouche',
      'manager:dustin-brinkmann',
      'manager:melvin-marxen',
      'manager:rocco-neubert',
      'manager:summer-sewald',
    ]);
    expect(p.teams[0]!.members).toHaveLength(11);
    // The export names no team: a region team has no name, a manager's team its manager's.
    expect(p.teams.find((x) => x.id === 'region:East')!.name).toBeNull();
    expect(p.teams.find((x) => x.id === 'manager:dustin-brinkmann')!.name).toBe('Dustin Brinkmann');
  });

  it('derives Acme Corporation as computed by hand from the CSVs', () => {
    // accounts.csv: technolgy, revenue 1100.04 (millions), 2822 employees. 34 won deals, all closed
    // in 2017, sum 101,744. Daniell Hammack, Donn Cantrell and Reed Clapper have 9 deals each:
    // the tie goes to the first name in order; Daniell is in the East office.
    const a = account(plan('2017-12-31'), 'Acme Corporation');
    expect(a.account).toMatchObject({
      name: 'Acme Corporation',
      industry: 'technolgy', // kept as given: no rule set, graded by `*`
      region: 'East',
      status: 'active',
      ownerId: 'daniell.hammack@crm.example.com',
      employees: 2822,
      companyRevenue: 1_100_040_000,
      revenueWithUs: 101_744,
      potential: 11_000_400, // companyRevenue × 0.01
      demonstration: 50,
      winnability: 50,
    });
    expect(a.importedDefaults).toEqual(['demonstration', 'potential', 'winnability']);
    expect(a.deals).toMatchObject({ total: 68, won: 34, wonLast12: 34, revenueLast12: 101_744, revenuePrevious12: 0 });
  });

  it('maps sectors and keeps parents', () => {
    const p = plan('2017-12-31');
    expect(account(p, 'Betasoloin').account).toMatchObject({
      industry: 'healthcare',
      ownerId: 'cassey.cress@crm.example.com',
      revenueWithUs: 97_036,
    });
    expect(account(p, 'Kan-code').account).toMatchObject({
      industry: 'software',
      region: 'West',
      ownerId: 'kary.hendrixson@crm.example.com',
      revenueWithUs: 341_455,
    });
    expect(account(p, 'Bluth Company').account.parentId).toBe('Acme Corporation');
    expect(account(p, 'Funholding').account).toMatchObject({ industry: 'finance', parentId: 'Golddex' });
  });

  it('as of 2018-06-30: Betasoloin is declining (29,339 < half of 67,697)', () => {
    const p = plan('2018-06-30');
    expect(statuses(p)).toEqual({ active: 84, declining: 1 });
    expect(account(p, 'Betasoloin').account).toMatchObject({ status: 'declining', revenueWithUs: 29_339 });
    expect(account(p, 'Betasoloin').deals.revenuePrevious12).toBe(67_697);
  });

  it('as of 2017-03-05: accounts without a won deal yet are prospects; later deals do not count', () => {
    const p = plan('2017-03-05');
    expect(statuses(p)).toEqual({ active: 54, prospect: 31 });
    expect(p.accounts.reduce((s, a) => s + a.account.revenueWithUs!, 0)).toBe(165_663);
  });

  it('as of 2018-12-31: no deal in the last 12 months, every account won before: lost', () => {
    const p = plan('2018-12-31');
    expect(statuses(p)).toEqual({ lost: 85 });
    expect(p.accounts.every((a) => a.account.revenueWithUs === 0)).toBe(true);
  });

  it('summarizes', () => {
    expect(summarizePlan(plan('2017-12-31'))).toContain('accounts: 85 (active 85)');
  });
});

describe('bad CRM input', () => {
  const small = (text: string) => parseCsv(text).rows;
  const teamsCsv = small('sales_agent,manager,regional_office\nAnna,Boss,East\n');
  const accountsCsv = small(
    'account,sector,revenue,employees,subsidiary_of\nAlpha,medical,10.5,100,\nBeta,retail,x,20,\nAlpha,retail,1,1,\n',
  );
  const pipelineCsv = small(
    'opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n' +
      'O1,Anna,GTX,Alpha,Won,2017-01-01,2017-02-30,100\n' +
      'O2,Anna,GTX,Gamma,Won,2017-01-01,2017-02-01,100\n' +
      'O1,Anna,GTX,Alpha,Won,2017-01-01,2017-02-01,-3\n',
  );

  it('reports every problem with file, line and column', () => {
    const p = planCrmImport(
      { accounts: accountsCsv, opportunities: pipelineCsv, teams: teamsCsv },
      loadDefaultMapping(),
      '2017-12-31',
      {
        accounts: 'a.csv',
        opportunities: 'o.csv',
        teams: 't.csv',
      },
    );
    expect(p.problems.list.map((x) => `${x.file}:${x.line}:${x.column}: ${x.message}`)).toEqual([
      'a.csv:3:revenue: "x" is not a number (write digits with a decimal point, no thousands separators)',
      'a.csv:4:account: duplicate account "Alpha" (first on line 2)',
      'o.csv:2:close_date: "2017-02-30" is not a date (YYYY-MM-DD)',
      'o.csv:4:close_value: must be at least 0 (got -3)',
      'o.csv:4:opportunity_id: duplicate opportunity "O1" (first on line 2)',
    ]);
    // An opportunity of an account not in the accounts file is skipped by default…
    expect(p.skipped.unknownAccountIds).toEqual(['Gamma']);
    // …or an error when the mapping says so.
    const strict = loadDefaultMapping();
    strict.opportunities.unknownAccounts = 'error';
    const q = planCrmImport({ accounts: accountsCsv, opportunities: pipelineCsv, teams: teamsCsv }, strict, '2017-12-31');
    expect(q.problems.list.map((x) => x.message)).toContain('unknown account "Gamma" (not in the accounts file)');
  });

  it('names the missing mapped columns and a bad --as-of', () => {
    const p = planCrmImport(
      { accounts: small('name,sector\nA,x\n'), opportunities: pipelineCsv, teams: teamsCsv },
      loadDefaultMapping(),
      '2017-12-31',
    );
    expect(p.problems.list.map((x) => x.column)).toEqual(['account', 'employees', 'revenue', 'subsidiary_of']);
    expect(
      planCrmImport({ accounts: accountsCsv, opportunities: pipelineCsv, teams: teamsCsv }, loadDefaultMapping(), '2017-13-01')
        .problems.list[0]!.message,
    ).toMatch(/not a date/);
  });
});

async function counts(db: Db) {
  const n = async (table: typeof accounts | typeof opportunities | typeof users | typeof teams | typeof teamMembers) =>
    (await db.select({ n: count() }).from(table))[0]!.n;
  return {
    accounts: await n(accounts),
    opportunities: await n(opportunities),
    users: await n(users),
    teams: await n(teams),
    members: await n(teamMembers),
  };
}

describe.each(DRIVERS)('CRM import on %s', { timeout: 180_000 }, (driver) => {
  let t: TestDatabase;
  let scratch: string;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
    scratch = mkdtempSync(join(tmpdir(), 'esp-crm-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('writes nothing when a file has a problem', async () => {
    const before = await counts(t.db);
    const bad = join(scratch, 'pipeline.csv');
    writeFileSync(bad, readFileSync(FILES.opportunities, 'utf8').replace('2017-03-01,1054', '2017-03-01,"1054'));
    const error = await importCrm(t.db, { ...FILES, opportunities: bad }, { asOf: '2017-12-31' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    // The open quote swallows the rest of the file: too large a field, and never closed.
    expect((error as ImportError).problems).toEqual([
      expect.objectContaining({ file: bad, line: 2, column: '71', message: 'field too large (more than 65536 characters)' }),
      expect.objectContaining({
        file: bad,
        line: 2,
        column: '71',
        message: expect.stringContaining('unterminated quoted field'),
      }),
    ]);
    expect(await counts(t.db)).toEqual(before);
  });

  it('imports the sample, then re-imports it idempotently without overwriting what an admin rated', async () => {
    // A user who already exists under another id keeps it; the import reuses them.
    await t.db
      .insert(users)
      .values({ id: 'u-anna', email: 'Anna.Snelling@crm.example.com', name: 'Anna S.', role: 'manager', passwordHash: 'x' });
    const first = await importCrm(t.db, FILES, { asOf: '2017-12-31' });
    expect(first.accounts).toEqual({ inserted: 85, updated: 0 });
    expect(first.opportunities).toBe(7375);
    expect(first.usersCreated).toBe(40);
    expect(first.importedDefaults['Acme Corporation']).toEqual(['demonstration', 'potential', 'winnability']);
    expect(await counts(t.db)).toEqual({ accounts: 85, opportunities: 7375, users: 41, teams: 9, members: 35 + 35 + 6 });
    const [acme] = await t.db.select().from(accounts).where(eq(accounts.id, 'Acme Corporation'));
    expect(acme).toMatchObject({
      ownerId: 'daniell.hammack@crm.example.com',
      revenueWithUs: 101_744,
      potential: 11_000_400,
      region: 'East',
      status: 'active',
    });
    const [dambase] = await t.db.select({ ownerId: accounts.ownerId }).from(accounts).where(eq(accounts.id, 'dambase'));
    expect(dambase!.ownerId).toBe('u-anna'); // 16 deals each for Anna Snelling and Darcel Schlecht
    const [anna] = await t.db.select().from(users).where(eq(users.id, 'u-anna'));
    expect(anna).toMatchObject({ name: 'Anna S.', passwordHash: 'x' });
    const [won] = await t.db.select().from(opportunities).where(eq(opportunities.id, '1C1I7A6R'));
    expect(won).toMatchObject({
      accountId: 'Cancity',
      title: 'GTX Plus Basic',
      status: 'won',
      stage: 'Won',
      closeDate: '2017-03-01',
      estimatedValue: 1054,
      owner: 'moses.frase@crm.example.com',
      source: 'crm',
    });

    expect(Object.fromEntries(await teamNames(t.db, ['region:East', 'manager:dustin-brinkmann']))).toEqual({
      'manager:dustin-brinkmann': 'Dustin Brinkmann',
    });
    // The organisation names its East office's team: a re-import, which knows no name, keeps it.
    await t.db.update(teams).set({ name: 'Boston office' }).where(eq(teams.id, 'region:East'));

    // An admin rates Acme's winnability; the workflows computed a tier.
    await t.db.update(accounts).set({ winnability: 80 }).where(eq(accounts.id, 'Acme Corporation'));
    await updateComputed(t.db, 'Acme Corporation', { tier: 'T3' });
    const again = await importCrm(t.db, FILES, { asOf: '2018-06-30', by: 'cli:crm-sync' });
    expect(again.accounts).toEqual({ inserted: 0, updated: 85 });
    // New accounts have no audit row; the re-import's changes have theirs, naming who and what.
    const [betaChange, ...more] = await listAccountChanges(t.db, 'Betasoloin');
    expect(more).toEqual([]);
    expect(betaChange).toMatchObject({ changedBy: 'cli:crm-sync', changedAt: expect.any(Date) });
    expect(betaChange!.changes).toEqual(
      expect.arrayContaining([
        { field: 'status', before: 'active', after: 'declining' },
        { field: 'revenueWithUs', before: expect.any(Number), after: 29_339 },
      ]),
    );
    expect(again.usersCreated).toBe(0);
    expect(again.importedDefaults['Acme Corporation']).toEqual(['demonstration', 'potential']);
    expect(await counts(t.db)).toEqual({ accounts: 85, opportunities: 7375, users: 41, teams: 9, members: 76 });
    expect(Object.fromEntries(await teamNames(t.db, ['region:East', 'region:West']))).toEqual({ 'region:East': 'Boston office' });
    const [after] = await t.db.select().from(accounts).where(eq(accounts.id, 'Acme Corporation'));
    expect(after).toMatchObject({ winnability: 80, tier: 'T3', status: 'active' });
    const [beta] = await t.db.select().from(accounts).where(eq(accounts.id, 'Betasoloin'));
    expect(beta).toMatchObject({ status: 'declining', revenueWithUs: 29_339 });
  });
});

describe.each(DRIVERS)('imported defaults reach the profile stage on %s', { timeout: 180_000 }, (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await t?.close();
  });

  const PLACEHOLDERS = ['demonstration', 'potential', 'winnability'];
  let run = 0;
  /** The workflow's profile activity, as a worker runs it (each call a new activity). */
  const profileStage = (accountId: string): Promise<ProfileSummary> =>
    new MockActivityEnvironment({ activityId: `profile-${++run}` }).run(createActivities({ db: t.db }).profileStage, {
      accountId,
      cycleYear: 2018,
      asOf: '2018-01-15',
    });
  const stateOf = async (id: string) => (await getAccountWithState(t.db, id))!;

  it('reports the Maven placeholders as missing until real values arrive', async () => {
    const imported = await importCrm(t.db, FILES, { asOf: '2017-12-31' });
    expect(imported.importedDefaults['Acme Corporation']).toEqual(PLACEHOLDERS);
    const acme = await stateOf('Acme Corporation');
    expect(acme.state.importedDefaults).toEqual(PLACEHOLDERS);
    expect(acme.account).toMatchObject({ potential: 11_000_400, demonstration: 50, winnability: 50 });

    // The activity's code path: the values are there, but only as placeholders.
    const summary = await profileStage('Acme Corporation');
    expect(summary.missing).toEqual(expect.arrayContaining(['potential', 'demonstration', 'winnability']));
    expect(summary.ready).toBe(false);
    // The repository and the engine: the stored list is what makes the difference.
    const rules = await getEffectiveRules(t.db, acme.account.industry);
    const withList = profile(acme.account, rules.ruleSet, acme.state.importedDefaults);
    expect(withList.missingGradeInputs).toEqual(['potential', 'demonstration', 'winnability']);
    expect(profile(acme.account, rules.ruleSet).missingGradeInputs).toEqual([]);

    // A CSV that repeats the placeholders (an export edited and imported back) confirms nothing.
    await importAccounts(t.db, parseAccountsCsv('id,name,winnability\nAcme Corporation,Acme Corporation,50\n'), 'csv');
    expect((await stateOf('Acme Corporation')).state.importedDefaults).toEqual(PLACEHOLDERS);

    // Real values from an accounts CSV: no longer missing.
    await importAccounts(
      t.db,
      parseAccountsCsv('id,name,potential,demonstration,winnability\nAcme Corporation,Acme Corporation,25000000,70,80\n'),
      'csv',
    );
    expect((await stateOf('Acme Corporation')).state.importedDefaults).toEqual([]);
    const after = await profileStage('Acme Corporation');
    for (const field of ['potential', 'demonstration', 'winnability']) expect(after.missing).not.toContain(field);

    // Any other write that changes a value counts too (the database sees to it), one field at a time.
    await t.db.update(accounts).set({ demonstration: 65 }).where(eq(accounts.id, 'Betasoloin'));
    expect((await stateOf('Betasoloin')).state.importedDefaults).toEqual(['potential', 'winnability']);
    const beta = await profileStage('Betasoloin');
    expect(beta.missing).not.toContain('demonstration');
    expect(beta.missing).toEqual(expect.arrayContaining(['potential', 'winnability']));

    // A CRM re-import neither overwrites the real values nor flags them again.
    const again = await importCrm(t.db, FILES, { asOf: '2018-06-30' });
    expect(again.importedDefaults['Acme Corporation']).toBeUndefined();
    expect(again.importedDefaults['Betasoloin']).toEqual(['potential', 'winnability']);
    expect(again.importedDefaults['Cancity']).toEqual(PLACEHOLDERS);
    const reimported = await stateOf('Acme Corporation');
    expect(reimported.account).toMatchObject({ potential: 25_000_000, demonstration: 70, winnability: 80 });
    expect(reimported.state.importedDefaults).toEqual([]);
    expect((await stateOf('Cancity')).state.importedDefaults).toEqual(PLACEHOLDERS);
  });
});
