/**
 * Studio benchmark (issues 5, 16): the server time of the studio's pages with 100,000 accounts in PGlite
 * (the database `npm start` uses), calling the pages' loaders directly (what each `load` does
 * before rendering): the accounts list (random filters, sorts and pages), the portfolio, the
 * account page; and what-if of a draft over every account it covers (the fallback `*`: all
 * 100,000; and one industry's), its first run (which reads the account snapshot) apart from the
 * next ones and from a run after one account edit (which re-reads that account and decides every
 * account under the published rules again), with the process's RSS. Baseline, same run: the same
 * loaders over 10,000 accounts.
 *
 * Data: the demo seed (`esp demo seed`: contacts, visits, opportunities, teams, users), the
 * columns the workflows compute (engine decisions; stage and health as a running portfolio has
 * them), and for a sample of accounts the audit trail, plan and actions written by the real stage
 * activities (called directly), so that account pages have what they show.
 *
 *   npm run bench -- studio            # or: node --import tsx bench/studio.ts --accounts=100000 --baseline-accounts=10000 --db=postgres
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database, type Db } from '../db/client.js';
import { DEMO_ADMIN_EMAIL, generateDemo } from '../db/demo/generate.js';
import { Rng } from '../db/demo/prng.js';
import { seedDemo } from '../db/demo/seed.js';
import { migrate } from '../db/migrate.js';
import { listAccountIds } from '../db/repositories/accounts.js';
import { getPublished, seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import { getUserByEmail } from '../db/repositories/users.js';
import { CLASSES, STAGES, TIERS } from '../engine/index.js';
import { _loadAccountsPage as loadAccountsPage } from '../studio/src/routes/accounts/+page.server.js';
import { _loadAccountDetail as loadAccountDetail } from '../studio/src/routes/accounts/[id]/+page.server.js';
import { _loadPortfolio as loadPortfolio } from '../studio/src/routes/portfolio/+page.server.js';
import { runWhatIf } from '../studio/src/routes/rules/[industry]/whatif/what-if.server.js';
import type { SessionUser } from '../studio/src/lib/user.js';
import {
  computeColumns,
  createPgDatabase,
  directActivities,
  fmt,
  loadNote,
  numberOption,
  onboardDirect,
  option,
  timeEach,
  timing,
  writeComputed,
  type Timing,
} from './support.js';

const TODAY = new Date().toISOString().slice(0, 10);

interface Prepared {
  database: Database;
  accounts: number;
  admin: SessionUser;
  manager: SessionUser;
  detailIds: string[];
  drop(): Promise<void>;
}

async function prepare(n: number, driver: 'pglite' | 'postgres', scratch: string): Promise<Prepared> {
  let database: Database;
  let drop: () => Promise<void>;
  if (driver === 'postgres') {
    const pg = await createPgDatabase();
    const d = await openDatabase({ url: pg.url, max: 10 });
    database = d;
    drop = async () => {
      await d.close().catch(() => undefined);
      await pg.drop();
    };
  } else {
    const d = await openDatabase({ driver: 'pglite', dataDir: join(scratch, `pglite-${n}`) });
    database = d;
    drop = () => d.close();
  }
  const db = database.db;
  await migrate(db);
  await seedDefaultRuleSets(db);
  await seedDemo(db, { accounts: n, seed: 1, today: TODAY });
  await writeComputed(db, computeColumns(generateDemo({ accounts: n, seed: 1, today: TODAY }).accounts));
  const ids = await listAccountIds(db);
  // Account pages of accounts that went through the stages (audit trail, plan, actions).
  const rng = new Rng(7);
  const detailIds = Array.from({ length: 30 }, () => ids[Math.floor(rng.next() * ids.length)]!);
  await onboardDirect(directActivities(db), [...new Set(detailIds)], {
    concurrency: 4,
    year: new Date().getUTCFullYear(),
    asOf: TODAY,
  });
  const user = async (email: string): Promise<SessionUser> => {
    const u = await getUserByEmail(db, email);
    if (!u) throw new Error(`no user ${email}`);
    return { id: u.id, email: u.email, name: u.name, role: u.role as SessionUser['role'], locale: 'en' };
  };
  return {
    database,
    accounts: ids.length,
    admin: await user(DEMO_ADMIN_EMAIL),
    manager: await user('manager1@example.com'),
    detailIds,
    drop,
  };
}

/** ~40 list requests as the studio's filter bar makes them (the same for both sizes). */
function listParams(count: number): URLSearchParams[] {
  const rng = new Rng(11);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
  const industries = ['finance', 'energy', 'government', 'manufacturing', 'healthcare', 'retail', 'logistics'];
  const out: URLSearchParams[] = [new URLSearchParams()];
  while (out.length < count) {
    const p = new URLSearchParams();
    if (rng.next() < 0.5) p.set('industry', pick(industries));
    if (rng.next() < 0.4) p.set('tier', pick(TIERS));
    if (rng.next() < 0.3) p.set('class', pick(CLASSES));
    if (rng.next() < 0.3) p.set('stage', pick(STAGES.filter((s) => s === 'execute' || s === 'plan' || s === 'monitor')));
    if (rng.next() < 0.15) p.set('q', pick(['an', 'tech', 'gr', 'o']));
    if (rng.next() < 0.4) p.set('sort', pick(['name', 'revenueWithUs', 'updatedAt', 'potential']));
    if (rng.next() < 0.3) p.set('page', String(1 + Math.floor(rng.next() * 4)));
    out.push(p);
  }
  return out;
}

/** A realistic draft: the fallback `*` with revenue weighed less and potential more (sums to 1). */
function draftOfBase(document: Record<string, unknown>): Record<string, unknown> {
  const d = structuredClone(document) as { grade: { weights: Record<string, number> } };
  d.grade.weights = { ...d.grade.weights, revenue: 0.25, potential: 0.4 };
  return d as unknown as Record<string, unknown>;
}

/** An industry draft: finance's bands scaled less. */
function draftOfIndustry(document: Record<string, unknown>): Record<string, unknown> {
  const d = structuredClone(document) as { grade?: { bandScale?: Record<string, number> } };
  d.grade = { ...d.grade, bandScale: { ...d.grade?.bandScale, revenue: 1.5, potential: 1.5 } };
  return d as unknown as Record<string, unknown>;
}

interface PageTimings {
  list: Timing;
  listManager: Timing;
  portfolio: Timing;
  portfolioManager: Timing;
  detail: Timing;
  whatIfAll: Timing;
  whatIfIndustry: Timing;
  /** The first what-if of each draft: it reads the accounts into the snapshot. */
  whatIfCold: { all: number; industry: number };
  /** A what-if of `*` right after an edit of one account's inputs (the edit's own time left out). */
  whatIfAfterEdit: Timing;
  memory: { rssMb: number; heapUsedMb: number; peakRssMb: number };
  changed: { all: number; industry: number };
  whatIfParts: { all?: Record<string, number>; industry?: Record<string, number> };
}

async function measure(p: Prepared): Promise<PageTimings> {
  const db: Db = p.database.db;
  const params = listParams(40);
  const base = (await getPublished(db, '*'))!.document as Record<string, unknown>;
  const finance = (await getPublished(db, 'finance'))!.document as Record<string, unknown>;
  const draftAll = draftOfBase(base);
  const draftFinance = draftOfIndustry(finance);
  const changed = { all: 0, industry: 0 };
  const lastTimings: PageTimings['whatIfParts'] = {};
  const whatIf = async (industry: string, draft: unknown): Promise<void> => {
    const r = await runWhatIf(db, industry, draft);
    if (!r.ok) throw new Error(`what-if draft invalid: ${JSON.stringify(r.issues.slice(0, 2))}`);
    if (industry === '*') {
      changed.all = r.counts.changed;
      lastTimings.all = r.timings;
    } else {
      changed.industry = r.counts.changed;
      lastTimings.industry = r.timings;
    }
  };
  const cold = async (industry: string, draft: unknown) => {
    const t0 = performance.now();
    await whatIf(industry, draft);
    return performance.now() - t0;
  };
  const whatIfCold = { all: await cold('*', draftAll), industry: await cold('finance', draftFinance) };
  const whatIfAll = await timeEach(Array.from({ length: 5 }), () => whatIf('*', draftAll), 1);
  const whatIfIndustry = await timeEach(Array.from({ length: 5 }), () => whatIf('finance', draftFinance), 1);
  const afterEdit: number[] = [];
  for (const id of p.detailIds.slice(0, 5)) {
    await db.execute(sql`update accounts set potential = coalesce(potential, 0) + 1 where id = ${id}`);
    afterEdit.push(await cold('*', draftAll));
  }
  const whatIfAfterEdit = timing(afterEdit);
  const mb = (bytes: number) => bytes / 2 ** 20;
  const memory = {
    rssMb: mb(process.memoryUsage.rss()),
    heapUsedMb: mb(process.memoryUsage().heapUsed),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  return {
    list: await timeEach(params, (x) => loadAccountsPage(db, p.admin, x)),
    listManager: await timeEach(params.slice(0, 20), (x) => loadAccountsPage(db, p.manager, x)),
    portfolio: await timeEach(Array.from({ length: 15 }), () => loadPortfolio(db, p.admin)),
    portfolioManager: await timeEach(Array.from({ length: 10 }), () => loadPortfolio(db, p.manager)),
    detail: await timeEach(p.detailIds, (id) => loadAccountDetail(db, p.admin, id)),
    whatIfAll,
    whatIfIndustry,
    whatIfCold,
    whatIfAfterEdit,
    memory,
    changed,
    whatIfParts: lastTimings,
  };
}

export async function run(): Promise<void> {
  const n = numberOption('accounts', 100_000);
  const nBase = numberOption('baseline-accounts', 10_000);
  const driver = option('db') === 'postgres' ? 'postgres' : 'pglite';
  console.log(
    `studio: page loaders' server time over ${fmt(n)} accounts in ${driver === 'pglite' ? 'PGlite' : 'PostgreSQL'} (baseline: the same over ${fmt(nBase)}) (${await loadNote()})`,
  );
  const scratch = mkdtempSync(join(tmpdir(), 'esp-bench-studio-'));
  const prepared: Prepared[] = [];
  try {
    const t0 = performance.now();
    const big = await prepare(n, driver, scratch);
    prepared.push(big);
    const small = await prepare(nBase, driver, scratch);
    prepared.push(small);
    console.log(
      `  prepared both databases (demo seed, computed columns, ${big.detailIds.length} accounts through the stages) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const a = await measure(big);
    const b = await measure(small);
    const line = (label: string, x: Timing, y: Timing, target: number) =>
      console.log(
        `  ${label.padEnd(34)} p50 ${x.p50.toFixed(1).padStart(7)} ms  p95 ${x.p95.toFixed(1).padStart(7)} ms   | ${fmt(nBase)}: p50 ${y.p50.toFixed(1).padStart(6)} ms  p95 ${y.p95.toFixed(1).padStart(6)} ms   p95 ratio ${(x.p95 / y.p95).toFixed(1)}x   ${x.p95 <= target ? 'ok' : 'OVER'} (<= ${target} ms)`,
      );
    console.log(`  ${''.padEnd(34)} ${fmt(n)} accounts`);
    line(`accounts list, admin (${a.list.n} queries)`, a.list, b.list, 300);
    line(`accounts list, manager (${a.listManager.n})`, a.listManager, b.listManager, 300);
    line(`portfolio, admin (${a.portfolio.n})`, a.portfolio, b.portfolio, 300);
    line(`portfolio, manager (${a.portfolioManager.n})`, a.portfolioManager, b.portfolioManager, 300);
    line(`account page (${a.detail.n} accounts)`, a.detail, b.detail, 300);
    line(`what-if, draft of * (${a.whatIfAll.n} runs)`, a.whatIfAll, b.whatIfAll, 1000);
    line(`what-if, draft of finance (${a.whatIfIndustry.n})`, a.whatIfIndustry, b.whatIfIndustry, 1000);
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    console.log(
      `  what-if first run (reads the snapshot): * ${ms(a.whatIfCold.all)}, finance ${ms(a.whatIfCold.industry)}   | ${fmt(nBase)}: * ${ms(b.whatIfCold.all)}, finance ${ms(b.whatIfCold.industry)}   ratio ${(a.whatIfCold.all / b.whatIfCold.all).toFixed(1)}x`,
    );
    const edited = (x: PageTimings) =>
      `p50 ${ms(x.whatIfAfterEdit.p50)} (max ${ms(x.whatIfAfterEdit.max)}) vs warm p50 ${ms(x.whatIfAll.p50)}, ${(x.whatIfAfterEdit.p50 / x.whatIfAll.p50).toFixed(1)}x`;
    console.log(
      `  what-if of * after one account edit (${a.whatIfAfterEdit.n} edit+what-if rounds): ${edited(a)}   | ${fmt(nBase)}: ${edited(b)}`,
    );
    console.log(
      `  memory after the what-ifs: RSS ${fmt(a.memory.rssMb)} MB (heap used ${fmt(a.memory.heapUsedMb)} MB), this process's peak RSS so far ${fmt(a.memory.peakRssMb)} MB (seeding included)   | after the ${fmt(nBase)} runs: RSS ${fmt(b.memory.rssMb)} MB`,
    );
    const parts = (t?: Record<string, number>) =>
      t
        ? Object.entries(t)
            .map(([k, v]) => `${k.replace(/Ms$/, '')} ${v.toFixed(0)}`)
            .join(', ') + ' ms'
        : 'n/a';
    console.log(
      `  what-if changed accounts: * draft ${fmt(a.changed.all)} of ${fmt(big.accounts)} (last run: ${parts(a.whatIfParts.all)}); finance draft ${fmt(a.changed.industry)} (${parts(a.whatIfParts.industry)})`,
    );
    const pages = [a.list, a.listManager, a.portfolio, a.portfolioManager, a.detail];
    console.log(
      `  targets: pages p95 <= 300 ms ${pages.every((t) => t.p95 <= 300) ? 'met' : 'MISSED'}; what-if over ${fmt(big.accounts)} accounts <= 1 s ${a.whatIfAll.max <= 1000 ? 'met' : 'MISSED'} (max ${a.whatIfAll.max.toFixed(0)} ms)`,
    );
  } finally {
    for (const p of prepared) await p.drop().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
