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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { openDatabase, type Database, type Db } from '../db/client.js';
import { generateAccounts } from '../db/demo/generate.js';
import { Rng } from '../db/demo/prng.js';
import { importAccountsFile, parseAccountsCsv, type ParsedAccounts } from '../db/import/accounts.js';
import { csvLine } from '../db/import/csv.js';
import { migrate } from '../db/migrate.js';
import { listAccounts, type AccountFilter, type AccountSort } from '../db/repositories/accounts.js';
import { seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import * as schema from '../db/schema.js';
import { CLASSES, TIERS, type Account } from '../engine/index.js';
import {
  computeColumns,
  createPgDatabase,
  fmt,
  loadNote,
  numberOption,
  secs,
  timing,
  weighted,
  writeComputed,
} from './support.js';
import { PROFILE_FIELDS, PROFILE_FIELD_KINDS, type ProfileField } from '../db/profile-fields.js';
import { upsertAccountProfiles } from '../db/repositories/account-profiles.js';
import { replaceCompetitors } from '../db/repositories/competitors.js';

async function prepared(database: Database): Promise<Database> {
  await migrate(database.db);
  await seedDefaultRuleSets(database.db);
  return database;
}

// ---- the CSV -----------------------------------------------------------------------------------

/** The profile the generated accounts carry (they have no parent nor value proposition). */
const CSV_PROFILE = PROFILE_FIELDS.filter((f) => f !== 'parentId' && f !== 'solution' && f !== 'businessValue');
const CSV_COLUMNS = ['id', ...CSV_PROFILE, 'competitors'];

function csvOf(accounts: readonly Account[]): string {
  const parts: string[] = [csvLine(CSV_COLUMNS)];
  const cell = (f: ProfileField, v: unknown): string =>
    PROFILE_FIELD_KINDS[f] === 'yes/no' ? (v ? 'yes' : 'no') : v === undefined || v === null ? '' : String(v);
  for (const a of accounts) {
    parts.push(
      csvLine([
        a.id,
        ...CSV_PROFILE.map((f) => cell(f, a[f])),
        a.competitors.map((c) => `${c.id}:${c.name}:${c.share ?? 0}`).join('; '),
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
  // `esp import accounts` itself: it writes each chunk while parsing the next, so the end-to-end
  // time is the figure; the parse alone is timed separately (it also feeds the baseline), and
  // "write" is what the import took beyond it.
  const t0 = performance.now();
  const result = await importAccountsFile(db, file);
  const total = performance.now() - t0;
  const t1 = performance.now();
  const parsed = parseAccountsCsv(await readFile(file, 'utf8'), { file });
  const readParseMs = performance.now() - t1;
  if (!parsed.problems.ok) throw new Error(`the generated CSV has problems: ${JSON.stringify(parsed.problems.list.slice(0, 3))}`);
  if (result.inserted !== parsed.records.length)
    throw new Error(`imported ${result.inserted} of ${parsed.records.length} accounts`);
  return { figures: { rows: parsed.records.length, readParseMs, writeMs: total - readParseMs }, parsed };
}

/**
 * The baseline: the same writes, one account per repository call (one INSERT … ON CONFLICT for the
 * account, one DELETE and one INSERT for its competitors, one SELECT of stances), in one
 * transaction, for at most `maxRows` rows or `maxMs`.
 */
async function rowByRow(db: Db, parsed: ParsedAccounts, maxRows: number, maxMs: number): Promise<{ rows: number; ms: number }> {
  const fields = [...parsed.records[0]!.fields] as ProfileField[];
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

function importLines(
  label: string,
  f: ImportFigures,
  base: { rows: number; ms: number },
): { rate: number; writeRate: number; baseRate: number } {
  const rate = (f.rows / (f.readParseMs + f.writeMs)) * 1000;
  const writeRate = (f.rows / f.writeMs) * 1000;
  const baseRate = (base.rows / base.ms) * 1000;
  console.log(
    `  ${label.padEnd(11)} ${fmt(rate).padStart(8)} rows/s end to end (${secs(f.readParseMs + f.writeMs)}: read+parse+validate ${secs(f.readParseMs)}, write ${secs(f.writeMs)} = ${fmt(writeRate)} rows/s)`,
  );
  console.log(
    `  ${''.padEnd(11)} baseline row by row: ${fmt(baseRate)} rows/s written (${fmt(base.rows)} rows in ${secs(base.ms)}, time-boxed; ${fmt(f.rows)} rows would take ~${fmt(f.rows / baseRate / 60, 1)} min)` +
      `   batched / row-by-row: ${(writeRate / baseRate).toFixed(1)}x`,
  );
  return { rate, writeRate, baseRate };
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

async function timeQueries(db: Db, queries: readonly ListQuery[]) {
  for (const q of queries.slice(0, 20)) await listAccounts(db, q.filter, { sort: q.sort, pageSize: 50 }); // warm-up
  const times: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    await listAccounts(db, q.filter, { sort: q.sort, pageSize: 50 });
    times.push(performance.now() - t0);
  }
  return timing(times);
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
  const n = numberOption('rows', 100_000);
  const baselineRows = numberOption('baseline-rows', 5_000);
  const queryCount = numberOption('queries', 200);
  console.log(
    `import: ${fmt(n)} accounts from CSV into PostgreSQL and PGlite; then a filtered page of 50 over them (${await loadNote()})`,
  );

  const tGen = performance.now();
  const accounts = generateAccounts(n, 11);
  const scratch = mkdtempSync(join(tmpdir(), 'esp-bench-import-'));
  const file = join(scratch, 'accounts.csv');
  writeFileSync(file, csvOf(accounts));
  const competitorsPerAccount = accounts.reduce((s, a) => s + a.competitors.length, 0) / n;
  console.log(
    `  generated ${file} (${fmt(n)} rows, ${competitorsPerAccount.toFixed(2)} competitors/row) in ${secs(performance.now() - tGen)}`,
  );

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
    console.log(
      `  target >= 20,000 rows/s on PostgreSQL (end to end): ${pgRates.rate >= 20_000 ? 'met' : 'MISSED'} (${fmt(pgRates.rate)} rows/s)`,
    );

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
        console.log(
          `  ${label.padEnd(44)} p50 ${t.p50.toFixed(1).padStart(6)} ms   p95 ${t.p95.toFixed(1).padStart(6)} ms   max ${t.max.toFixed(1).padStart(6)} ms`,
        );
      console.log(`  listAccounts (page of 50 + total), ${queries.length} random filter combinations over ${fmt(n)} accounts:`);
      line('PostgreSQL, indexes', withIdx);
      line('PostgreSQL, index scans off (baseline)', without);
      line('PGlite, indexes (for reference)', lite);
      console.log(
        `  p95 baseline / indexed: ${(without.p95 / withIdx.p95).toFixed(1)}x; target p95 <= 50 ms on PostgreSQL: ${withIdx.p95 <= 50 ? 'met' : 'MISSED'}`,
      );

      // Which index each page query's plan uses (EXPLAIN of the exact SQL listAccounts sent).
      const pageQueries = indexed.captured.filter(
        (c) => /^select .* from "accounts".* limit/is.test(c.query) && !/count\(/i.test(c.query),
      );
      const planIndex = new Map<string, number>();
      let withAnIndex = 0;
      const measured = pageQueries.slice(-queries.length);
      for (const c of measured) {
        const plan = (await indexed.client.unsafe(`explain ${c.query}`, c.params as never[])) as unknown as {
          'QUERY PLAN': string;
        }[];
        const names = new Set(
          plan.flatMap((r) =>
            [...r['QUERY PLAN'].matchAll(/(?:Index(?: Only)? Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g)].map(
              (m) => m[1]!,
            ),
          ),
        );
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
        const plan = (await indexed.client.unsafe(`explain analyze ${page.query}`, page.params as never[])) as unknown as {
          'QUERY PLAN': string;
        }[];
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
