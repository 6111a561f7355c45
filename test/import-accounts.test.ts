import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountReferenceIssues, accountSchema } from '../engine/model.js';
import type { Db } from '../db/client.js';
import {
  importAccounts,
  importAccountsFile,
  parseAccountsCsv,
  parseAccountsJson,
  parseCompetitorsCell,
  type ParsedAccounts,
} from '../db/import/accounts.js';
import { importContacts, parseContactsCsv, parseContactsJson } from '../db/import/contacts.js';
import { formatProblems, ImportError, Problems, renderMessage, type ImportProblem } from '../db/import/problems.js';
import { getAccount } from '../db/repositories/accounts.js';
import { accounts, competitors, contacts, influenceLinks } from '../db/schema.js';
import { csvLine } from '../db/import/csv.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from './helpers/databases.js';
import { Rng } from '../db/demo/prng.js';
import { worthBulkLoading } from '../db/import/bulk-load.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'import');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const HEADER = 'id,name,industry,region,status,employees,revenueWithUs,potential,demonstration,winnability';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');

/** The problems of a parse, as `line:column: message` fragments easy to assert on. */
function problemsOf(problems: { list: ImportProblem[] }) {
  return problems.list.map((p) => ({ line: p.line, column: p.column, message: p.message }));
}

describe('accounts CSV', () => {
  it('reads the documented columns and encodings', () => {
    const { records, problems } = parseAccountsCsv(fixture('accounts.csv'), { file: 'accounts.csv' });
    expect(problemsOf(problems)).toEqual([]);
    expect(records.map((r) => r.account.id)).toEqual(['ACME-001', 'GLOBEX-7', 'INITECH', 'HOOLI']);
    const [acme, globex, initech, hooli] = records.map((r) => r.account);
    expect(acme).toMatchObject({
      name: 'Acme Corporation, Inc.',
      industry: 'finance', // lower-cased
      status: 'active', // case-insensitive
      employees: 2822,
      companyRevenue: 1_100_040_000,
      previousCloseness: 55,
      competitors: [
        { id: 'oracle', name: 'Oracle', share: 0.3 },
        { id: 'sap', name: 'SAP', share: 0.1 },
      ],
    });
    expect(globex).toMatchObject({ parentId: 'ACME-001', competitors: [], competitorsNoneKnown: true });
    expect(globex!.previousCloseness).toBeUndefined();
    expect(initech).toMatchObject({ industry: 'logistics', competitors: [{ id: 'umbrella', name: 'umbrella', share: 0 }] });
    expect([initech!.ownerId, initech!.companyRevenue]).toEqual([undefined, undefined]);
    expect(hooli).toMatchObject({
      name: 'Hooli "Cloud" Ltd',
      competitors: [
        {
          id: 'acmesoft',
          name: 'AcmeSoft',
          share: 0.5,
          theirOffer: 'Cheap entry edition',
          ourEdge: 'Scales without re-platforming',
        },
      ],
    });
    expect([...records[0]!.fields]).toContain('potential');
    expect(records[0]!.lists.has('competitors')).toBe(true);
  });

  it('parses the competitors cell', () => {
    expect(parseCompetitorsCell('a:Alpha:25%;b:Beta: Gamma:0.5\nc')).toEqual({
      ok: true,
      value: [
        { id: 'a', name: 'Alpha', share: 0.25 },
        { id: 'b', name: 'Beta: Gamma', share: 0.5 },
        { id: 'c', name: 'c' },
      ],
    });
    const lots = parseCompetitorsCell('a:Alpha:lots');
    expect(lots).toEqual({
      ok: false,
      reason: {
        code: 'cell.competitorShare',
        params: { id: 'a', reason: { code: 'cell.notNumber', params: { value: 'lots' } } },
      },
    });
    expect(!lots.ok && renderMessage(lots.reason)).toContain('competitor "a": share "lots" is not a number');
    expect(parseCompetitorsCell(':Alpha:0.2').ok).toBe(false);
  });

  it('reports wrong types and out-of-range values with line and column', () => {
    const { records, problems } = parseAccountsCsv(
      csv(
        'A1,Alpha,finance,East,active,many,100,200,50,50',
        'A2,Beta,finance,East,gold,10,100,200,150,50',
        'A3,,finance,East,active,10,-5,200,50,50',
      ),
      { file: 'a.csv' },
    );
    expect(records).toEqual([]);
    expect(problemsOf(problems)).toEqual([
      { line: 2, column: 'employees', message: '"many" is not a whole number' },
      { line: 3, column: 'status', message: 'must be one of prospect, active, declining, lost (got "gold")' },
      { line: 3, column: 'demonstration', message: 'must be at most 100 (got 150)' },
      { line: 4, column: 'name', message: 'required' },
      { line: 4, column: 'revenueWithUs', message: 'must be at least 0 (got -5)' },
    ]);
    expect(formatProblems(problems.list)).toContain('a.csv line 2, column employees: "many" is not a whole number');
  });

  it('reports missing, unknown and duplicate columns', () => {
    const { problems } = parseAccountsCsv('id,nmae,industry,industry\nA1,Alpha,x,y\n');
    expect(problemsOf(problems)).toEqual([
      { line: 1, column: 'nmae', message: expect.stringContaining('unknown column "nmae"') },
      { line: 1, column: 'industry', message: 'duplicate column "industry"' },
      { line: 1, column: 'name', message: 'required column "name" is missing' },
    ]);
  });

  it('accepts and skips the computed columns of an export', () => {
    const { records, problems } = parseAccountsCsv('id,name,tier,score,stage\nA1,Alpha,T1,88,plan\n');
    expect(problemsOf(problems)).toEqual([]);
    expect(records[0]!.account).toMatchObject({ id: 'A1', name: 'Alpha' });
    expect([...records[0]!.fields]).toEqual(['name']);
  });

  it('reports duplicate ids at the second occurrence', () => {
    const { problems } = parseAccountsCsv(
      csv('A1,Alpha,finance,East,active,1,1,1,1,1', 'A2,Beta,,,,,,,,', 'A1,Again,finance,East,active,1,1,1,1,1'),
    );
    expect(problemsOf(problems)).toEqual([{ line: 4, column: 'id', message: 'duplicate id "A1" (first on line 2)' }]);
  });

  it('reports broken quotes and huge fields from the parser', () => {
    const broken = parseAccountsCsv(csv('A1,"Alpha,finance,East,active,1,1,1,1,1'));
    expect(problemsOf(broken.problems)).toEqual([
      { line: 2, column: '4', message: expect.stringContaining('unterminated quoted field') },
    ]);
    const huge = parseAccountsCsv(csv(`A1,${'x'.repeat(70_000)},finance,East,active,1,1,1,1,1`));
    expect(problemsOf(huge.problems)).toEqual([
      { line: 2, column: '4', message: 'field too large (more than 65536 characters)' },
    ]);
  });

  it('reports a row wider than the header (an unquoted comma)', () => {
    const { problems } = parseAccountsCsv('id,name\nA1,Acme, Inc\n');
    expect(problemsOf(problems)).toEqual([
      { line: 2, column: '#3', message: expect.stringContaining('3 cells but the header has 2') },
    ]);
  });

  it('does not treat an unknown industry as a problem', () => {
    const { records, problems } = parseAccountsCsv(csv('A1,Alpha,Underwater Basket Weaving,East,active,1,1,1,1,1'));
    expect(problems.ok).toBe(true);
    expect(records[0]!.account.industry).toBe('underwater basket weaving');
  });

  it('caps the reported problems and counts the rest', () => {
    const rows = Array.from({ length: 250 }, (_, i) => `A${i},Alpha,finance,East,active,x,1,1,1,1`);
    const { problems } = parseAccountsCsv(csv(...rows));
    expect(problems.list).toHaveLength(100);
    expect(problems.count).toBe(250);
    expect(formatProblems(problems.list, problems.count)).toMatch(/… and 150 more$/);
  });
});

describe('accounts CSV fast path', () => {
  // Cells an admin might type, good, bad and odd: every reader's edge, every schema bound.
  const CELLS: Record<string, readonly string[]> = {
    id: ['A', ' B ', '', 'C"q', 'A'],
    name: ['Acme', '', '  ', 'Name, Inc', 'Hooli "Cloud"'],
    industry: ['finance', 'Finance', '', 'Underwater Basket', '  retail '],
    region: ['East', '', ' North '],
    status: ['active', 'Active', 'gold', '', ' LOST '],
    ownerId: ['m@example.com', ''],
    parentId: ['', 'A1', 'SELF'],
    employees: ['10', '-5', '1.5', 'many', '99999999999', '', '+7', '-0', '007', '2147483647'],
    companyRevenue: ['100', '-1', '1e6', '1,000', '', '.5', '5.', '9'.repeat(400), '+3'],
    revenueWithUs: ['0', '2500000', '-0.0', 'x', ''],
    potential: ['30000000', '', '-2', '0.000001'],
    demonstration: ['50', '100', '100.5', '-0', '', 'x', '0'],
    winnability: ['75', '101', '', '0.5'],
    competitors: [
      '',
      'oracle:Oracle:30%',
      'a:Alpha:0.5; b',
      'a; a',
      ':x:0.2',
      'a:A:150%',
      'a:A:lots',
      '[{"id":"x","name":"X","share":0.2,"theirOffer":"t"}]',
      '[{"id":"x"}]',
      '[1]',
      '[bad json',
      'a:A:',
      'a::0.3',
      'a:b:c:0.1',
      'a:A:1.5',
      'a:Alpha\nb:Beta:10%',
    ],
    competitorsNoneKnown: ['yes', 'no', '', 'maybe', 'X'],
    previousCloseness: ['55', '', '100', '100.01', 'n/a'],
    solution: ['Core banking migration', '', '  ', 'Cloud'],
    businessValue: ['Batch window cut to 1 h', ''],
    tier: ['T1', ''],
  };
  const OPTIONAL = Object.keys(CELLS).filter((c) => c !== 'id' && c !== 'name');

  function file(seed: number, rows: number): string {
    const rng = new Rng(seed);
    const columns = ['id', 'name', ...OPTIONAL.filter(() => rng.chance(0.7))];
    // Header order and case do not matter to the reader; vary them.
    columns.sort(() => rng.next() - 0.5);
    const lines = [csvLine(columns.map((c) => (rng.chance(0.2) ? c.toUpperCase() : c)))];
    for (let i = 0; i < rows; i++) {
      const clean = rng.chance(0.5);
      const cells = columns.map((c) => {
        if (c === 'id') return rng.chance(0.9) ? `A${i}` : rng.pick(CELLS['id']!);
        if (c === 'parentId') return rng.pick(['', 'A1', `A${i}`]);
        // Half the rows are clean (the first cell of each list), the others anything.
        return clean ? CELLS[c]![0]! : rng.pick(CELLS[c]!);
      });
      lines.push(csvLine(cells));
    }
    return lines.join('');
  }

  it('reads every row as zod does: the same records, key for key, and the same problems', () => {
    let records = 0;
    let problems = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const text = file(seed, 200);
      const fast = parseAccountsCsv(text, { problemLimit: 100_000 });
      const zod = parseAccountsCsv(text, { problemLimit: 100_000, fastPath: false });
      expect(problemsOf(fast.problems), `seed ${seed}`).toEqual(problemsOf(zod.problems));
      expect(fast.problems.count).toBe(zod.problems.count);
      expect(fast.records, `seed ${seed}`).toStrictEqual(zod.records);
      // Key order too: zod returns the schema's order.
      expect(JSON.stringify(fast.records.map((r) => r.account))).toBe(JSON.stringify(zod.records.map((r) => r.account)));
      records += zod.records.length;
      problems += zod.problems.count;
    }
    // Both kinds of row are exercised.
    expect(records).toBeGreaterThan(1000);
    expect(problems).toBeGreaterThan(1000);
  });
});

describe('accounts JSON', () => {
  it('reads the esp evaluate format and validates it like the engine', () => {
    const { records, problems } = parseAccountsJson(fixture('accounts.json'));
    expect(problemsOf(problems)).toEqual([]);
    for (const r of records) expect(accountReferenceIssues(accountSchema.parse(r.account))).toEqual([]);
    expect(records[0]!.account.contacts).toHaveLength(2);
    expect(records[1]!.account.industry).toBe('aerospace');
  });

  it('reports wrong types, unknown fields, bad references and duplicates with their lines', () => {
    const text = `[
  { "id": "A1", "name": "Alpha", "employees": "many" },
  { "id": "A2", "name": "Beta", "revenuewithus": 5,
    "contacts": [{ "id": "c1", "name": "X", "influence": 9, "stance": 0 },
                 { "id": "c2", "name": "Y", "influence": 3, "stance": 0, "reportsTo": "c9" }] },
  { "id": "A1", "name": "Again" }
]`;
    const { records, problems } = parseAccountsJson(text, { file: 'a.json' });
    expect(records).toEqual([]);
    expect(problemsOf(problems)).toEqual([
      { line: 2, column: '$[0].employees', message: 'must be a number (got "many")' },
      { line: 3, column: '$[1].revenuewithus', message: 'unknown field "revenuewithus"' },
      { line: 4, column: '$[1].contacts[0].influence', message: 'must be at most 5 (got 9)' },
      { line: 6, column: '$[2].id', message: 'duplicate id "A1" (first at $[0])' },
    ]);
    // With the influence fixed, the reporting line to an unknown contact is next.
    const second = parseAccountsJson(text.replace('"influence": 9', '"influence": 4'));
    expect(problemsOf(second.problems)).toContainEqual({
      line: 5,
      column: '$[1].contacts[1].reportsTo',
      message: 'unknown contact "c9"',
    });
  });

  it('reports a syntax error with line and column', () => {
    const { problems } = parseAccountsJson('[\n  { "id": "A1", "name": "Alpha" },\n  { "id": "A2" "name": "Beta" }\n]');
    expect(problemsOf(problems)).toEqual([
      { line: 3, column: '16', message: expect.stringContaining('invalid JSON: expected "," or "}"') },
    ]);
  });

  it('rejects a document that is not a list of accounts', () => {
    expect(problemsOf(parseAccountsJson('{"id": "A1"}').problems)).toEqual([
      { line: 1, column: '$', message: expect.stringContaining('expected a JSON array') },
    ]);
  });
});

describe('contacts CSV and JSON', () => {
  it('reads stances as words or numbers, stance:<competitor> columns and influences', () => {
    const { records, problems } = parseContactsCsv(fixture('contacts.csv'));
    expect(problemsOf(problems)).toEqual([]);
    expect(records).toHaveLength(4);
    expect(records[0]!.contact).toMatchObject({
      id: 'c1',
      stance: 2,
      influence: 5,
      competitorStances: { oracle: -1 },
      interactions90d: 6,
    });
    expect(records[1]!.contact).toMatchObject({
      decisionRole: 'evaluator',
      stance: 1,
      reportsTo: 'c1',
      competitorStances: { sap: 1 },
    });
    expect(records[1]!.influences).toEqual([{ from: 'c2', to: 'c1', weight: 2 }]);
    expect(records[2]!.influences).toEqual([
      { from: 'c3', to: 'c1', weight: 1 },
      { from: 'c3', to: 'c2', weight: 3 },
    ]);
    // An empty stance cell clears that one stance; the column's presence is what counts.
    expect([...records[0]!.competitorStances]).toEqual([
      ['oracle', -1],
      ['sap', null],
    ]);
  });

  it('reports every bad cell by column, including stance columns', () => {
    const { problems } = parseContactsCsv(
      'accountId,id,name,influence,stance,stance:oracle,influences\nA1,c1,X,6,fan,3,c1\nA1,c1,Y,3,0,,\n,c2,Z,3,0,,\n',
    );
    expect(problemsOf(problems)).toEqual([
      { line: 2, column: 'stance', message: expect.stringContaining('"fan" is not a stance') },
      { line: 2, column: 'influence', message: 'must be at most 5 (got 6)' },
      { line: 2, column: 'stance:oracle', message: 'must be at most 2 (got 3)' },
      { line: 2, column: 'influences', message: 'a contact cannot influence itself' },
      { line: 3, column: 'id', message: 'duplicate contact "c1" of account "A1" (first on line 2)' },
      { line: 4, column: 'accountId', message: 'required' },
    ]);
  });

  it('reads contacts and influence links from the evaluate format', () => {
    const { records, problems } = parseContactsJson(fixture('accounts.json'));
    expect(problemsOf(problems)).toEqual([]);
    expect(records.map((r) => `${r.accountId}/${r.contact.id}`)).toEqual(['ACME-001/c1', 'ACME-001/c2']);
    expect(records[1]!.influences).toEqual([{ from: 'c2', to: 'c1', weight: 2 }]);
    expect(records[0]!.influences).toEqual([]);
  });
});

// ---- against the database -------------------------------------------------------------------------

async function counts(db: Db) {
  const n = async (table: typeof accounts | typeof contacts | typeof competitors | typeof influenceLinks) =>
    (await db.select({ n: count() }).from(table))[0]!.n;
  return {
    accounts: await n(accounts),
    contacts: await n(contacts),
    competitors: await n(competitors),
    links: await n(influenceLinks),
  };
}

/** Runs an import expected to fail; returns its problems and checks that nothing changed. */
async function expectRejected(db: Db, run: () => Promise<unknown>): Promise<ImportProblem[]> {
  const before = await counts(db);
  const snapshot = await db.select().from(accounts).orderBy(accounts.id);
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ImportError);
  expect(await counts(db)).toEqual(before);
  expect(await db.select().from(accounts).orderBy(accounts.id)).toEqual(snapshot);
  return (error as ImportError).problems;
}

describe.each(DRIVERS)('importing on %s', { timeout: 60_000 }, (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.delete(accounts);
  });

  const importCsv = (text: string) => importAccounts(t.db, parseAccountsCsv(text), 'csv');
  const importJson = (text: string) => importAccounts(t.db, parseAccountsJson(text), 'json');
  const importContactsCsv = (text: string) => importContacts(t.db, parseContactsCsv(text), 'csv');

  it('imports the accounts CSV, reports fallback industries, and upserts on re-import', async () => {
    const first = await importCsv(fixture('accounts.csv'));
    expect(first).toMatchObject({ accounts: 4, inserted: 4, updated: 0, competitorLists: 4 });
    expect(first.fallbackIndustries).toEqual([{ industry: 'logistics', accounts: 1 }]);
    expect(await counts(t.db)).toEqual({ accounts: 4, contacts: 0, competitors: 4, links: 0 });
    const acme = await getAccount(t.db, 'ACME-001');
    expect(acme).toMatchObject({
      name: 'Acme Corporation, Inc.',
      industry: 'finance',
      potential: 30_000_000,
      competitors: [
        { id: 'oracle', share: 0.3 },
        { id: 'sap', share: 0.1 },
      ],
    });

    const again = await importCsv(fixture('accounts.csv'));
    expect(again).toMatchObject({ inserted: 0, updated: 4 });
    expect(await counts(t.db)).toEqual({ accounts: 4, contacts: 0, competitors: 4, links: 0 });
  });

  it('updates only the columns a CSV carries', async () => {
    await importCsv(fixture('accounts.csv'));
    await importCsv('id,name,winnability\nACME-001,Acme Corp,90\nNEW-1,Brand New,\n');
    const acme = await getAccount(t.db, 'ACME-001');
    expect(acme).toMatchObject({ name: 'Acme Corp', winnability: 90, potential: 30_000_000, industry: 'finance' });
    expect(acme!.competitors.map((c) => c.id)).toEqual(['oracle', 'sap']);
    expect(await getAccount(t.db, 'NEW-1')).toMatchObject({ name: 'Brand New', winnability: null, industry: null });
  });

  it('imports contacts, merging with what is stored, and clears stances toward removed competitors', async () => {
    await importCsv(fixture('accounts.csv'));
    const r = await importContactsCsv(fixture('contacts.csv'));
    expect(r).toMatchObject({ contacts: 4, inserted: 4, updated: 0, accounts: 2, influenceLists: 4, influenceLinks: 3 });
    let acme = (await getAccount(t.db, 'ACME-001'))!;
    expect(acme.contacts.map((c) => [c.id, c.stance, c.competitorStances])).toEqual([
      ['c1', 2, { oracle: -1 }],
      ['c2', 1, { sap: 1 }],
      ['c3', -1, { oracle: 2, sap: 0 }],
    ]);
    expect(accountReferenceIssues(acme)).toEqual([]);

    // A partial update: only the stance toward us and the stance toward oracle of c2.
    await importContactsCsv('accountId,id,name,influence,stance,stance:oracle\nACME-001,c2,Anna Smith,4,2,1\n');
    acme = (await getAccount(t.db, 'ACME-001'))!;
    expect(acme.contacts.find((c) => c.id === 'c2')).toMatchObject({
      stance: 2,
      title: 'IT Director',
      reportsTo: 'c1',
      competitorStances: { sap: 1, oracle: 1 },
    });
    expect(acme.influenceLinks).toHaveLength(3);

    // The competitor list shrinks to oracle: stances toward sap go with it.
    const shrink = await importCsv('id,name,competitors\nACME-001,Acme Corp,oracle:Oracle:0.4\n');
    expect(shrink.stancesCleared).toBe(2);
    acme = (await getAccount(t.db, 'ACME-001'))!;
    expect(acme.contacts.map((c) => c.competitorStances)).toEqual([{ oracle: -1 }, { oracle: 1 }, { oracle: 2 }]);
    expect(accountReferenceIssues(acme)).toEqual([]);
  });

  it('replaces whole accounts from JSON', async () => {
    await importCsv(fixture('accounts.csv'));
    await importContactsCsv(fixture('contacts.csv'));
    const r = await importJson(fixture('accounts.json'));
    expect(r).toMatchObject({ format: 'json', accounts: 2, inserted: 1, updated: 1 });
    expect(r.fallbackIndustries).toEqual([{ industry: 'aerospace', accounts: 1 }]);
    const acme = (await getAccount(t.db, 'ACME-001'))!;
    expect(acme.contacts.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(acme.competitors.map((c) => c.id)).toEqual(['oracle']);
    expect(acme.influenceLinks).toEqual([{ from: 'c2', to: 'c1', weight: 2 }]);
    expect(await getAccount(t.db, 'NEWCO')).toMatchObject({ industry: 'aerospace', competitorsNoneKnown: true, contacts: [] });
  });

  describe('leaves the database unchanged when the input is bad', () => {
    beforeEach(async () => {
      await importCsv(fixture('accounts.csv'));
      await importContactsCsv(fixture('contacts.csv'));
    });

    it('wrong types in a CSV', async () => {
      const problems = await expectRejected(t.db, () =>
        importCsv(csv('ACME-001,Acme,finance,East,active,lots,1,1,1,1', 'NEW,New,finance,East,active,1,1,1,1,1')),
      );
      expect(problems).toEqual([expect.objectContaining({ line: 2, column: 'employees' })]);
    });

    it('a missing required column', async () => {
      await expectRejected(t.db, () => importCsv('id,industry\nNEW,finance\n'));
    });

    it('duplicate ids', async () => {
      await expectRejected(t.db, () =>
        importCsv(csv('NEW,New,finance,East,active,1,1,1,1,1', 'NEW,New,finance,East,active,1,1,1,1,1')),
      );
    });

    it('a broken quote', async () => {
      await expectRejected(t.db, () => importCsv(csv('NEW,"New,finance,East,active,1,1,1,1,1')));
    });

    it('a huge field', async () => {
      await expectRejected(t.db, () =>
        importCsv(csv(`NEW,New,finance,East,active,1,1,1,1,1`, `NEW2,${'y'.repeat(100_000)},finance,,,,,,,`)),
      );
    });

    it('wrong types in JSON', async () => {
      const problems = await expectRejected(t.db, () =>
        importJson('[{"id": "NEW", "name": "New"}, {"id": "X", "name": "X", "potential": "big"}]'),
      );
      expect(problems).toEqual([
        {
          file: undefined,
          line: 1,
          column: '$[1].potential',
          code: 'value.wrongType',
          params: { type: { code: 'type.number', params: {} }, got: '"big"' },
          message: 'must be a number (got "big")',
        },
      ]);
    });

    it('invalid JSON', async () => {
      await expectRejected(t.db, () => importJson('[{"id": "NEW", "name": "New"},]'));
    });

    it('an employee count beyond what the database stores', async () => {
      await expectRejected(t.db, () => importJson('[{"id": "NEW", "name": "New", "employees": 99999999999}]'));
    });

    it('contacts of an unknown account', async () => {
      const problems = await expectRejected(t.db, () =>
        importContactsCsv('accountId,id,name,influence,stance\nACME-001,c9,New,3,0\nNOPE,c1,X,3,0\n'),
      );
      expect(problems).toEqual([
        {
          file: undefined,
          line: 3,
          column: 'accountId',
          code: 'contacts.unknownAccount',
          params: { id: 'NOPE' },
          message: 'unknown account "NOPE" (import the accounts first)',
        },
      ]);
    });

    it('a stance toward a competitor the account does not have', async () => {
      const problems = await expectRejected(t.db, () =>
        importContactsCsv('accountId,id,name,influence,stance,stance:oracle\nGLOBEX-7,g2,New,3,0,1\n'),
      );
      expect(problems).toEqual([
        expect.objectContaining({ line: 2, column: 'stance:oracle', message: 'unknown competitor "oracle"' }),
      ]);
    });

    it('a reporting line to nobody, and one that loops', async () => {
      const unknown = await expectRejected(t.db, () =>
        importContactsCsv('accountId,id,name,influence,stance,reportsTo\nACME-001,c9,New,3,0,c42\n'),
      );
      expect(unknown).toEqual([expect.objectContaining({ line: 2, column: 'reportsTo', message: 'unknown contact "c42"' })]);
      // c1 (stored, top of the chart) would report to c3, who reports to c2, who reports to c1.
      const loop = await expectRejected(t.db, () =>
        importContactsCsv('accountId,id,name,influence,stance,reportsTo\nACME-001,c1,Li Wei,5,2,c3\n'),
      );
      expect(loop).toEqual([
        expect.objectContaining({ line: 2, column: 'reportsTo', message: expect.stringContaining('the reporting line loops') }),
      ]);
    });

    it('an influence link to an unknown contact', async () => {
      const problems = await expectRejected(t.db, () =>
        importContactsCsv('accountId,id,name,influence,stance,influences\nACME-001,c9,New,3,0,c1;c77:2\n'),
      );
      expect(problems).toEqual([
        expect.objectContaining({ line: 2, column: 'influences', message: 'influence on "c77": unknown contact "c77"' }),
      ]);
    });

    it('contacts JSON with a bad stance', async () => {
      const problems = await expectRejected(t.db, () =>
        importContacts(
          t.db,
          parseContactsJson('[{"id": "ACME-001",\n "contacts": [{"id": "c9", "name": "N", "influence": 3, "stance": 5}]}]'),
          'json',
        ),
      );
      expect(problems).toEqual([
        expect.objectContaining({ line: 2, column: '$[0].contacts[0].stance', message: 'must be at most 2 (got 5)' }),
      ]);
    });
  });

  it('rewrites only what changed on re-import', async () => {
    await importCsv(fixture('accounts.csv'));
    const stamps = async () =>
      Object.fromEntries(
        (await t.db.select({ id: accounts.id, at: accounts.updatedAt }).from(accounts)).map((r) => [r.id, r.at.getTime()]),
      );
    const before = await stamps();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await importCsv(fixture('accounts.csv').replace('ACME-001,"Acme Corporation, Inc."', 'ACME-001,Acme Renamed'));
    expect(again).toMatchObject({ inserted: 0, updated: 4 });
    const after = await stamps();
    expect(after['ACME-001']).toBeGreaterThan(before['ACME-001']!);
    expect({ ...after, 'ACME-001': 0 }).toEqual({ ...before, 'ACME-001': 0 });
    // A competitor whose share changes is rewritten; the list keeps its order.
    await importCsv('id,name,competitors\nACME-001,Acme Renamed,"oracle:Oracle:40%; sap:SAP:0.1"\n');
    expect((await getAccount(t.db, 'ACME-001'))!.competitors).toEqual([
      { id: 'oracle', name: 'Oracle', share: 0.4, theirOffer: null, ourEdge: null, strengths: null },
      { id: 'sap', name: 'SAP', share: 0.1, theirOffer: null, ourEdge: null, strengths: null },
    ]);
  });

  it('loads in bulk with the indexes and foreign keys put back as they were, or rolled back', async () => {
    const tables = sql`('accounts', 'competitors', 'contacts', 'influence_links')`;
    const rows = (r: unknown) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows);
    const catalog = async () => [
      ...rows(
        await t.db.execute(sql`select indexname, indexdef from pg_indexes where tablename in ${tables} order by indexname`),
      ),
      ...rows(
        await t.db.execute(
          sql`select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid::regclass::text in ${tables} order by conname`,
        ),
      ),
    ];
    const before = await catalog();
    expect(before.length).toBeGreaterThan(15);
    // `auto` bulk-loads a large file into a table at most half its size.
    expect(await worthBulkLoading(t.db, 9_999)).toBe(false);
    expect(await worthBulkLoading(t.db, 10_000)).toBe(true);
    await importAccounts(t.db, parseAccountsCsv(fixture('accounts.csv')), 'csv', { bulk: true });
    await importContactsCsv(fixture('contacts.csv'));
    await importAccounts(t.db, parseAccountsJson(fixture('accounts.json')), 'json', { bulk: true });
    expect(await catalog()).toEqual(before);
    expect(await counts(t.db)).toEqual({ accounts: 5, contacts: 3, competitors: 3, links: 1 });

    // A write that fails after the drops (a value the column cannot hold) undoes them as well.
    const bad: ParsedAccounts = {
      records: [
        {
          account: accountSchema.parse({ id: 'BIG', name: 'Big', employees: 1e12 }),
          fields: new Set(['name', 'employees']),
          lists: new Set(),
          line: 2,
        },
      ],
      problems: new Problems(),
      locate: () => [],
    };
    await expect(importAccounts(t.db, bad, 'csv', { bulk: true })).rejects.toThrow();
    expect(await catalog()).toEqual(before);
    expect(await counts(t.db)).toEqual({ accounts: 5, contacts: 3, competitors: 3, links: 1 });
  });

  it('streams a file in chunks, and a problem anywhere undoes the chunks already written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esp-import-'));
    try {
      const header = 'id,name,industry,potential,competitors\n';
      const lines = Array.from({ length: 50 }, (_, i) => `S${i},Stream ${i},finance,${i * 1000},"oracle:Oracle:${i}%; sap"\n`);
      const good = join(dir, 'good.csv');
      writeFileSync(good, header + lines.join(''));
      for (const bulk of [false, true]) {
        await t.db.delete(accounts);
        const r = await importAccountsFile(t.db, good, { chunkRows: 7, bulk });
        expect(r).toMatchObject({ format: 'csv', accounts: 50, inserted: 50, updated: 0, competitorLists: 50 });
        expect(await counts(t.db)).toMatchObject({ accounts: 50, competitors: 100 });
        expect(await getAccount(t.db, 'S49')).toMatchObject({ potential: 49_000, competitors: [{ share: 0.49 }, { id: 'sap' }] });
      }
      const again = await importAccountsFile(t.db, good, { chunkRows: 7 });
      expect(again).toMatchObject({ inserted: 0, updated: 50 });

      // The bad row is the last: by then six chunks were written.
      const bad = join(dir, 'bad.csv');
      writeFileSync(bad, header + lines.join('').replaceAll('Stream', 'Renamed') + 'S50,Broken,finance,lots,\n');
      for (const bulk of [false, true]) {
        const problems = await expectRejected(t.db, () => importAccountsFile(t.db, bad, { chunkRows: 7, bulk }));
        expect(problems).toEqual([
          expect.objectContaining({
            file: bad,
            line: 52,
            column: 'potential',
            message: expect.stringContaining('"lots" is not a number'),
          }),
        ]);
      }
      expect((await getAccount(t.db, 'S3'))!.name).toBe('Stream 3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown industry is imported and falls back to *', async () => {
    const r = await importCsv(csv('SPACE-1,Orbital,space mining,East,active,10,1,1,1,1'));
    expect(r.inserted).toBe(1);
    expect(r.fallbackIndustries).toEqual([{ industry: 'space mining', accounts: 1 }]);
    const [row] = await t.db.select({ industry: accounts.industry }).from(accounts).where(eq(accounts.id, 'SPACE-1'));
    expect(row!.industry).toBe('space mining');
  });
});

describe('docs/import.md', () => {
  it('documents every CSV column', async () => {
    const { ACCOUNT_CSV_COLUMNS } = await import('../db/import/accounts.js');
    const { CONTACT_CSV_COLUMNS } = await import('../db/import/contacts.js');
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'import.md'), 'utf8');
    for (const c of [...ACCOUNT_CSV_COLUMNS, ...CONTACT_CSV_COLUMNS]) expect(doc).toContain(`| \`${c.name}\` |`);
    expect(doc).toContain('| `stance:<competitorId>` |');
  });
});
