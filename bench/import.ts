/**
 * Import and list benchmark (issue 3).
 *
 * 1. `esp import accounts` of a generated CSV of N accounts (default 100,000; each with its
 *    competitor list) into PostgreSQL (a fresh `esp_bench_<random>` database on 127.0.0.1:5432,
 *    dropped afterwards; BENCH_DATABASE_URL / TEST_DATABASE_URL override the server) and into PGlite
 *    (a temporary directory on disk, as `npm start` uses it). Baseline, same run: the same
 *    repository calls with ONE account per call (one statement per row and table), time-boxed and
 *    extrapolated.
 * 2. The studio's filtered, sorted page of 50 accounts (`listAccounts`: the page and the total)
 *    over those accounts, with tier, class, strategy, stage and health filled in (the engine's
 *    decisions; stage and health drawn as the workflows would leave them): p50/p95 over ~200
 *    random filter combinations; baseline: the same queries with index scans disabled. EXPLAIN
 *    shows which indexes the plans use.
 *
 *   npm run bench -- import            # or: node --import tsx bench/import.ts --rows=20000
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { openDatabase, type Database, type Db } from '../db/client.js';
import { generateAccounts } from '../db/demo/generate.js';
import { Rng } from '../db/demo/prng.js';
import { importAccounts, parseAccountsCsv, type AccountField, type ParsedAccounts } from '../db/import/accounts.js';
import { csvLine } from '../db/import/csv.js';
import { migrate } from '../db/migrate.js';
import { listAccounts, type AccountFilter, type AccountSort } from '../db/repositories/accounts.js';
import { replaceCompetitors, upsertAccountProfiles } from '../db/repositories/import-support.js';
import { seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import * as schema from '../db/schema.js';
import { CLASSES, decideAccount, STAGES, TIERS, type Account, type Stage } from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';

const ADMIN_URL = process.env['BENCH_DATABASE_URL'] || process.env['TEST_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

// ---- helpers -----------------------------------------------------------------------------------

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function arg(name: string, fallback: number): number {
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}` && argv[i + 1]) return Number(argv[i + 1]);
    if (a.startsWith(`--${name}=`)) return Number(a.slice(name.length + 3));
  }
  return fallback;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

interface PgDatabase {
  url: string;
  drop(): Promise<void>;
}

async function createPgDatabase(): Promise<PgDatabase> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  const name = `esp_bench_${randomBytes(5).toString('hex')}`;
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end({ timeout: 1 }).catch(() => {});
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}); start it (\`.ci/run\` does) or set BENCH_DATABASE_URL`);
  }
  return {
    url: withDatabaseName(ADMIN_URL, name),
    drop: async () => {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

async function prepared(database: Database): Promise<Database> {
  await migrate(database.db);
  await seedDefaultRuleSets(database.db);
  return database;
}

// ---- the CSV -----------------------------------------------------------------------------------

const CSV_COLUMNS = [
  'id',
  'name',
  'industry',
  'region',
  'status',
  'ownerId',
  'employees',
  'companyRevenue',
  'revenueWithUs',
  'potential',
  'demonstration',
  'winnability',
  'competitors',
  'competitorsNoneKnown',
  'previousCloseness',
] as const;

function csvOf(accounts: readonly Account[]): string {
  const parts: string[] = [csvLine([...CSV_COLUMNS])];
  const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  for (const a of accounts) {
    parts.push(
      csvLine([
        a.id,
        a.name,
        s(a.industry),
        s(a.region),
        s(a.status),
        s(a.ownerId),
        s(a.employees),
        s(a.companyRevenue),
        s(a.revenueWithUs),
        s(a.potential),
        s(a.demonstration),
        s(a.winnability),
        a.competitors.map((c) => `${c.id}:${c.name}:${c.share ?? 0}`).join('; '),
        a.competitorsNoneKnown ? 'yes' : 'no',
        s(a.previousCloseness),
      ]),
    );
  }
  return parts.join('');
}

// ---- import ------------------------------------------------------------------------------------

interface ImportFigures {
  rows: number;
  readParseMs: number;
  writeMs: number;
}

async function timedImport(db: Db, file: string): Promise<{ figures: ImportFigures; parsed: ParsedAccounts }> {
  const t0 = performance.now();
  const text = await readFile(file, 'utf8');
  const parsed = parseAccountsCsv(text, { file });
  if (!parsed.problems.ok) throw new Error(`the generated CSV has problems: ${JSON.stringify(parsed.problems.list.slice(0, 3))}`);
  const t1 = performance.now();
  const result = await importAccounts(db, parsed, 'csv');
  const t2 = performance.now();
  if (result.inserted !== parsed.records.length) throw new Error(`imported ${result.inserted} of ${parsed.records.length} accounts`);
  return { figures: { rows: parsed.records.length, readParseMs: t1 - t0, writeMs: t2 - t1 }, parsed };
}

/**
 * The baseline: the same writes, one account per repository call (one INSERT … ON CONFLICT for the
 * account, one DELETE and one INSERT for its competitors, one SELECT of stances), in one
 * transaction, for at most `maxRows` rows or `maxMs`.
 */
async function rowByRow(db: Db, parsed: ParsedAccounts, maxRows: number, maxMs: number): Promise<{ rows: number; ms: number }> {
  const fields = [...parsed.records[0]!.fields] as AccountField[];
  const withCompetitors = parsed.records[0]!.lists.has('competitors');
  let rows = 0;
  const t0 = performance.now();
  await db.transaction(async (tx) => {
    for (const r of parsed.records) {
      if (rows >= maxRows || performance.now() - t0 > maxMs) break;
      await upsertAccountProfiles(tx, [r.account], { update: fields as never });
      if (withCompetitors) await replaceCompetitors(tx, [{ accountId: r.account.id, competitors: r.account.competitors }]);
      rows++;
    }
  });
  return { rows, ms: performance.now() - t0 };
}

function importLines(label: string, f: ImportFigures, base: { rows: number; ms: number }): { rate: number; writeRate: number; baseRate: number } {
  const rate = (f.rows / (f.readParseMs + f.writeMs)) * 1000;
  const writeRate = (f.rows / f.writeMs) * 1000;
  const baseRate = (base.rows / base.ms) * 1000;
  console.log(
    `  ${label.padEnd(11)} ${fmt(rate).padStart(8)} rows/s end to end (${secs(f.readParseMs + f.writeMs)}: read+parse+validate ${secs(f.readParseMs)}, write ${secs(f.writeMs)} = ${fmt(writeRate)} rows/s)`,
  );
  console.log(
    `  ${''.padEnd(11)} baseline row by row: ${fmt(baseRate)} rows/s written (${fmt(base.rows)} rows in ${secs(base.ms)}, time-boxed; ${fmt(f.rows)} rows would take ~${fmt((f.rows / baseRate) / 60, 1)} min)` +
      `   batched / row-by-row: ${(writeRate / baseRate).toFixed(1)}x`,
  );
  return { rate, writeRate, baseRate };
}

// ---- computed columns (what the workflows write) -------------------------------------------------

const STAGE_WEIGHTS: [Stage, number][] = [
  ['execute', 55],
  ['plan', 12],
  ['monitor', 8],
  ['profile', 6],
  ['coverage', 4],
  ['grade', 3],
  ['classify', 3],
  ['relationship', 3],
  ['review', 6],
];
const HEALTH_WEIGHTS: [string, number][] = [
  ['green', 60],
  ['amber', 28],
  ['red', 12],
];

function weighted<T>(rng: Rng, items: readonly [T, number][]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [v, w] of items) {
    x -= w;
    if (x < 0) return v;
  }
  return items[items.length - 1]![0];
}

interface Computed {
  id: string;
  score: number;
  tier: string;
  class: string;
  strategy: string;
  closeness: number;
  stage: string;
  health: string | null;
  waitingFor: string | null;
}

function computeColumns(accounts: readonly Account[]): Computed[] {
  const book = loadRuleBook();
  const rng = new Rng(99);
  return accounts.map((a) => {
    const d = decideAccount(a, book.forIndustry(a.industry));
    const stage = weighted(rng, STAGE_WEIGHTS.filter(([s]) => (STAGES as readonly string[]).includes(s)));
    const waitingFor = stage === 'execute' ? 'next-monitor' : stage === 'plan' && (d.tier === 'T1' || d.tier === 'T2') ? 'plan-approval' : null;
    return {
      id: a.id,
      score: d.score,
      tier: d.tier,
      class: d.class,
      strategy: d.strategy,
      closeness: d.closeness,
      stage,
      health: stage === 'execute' || stage === 'monitor' ? weighted(rng, HEALTH_WEIGHTS) : null,
      waitingFor,
    };
  });
}

async function writeComputed(db: Db, rows: readonly Computed[]): Promise<void> {
  // One JSON parameter per batch: far cheaper to send and parse than thousands of bind parameters.
  for (let i = 0; i < rows.length; i += 10_000) {
    const batch = JSON.stringify(rows.slice(i, i + 10_000));
    await db.execute(sql`
      update accounts as a set score = v.score, tier = v.tier, class = v.class, strategy = v.strategy,
        closeness = v.closeness, stage = v.stage, health = v.health, waiting_for = v."waitingFor"
      from json_to_recordset(${batch}::json) as v(id text, score double precision, tier text, class text, strategy text,
        closeness double precision, stage text, health text, "waitingFor" text)
      where a.id = v.id`);
  }
  await db.execute(sql`analyze accounts`);
}

// ---- the list queries ----------------------------------------------------------------------------

interface ListQuery {
  filter: AccountFilter;
  sort: AccountSort;
}

/** ~200 random combinations of the list's filters and sorts, the same for every database. */
function listQueries(accounts: readonly Account[], n: number): ListQuery[] {
  const rng = new Rng(2025);
  const industries = [...new Set(accounts.map((a) => a.industry).filter((x): x is string => !!x))].sort();
  const owners = [...new Set(accounts.map((a) => a.ownerId).filter((x): x is string => !!x))].sort();
  const stages = ['execute', 'plan', 'monitor', 'profile', 'review'] as const;
  const sorts: [AccountSort, number][] = [
    ['score', 50],
    ['name', 25],
    ['revenueWithUs', 15],
    ['updatedAt', 10],
  ];
  const out: ListQuery[] = [];
  for (let i = 0; i < n; i++) {
    const filter: AccountFilter = {};
    const wanted = 1 + Math.floor(rng.next() * 3);
    const kinds = ['industry', 'tier', 'class', 'stage', 'owner', 'name'];
    for (let k = 0; k < wanted; k++) {
      const kind = kinds.splice(Math.floor(rng.next() * kinds.length), 1)[0]!;
      if (kind === 'industry') filter.industry = industries[Math.floor(rng.next() * industries.length)]!;
      if (kind === 'tier') filter.tier = TIERS[Math.floor(rng.next() * TIERS.length)]!;
      if (kind === 'class') filter.class = CLASSES[Math.floor(rng.next() * CLASSES.length)]!;
      if (kind === 'stage') filter.stage = stages[Math.floor(rng.next() * stages.length)]!;
      if (kind === 'owner') filter.ownerId = owners[Math.floor(rng.next() * owners.length)]!;
      if (kind === 'name') {
        // What a user types: the first 2–4 letters of some account's name.
        const name = accounts[Math.floor(rng.next() * accounts.length)]!.name;
        filter.name = name.slice(0, 2 + Math.floor(rng.next() * 3));
      }
    }
    out.push({ filter, sort: weighted(rng, sorts) });
  }
  return out;
}

async function timeQueries(db: Db, queries: readonly ListQuery[]): Promise<{ p50: number; p95: number; max: number; mean: number }> {
  for (const q of queries.slice(0, 20)) await listAccounts(db, q.filter, { sort: q.sort, pageSize: 50 }); // warm-up
  const times: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    await listAccounts(db, q.filter, { sort: q.sort, pageSize: 50 });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), max: times[times.length - 1]!, mean: times.reduce((s, x) => s + x, 0) / times.length };
}

/** A postgres.js-backed Db whose SQL is recorded, plus its raw client for EXPLAIN. */
function recordingDb(url: string, connection: Record<string, string> = {}) {
  const captured: { query: string; params: unknown[] }[] = [];
  const client = postgres(url, {
    max: 4,
    onnotice: () => {},
    connection,
    debug: (_conn, query, params) => {
      captured.push({ query, params: params as unknown[] });
    },
  });
  const db = drizzle({ client, schema }) as unknown as Db;
  return { db, client, captured, close: () => client.end({ timeout: 5 }) };
}

const describeFilter = (q: ListQuery): string =>
  `${Object.entries(q.filter)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ')} sort=${q.sort}`;

// ---- the run -----------------------------------------------------------------------------------

export async function run(): Promise<void> {
  const n = arg('rows', 100_000);
  const baselineRows = arg('baseline-rows', 5_000);
  const queryCount = arg('queries', 200);
  console.log(`import: ${fmt(n)} accounts from CSV into PostgreSQL and PGlite; then a filtered page of 50 over them`);

  const tGen = performance.now();
  const accounts = generateAccounts(n, 11);
  const scratch = mkdtempSync(join(tmpdir(), 'esp-bench-import-'));
  const file = join(scratch, 'accounts.csv');
  writeFileSync(file, csvOf(accounts));
  const competitorsPerAccount = accounts.reduce((s, a) => s + a.competitors.length, 0) / n;
  console.log(`  generated ${file} (${fmt(n)} rows, ${competitorsPerAccount.toFixed(2)} competitors/row) in ${secs(performance.now() - tGen)}`);

  const pg = await createPgDatabase();
  const pgBase = await createPgDatabase();
  const pgliteDir = join(scratch, 'pglite');
  const pgliteBaseDir = join(scratch, 'pglite-baseline');
  const opened: Database[] = [];
  try {
    // ---- 1. import ------------------------------------------------------------------------------
    console.log(`  import (esp import accounts: parse + validate + one transaction of batched upserts):`);
    const pgDb = await prepared(await openDatabase({ url: pg.url, max: 10 }));
    opened.push(pgDb);
    const { figures: pgFigures, parsed } = await timedImport(pgDb.db, file);
    const pgBaseDb = await prepared(await openDatabase({ url: pgBase.url, max: 2 }));
    opened.push(pgBaseDb);
    const pgRow = await rowByRow(pgBaseDb.db, parsed, baselineRows, 20_000);
    const pgRates = importLines('PostgreSQL', pgFigures, pgRow);
    await pgBaseDb.close();

    const liteDb = await prepared(await openDatabase({ driver: 'pglite', dataDir: pgliteDir }));
    opened.push(liteDb);
    const { figures: liteFigures } = await timedImport(liteDb.db, file);
    const liteBaseDb = await prepared(await openDatabase({ driver: 'pglite', dataDir: pgliteBaseDir }));
    opened.push(liteBaseDb);
    const liteRow = await rowByRow(liteBaseDb.db, parsed, baselineRows, 20_000);
    importLines('PGlite', liteFigures, liteRow);
    await liteBaseDb.close();
    console.log(`  target >= 20,000 rows/s on PostgreSQL (end to end): ${pgRates.rate >= 20_000 ? 'met' : 'MISSED'} (${fmt(pgRates.rate)} rows/s)`);

    // ---- 2. the list page -------------------------------------------------------------------------
    const tComp = performance.now();
    const computed = computeColumns(accounts);
    await writeComputed(pgDb.db, computed);
    await writeComputed(liteDb.db, computed);
    console.log(`  list page: computed columns (engine decisions) written to both in ${secs(performance.now() - tComp)}`);
    const queries = listQueries(accounts, queryCount);

    const indexed = recordingDb(pg.url);
    const noIndex = recordingDb(pg.url, { enable_indexscan: 'off', enable_bitmapscan: 'off', enable_indexonlyscan: 'off' });
    try {
      const withIdx = await timeQueries(indexed.db, queries);
      const without = await timeQueries(noIndex.db, queries);
      const lite = await timeQueries(liteDb.db, queries);
      const line = (label: string, t: { p50: number; p95: number; max: number }) =>
        console.log(`  ${label.padEnd(44)} p50 ${t.p50.toFixed(1).padStart(6)} ms   p95 ${t.p95.toFixed(1).padStart(6)} ms   max ${t.max.toFixed(1).padStart(6)} ms`);
      console.log(`  listAccounts (page of 50 + total), ${queries.length} random filter combinations over ${fmt(n)} accounts:`);
      line('PostgreSQL, indexes', withIdx);
      line('PostgreSQL, index scans off (baseline)', without);
      line('PGlite, indexes (for reference)', lite);
      console.log(`  p95 baseline / indexed: ${(without.p95 / withIdx.p95).toFixed(1)}x; target p95 <= 50 ms on PostgreSQL: ${withIdx.p95 <= 50 ? 'met' : 'MISSED'}`);

      // Which index each page query's plan uses (EXPLAIN of the exact SQL listAccounts sent).
      const pageQueries = indexed.captured.filter((c) => /^select .* from "accounts".* limit/is.test(c.query) && !/count\(/i.test(c.query));
      const planIndex = new Map<string, number>();
      let withAnIndex = 0;
      const measured = pageQueries.slice(-queries.length);
      for (const c of measured) {
        const plan = (await indexed.client.unsafe(`explain ${c.query}`, c.params as never[])) as unknown as { 'QUERY PLAN': string }[];
        const names = new Set(plan.flatMap((r) => [...r['QUERY PLAN'].matchAll(/(?:Index(?: Only)? Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g)].map((m) => m[1]!)));
        if (names.size > 0) withAnIndex++;
        for (const name of names) planIndex.set(name, (planIndex.get(name) ?? 0) + 1);
      }
      console.log(
        `  EXPLAIN of the ${measured.length} page queries: ${withAnIndex} use an index; by index: ` +
          [...planIndex]
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
      );
      const examples: ListQuery[] = [
        { filter: { industry: 'finance' }, sort: 'score' },
        { filter: { tier: 'T1', class: 'A' }, sort: 'score' },
        { filter: { ownerId: accounts[0]!.ownerId ?? 'manager1@example.com', stage: 'plan' }, sort: 'score' },
        { filter: { name: accounts[7]!.name.slice(0, 3) }, sort: 'name' },
      ];
      for (const q of examples) {
        indexed.captured.length = 0;
        await listAccounts(indexed.db, q.filter, { sort: q.sort, pageSize: 50 });
        const page = indexed.captured.find((c) => /limit/i.test(c.query) && !/count\(/i.test(c.query))!;
        const plan = (await indexed.client.unsafe(`explain analyze ${page.query}`, page.params as never[])) as unknown as { 'QUERY PLAN': string }[];
        const lines = plan.map((r) => r['QUERY PLAN']);
        console.log(`  EXPLAIN ANALYZE ${describeFilter(q)}:`);
        for (const l of lines.filter((l) => /Index|Limit|Execution Time/.test(l))) console.log(`      ${l.trim()}`);
      }
    } finally {
      await indexed.close();
      await noIndex.close();
    }
  } finally {
    for (const d of opened) await d.close().catch(() => undefined);
    await pg.drop().catch((e: unknown) => console.error(`  could not drop the bench database: ${(e as Error).message}`));
    await pgBase.drop().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
