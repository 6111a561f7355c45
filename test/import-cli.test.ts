/**
 * The import, export and demo commands end to end, through `main()` with the database chosen the
 * way users choose it: DATABASE_URL for PostgreSQL, else PGlite in a data directory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../db/client.js';
import { parseCsv } from '../db/import/csv.js';
import { accountChanges, accounts, contacts } from '../db/schema.js';
import { runEsp } from './helpers/cli.js';
import { createPostgresDatabase, DRIVERS } from './helpers/databases.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'import');
const MAVEN = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'maven-crm');

// Starting and telling workflows after an import is tested against a dev server (import-workflows.test.ts).
const esp = (...argv: string[]) => runEsp(...argv, ...(argv[0] === 'import' ? ['--no-workflows'] : []));

// Every command opens the database afresh (and PGlite on disk is slow to open): generous timeouts.
describe.each(DRIVERS)('esp import / export / demo on %s', { timeout: 240_000 }, (driver) => {
  const saved = { url: process.env['DATABASE_URL'], dir: process.env['PGLITE_DATA_DIR'] };
  let scratch: string;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'esp-cli-'));
    if (driver === 'postgres') {
      const created = await createPostgresDatabase();
      drop = created.drop;
      process.env['DATABASE_URL'] = created.url;
    } else {
      delete process.env['DATABASE_URL'];
      process.env['PGLITE_DATA_DIR'] = join(scratch, 'pglite');
    }
  });
  afterAll(async () => {
    if (saved.url === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = saved.url;
    if (saved.dir === undefined) delete process.env['PGLITE_DATA_DIR'];
    else process.env['PGLITE_DATA_DIR'] = saved.dir;
    await drop?.();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function rowCounts() {
    const database = await openDatabase();
    try {
      const n = async (t: typeof accounts | typeof contacts) => (await database.db.select({ n: count() }).from(t))[0]!.n;
      return { accounts: await n(accounts), contacts: await n(contacts) };
    } finally {
      await database.close();
    }
  }

  it('imports accounts and contacts, and rejects a bad file with exit code 2 and nothing written', async () => {
    const a = await esp('import', 'accounts', join(FIXTURES, 'accounts.csv'));
    expect(a).toMatchObject({ code: 0, stderr: '' });
    expect(a.stdout).toContain('4 accounts imported (4 new, 0 updated)');
    expect(a.stdout).toContain('graded by the fallback rule set "*" (no rule set of their own): logistics (1)');
    vi.stubEnv('ESP_USER', 'ops-team');
    const c = await esp('import', 'contacts', join(FIXTURES, 'contacts.csv'));
    vi.unstubAllEnvs();
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('4 contacts of 2 accounts imported (4 new, 0 updated)');
    // Each account the import changed has its audit row, naming the CLI user, like a studio edit.
    const audit = await openDatabase();
    try {
      const rows = await audit.db.select().from(accountChanges);
      expect(rows.map((r) => [r.changedBy, r.changes.some((x) => x.field.startsWith('contacts.') && x.before === null)])).toEqual(
        [
          ['cli:ops-team', true],
          ['cli:ops-team', true],
        ],
      );
    } finally {
      await audit.close();
    }

    const bad = join(scratch, 'bad.csv');
    writeFileSync(bad, 'id,name,employees,status\nX1,New,12,active\nX2,Other,lots,gold\nX1,Again,1,active\n');
    const before = await rowCounts();
    const r = await esp('import', 'accounts', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `${bad} line 3, column employees: "lots" is not a whole number\n` +
        `${bad} line 3, column status: must be one of prospect, active, declining, lost (got "gold")\n` +
        `${bad} line 4, column id: duplicate id "X1" (first on line 2)\n` +
        '3 problems: nothing was imported\n',
    );
    expect(await rowCounts()).toEqual(before);

    // The same problems in Chinese, by --lang or by LANG; line and column stay as they are.
    const zh =
      `${bad} 第 3 行，列 employees："lots" 不是整数\n` +
      `${bad} 第 3 行，列 status：必须是以下之一：prospect, active, declining, lost（实际为 "gold"）\n` +
      `${bad} 第 4 行，列 id：id "X1" 重复（首次出现在第 2 行）\n` +
      '3 个问题：未导入任何内容\n';
    expect(await esp('import', 'accounts', bad, '--lang', 'zh-CN')).toMatchObject({ code: 2, stderr: zh });
    const saved = { LANG: process.env['LANG'], LC_ALL: process.env['LC_ALL'], LC_MESSAGES: process.env['LC_MESSAGES'] };
    try {
      delete process.env['LC_ALL'];
      delete process.env['LC_MESSAGES'];
      process.env['LANG'] = 'zh_CN.UTF-8';
      expect(await esp('import', 'accounts', bad)).toMatchObject({ code: 2, stderr: zh });
      expect((await esp('import', 'accounts', bad, '--lang=en')).stderr).toContain('3 problems: nothing was imported');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(await rowCounts()).toEqual(before);

    const json = await esp('import', 'accounts', join(FIXTURES, 'accounts.json'));
    expect(json.stdout).toContain('2 accounts imported (1 new, 1 updated)');
    expect(await rowCounts()).toEqual({ accounts: 5, contacts: 3 });
  });

  it('imports the Maven CRM sample and prints the summary', async () => {
    const r = await esp(
      'import',
      'crm',
      '--accounts',
      join(MAVEN, 'accounts.csv'),
      '--opportunities',
      join(MAVEN, 'sales_pipeline.csv'),
      '--teams',
      join(MAVEN, 'sales_teams.csv'),
      '--as-of',
      '2017-12-31',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'accounts: 85 (active 85)',
        'revenueWithUs: 10,005,534 in total over the window',
        'opportunities: 7375 stored (won 4238, lost 2473, open 664); skipped 1425 without an account, 0 of accounts not in the accounts file',
        'written: accounts 85 new, 0 updated; 7375 opportunities; 41 users created; 9 teams',
      ]),
    );
    const usage = await esp('import', 'crm', '--accounts', 'a.csv');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--opportunities is required');
  });

  it('refuses a CRM deal with an impossible date, naming file, line and column, in the user’s language', async () => {
    const files = {
      accounts: join(scratch, 'crm-accounts.csv'),
      opportunities: join(scratch, 'crm-pipeline.csv'),
      teams: join(scratch, 'crm-teams.csv'),
    };
    writeFileSync(files.accounts, 'account,sector,revenue,employees,subsidiary_of\nDate Co,retail,10,100,\n');
    writeFileSync(
      files.opportunities,
      'opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n' +
        'D1,Ann Date,GTX,Date Co,Won,2026-02-30,2026-03-02,100\n',
    );
    writeFileSync(files.teams, 'sales_agent,manager,regional_office\nAnn Date,Boss Date,East\n');
    const args = ['import', 'crm', '--accounts', files.accounts, '--opportunities', files.opportunities, '--teams', files.teams];
    const before = await rowCounts();
    expect(await esp(...args, '--as-of', '2026-12-31')).toMatchObject({
      code: 2,
      stderr: `${files.opportunities} line 2, column engage_date: "2026-02-30" is not a date (YYYY-MM-DD)\n1 problem: nothing was imported\n`,
    });
    expect(await esp(...args, '--as-of', '2026-12-31', '--lang', 'zh-CN')).toMatchObject({
      code: 2,
      stderr: `${files.opportunities} 第 2 行，列 engage_date："2026-02-30" 不是日期（YYYY-MM-DD）\n1 个问题：未导入任何内容\n`,
    });
    // The same check on --as-of itself.
    const asOf = await esp(...args, '--as-of', '2026-02-30');
    expect(asOf.code).toBe(2);
    expect(asOf.stderr).toContain('column --as-of: "2026-02-30" is not a date (YYYY-MM-DD)');
    expect(await rowCounts()).toEqual(before);
  });

  it('exports accounts as CSV to a file and as JSON to stdout', async () => {
    const file = join(scratch, 'out.csv');
    const r = await esp('export', 'accounts', '--format', 'csv', '--out', file);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${file}: 90 accounts exported\n`);
    const rows = parseCsv(readFileSync(file, 'utf8')).rows;
    expect(rows[0]!.fields.slice(0, 3)).toEqual(['id', 'name', 'industry']);
    expect(rows[0]!.fields).toEqual(expect.arrayContaining(['tier', 'class', 'strategy', 'stage', 'score']));
    expect(rows).toHaveLength(91);
    // The export can be imported back as it is: computed columns are skipped.
    expect((await esp('import', 'accounts', file)).stdout).toContain('90 accounts imported (0 new, 90 updated)');

    const json = await esp('export', 'accounts', '--format', 'json', '--industry', 'healthcare');
    const parsed = JSON.parse(json.stdout) as { id: string; industry: string; tier: string | null }[];
    expect(parsed).toHaveLength(12);
    expect(parsed.every((a) => a.industry === 'healthcare' && 'tier' in a)).toBe(true);
    expect((await esp('export', 'accounts', '--format', 'xml')).code).toBe(2);
  });

  it('seeds the demo', async () => {
    const r = await esp('demo', 'seed', '--accounts', '20', '--seed', '3', '--today', '2025-01-01');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^demo seed 3 \(today 2025-01-01\): 20 accounts, \d+ contacts/);
    expect(r.stdout).toContain('admin@example.com');
    expect((await rowCounts()).accounts).toBe(110);
    expect((await esp('demo', 'seed', '--accounts', 'many')).code).toBe(2);
  });
});
