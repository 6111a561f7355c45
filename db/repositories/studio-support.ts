/**
 * Read models the studio's account, portfolio and review pages need beyond the other repositories.
 * Every function takes an extra `where` (the caller's access scope, already combined with any
 * filters) so that a manager's pages never read outside their accounts, and aggregates in SQL so
 * a page over 10,000 accounts reads counts, not rows.
 */
import { and, asc, count, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Band } from '../../engine/ruleset-format/schema.js';
import type { Db } from '../client.js';
import { EXPORT_COLUMNS, type ExportRow } from '../export/accounts.js';
import { csvLine } from '../import/csv.js';
import { accounts, plans, reviewRuns, reviews, ruleSets, users, type ReviewRunRow } from '../schema.js';
import type { AccountSort } from './accounts.js';

// ---- the account list ---------------------------------------------------------------------------

export interface StudioAccountRow {
  id: string;
  name: string;
  industry: string | null;
  region: string | null;
  status: string | null;
  tier: string | null;
  class: string | null;
  score: number | null;
  strategy: string | null;
  stage: string | null;
  health: string | null;
  waitingFor: string | null;
  revenueWithUs: number | null;
  potential: number | null;
  closeness: number | null;
  ownerId: string | null;
  ownerName: string | null;
  updatedAt: Date;
}

const listColumns = {
  id: accounts.id,
  name: accounts.name,
  industry: accounts.industry,
  region: accounts.region,
  status: accounts.status,
  tier: accounts.tier,
  class: accounts.class,
  score: accounts.score,
  strategy: accounts.strategy,
  stage: accounts.stage,
  health: accounts.health,
  waitingFor: accounts.waitingFor,
  revenueWithUs: accounts.revenueWithUs,
  potential: accounts.potential,
  closeness: accounts.closeness,
  ownerId: accounts.ownerId,
  ownerName: users.name,
  updatedAt: accounts.updatedAt,
};

const SORT_COLUMNS: Record<AccountSort, PgColumn> = {
  score: accounts.score,
  name: accounts.name,
  updatedAt: accounts.updatedAt,
  revenueWithUs: accounts.revenueWithUs,
  potential: accounts.potential,
  closeness: accounts.closeness,
  tier: accounts.tier,
  id: accounts.id,
};

export interface PageOptions {
  sort: AccountSort;
  direction: 'asc' | 'desc';
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** A sorted page of the accounts matching `where`, with the owner's name, and the total. */
export async function listAccountsWhere(
  db: Db,
  where: SQL | undefined,
  opts: PageOptions,
): Promise<{ rows: StudioAccountRow[]; total: number }> {
  const column = SORT_COLUMNS[opts.sort];
  // Unscored accounts last either way; `id` keeps pages stable when values tie. Spelled like the
  // (score desc nulls last, id) indexes so the planner can walk them instead of sorting.
  const primary = opts.direction === 'desc' ? sql`${column} desc nulls last` : sql`${column} asc nulls last`;
  const order = opts.sort === 'id' ? [primary] : [primary, asc(accounts.id)];
  const [rows, [totalRow]] = await Promise.all([
    db
      .select(listColumns)
      .from(accounts)
      .leftJoin(users, eq(users.id, accounts.ownerId))
      .where(where)
      .orderBy(...order)
      .limit(opts.pageSize)
      .offset((opts.page - 1) * opts.pageSize),
    db.select({ n: count() }).from(accounts).where(where),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}

// ---- counts -------------------------------------------------------------------------------------

export const COUNT_COLUMNS = ['industry', 'tier', 'class', 'strategy', 'stage', 'health', 'waitingFor', 'ownerId'] as const;
export type CountColumn = (typeof COUNT_COLUMNS)[number];

export type ColumnCounts<K extends CountColumn> = { total: number } & { [C in K]: Map<string | null, number> };

/**
 * Counts per value of several columns in one scan (GROUPING SETS), plus the total. A null key is
 * "not set" (e.g. not evaluated yet).
 */
export async function countAccountsBy<K extends CountColumn>(
  db: Db,
  where: SQL | undefined,
  columns: readonly K[],
): Promise<ColumnCounts<K>> {
  const fields: Record<string, SQL | PgColumn> = { n: sql<number>`count(*)`.mapWith(Number) };
  columns.forEach((c, i) => {
    fields[`v${i}`] = accounts[c];
    fields[`g${i}`] = sql<number>`grouping(${accounts[c]})`.mapWith(Number);
  });
  const sets = sql.join([...columns.map((c) => sql`(${accounts[c]})`), sql`()`], sql`, `);
  const rows = (await db
    .select(fields)
    .from(accounts)
    .where(where)
    .groupBy(sql`grouping sets (${sets})`)) as Record<string, unknown>[];
  const out = { total: 0 } as ColumnCounts<K>;
  for (const c of columns) (out as Record<string, unknown>)[c] = new Map<string | null, number>();
  for (const row of rows) {
    const n = Number(row['n']);
    const i = columns.findIndex((_, k) => Number(row[`g${k}`]) === 0);
    if (i < 0) out.total = n;
    else (out[columns[i]!] as Map<string | null, number>).set((row[`v${i}`] as string | null) ?? null, n);
  }
  return out;
}

// ---- the nine-box -------------------------------------------------------------------------------

/** What classify needs of one rule set: the (industry-scaled) bands of both axes and the cuts. */
export interface ClassifySpec {
  revenueBands: readonly Band[];
  potentialBands: readonly Band[];
  cuts: { M: number; H: number };
}

/** Per-industry specs (industries with their own rule set) over the fallback's. */
export interface LevelSpecs {
  fallback: ClassifySpec;
  industries: Record<string, ClassifySpec>;
}

/** A number from a published rule set, inlined: validated finite, so it can never be SQL text. */
function literal(n: number): SQL {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return sql.raw(String(n));
}

const LEVEL_LITERAL = { L: sql.raw(`'L'`), M: sql.raw(`'M'`), H: sql.raw(`'H'`) } as const;

/**
 * The level of a raw value as one CASE over the value itself: a band's score maps to a level by
 * the cuts, so the level is a step function of the value with steps at band minimums. Runs of
 * bands with the same level collapse into one step, which keeps the expression short.
 */
function levelOf(column: PgColumn, bands: readonly Band[], cuts: ClassifySpec['cuts']): SQL {
  const level = (score: number): keyof typeof LEVEL_LITERAL => (score < cuts.M ? 'L' : score < cuts.H ? 'M' : 'H');
  const below = level(0);
  const steps: { min: number; level: keyof typeof LEVEL_LITERAL }[] = [];
  // Highest minimum first, as the engine checks them: the first band the value reaches scores.
  for (const b of [...bands].sort((a, b2) => b2.min - a.min)) {
    const last = steps[steps.length - 1];
    if (last && last.level === level(b.score)) last.min = b.min;
    else steps.push({ min: b.min, level: level(b.score) });
  }
  while (steps.length > 0 && steps[steps.length - 1]!.level === below) steps.pop();
  if (steps.length === 0) return LEVEL_LITERAL[below];
  const whens = steps.map((st) => sql`when coalesce(${column}, 0) >= ${literal(st.min)} then ${LEVEL_LITERAL[st.level]}`);
  return sql`case ${sql.join(whens, sql` `)} else ${LEVEL_LITERAL[below]} end`;
}

/**
 * The contribution and potential levels (L/M/H) of each account as SQL, from its raw revenue and
 * potential and the current rules of its industry: the accounts table stores the class, not the
 * two levels the nine-box places it by. Industries whose spec equals the fallback's are folded
 * into it to keep the expression short.
 */
export function levelExpressions(specs: LevelSpecs): { contribution: SQL; potential: SQL } {
  const same = (a: ClassifySpec) => JSON.stringify(a) === JSON.stringify(specs.fallback);
  const own = Object.entries(specs.industries).filter(([, spec]) => !same(spec));
  const build = (column: PgColumn, pick: (s: ClassifySpec) => readonly Band[]) => {
    const fallback = levelOf(column, pick(specs.fallback), specs.fallback.cuts);
    if (own.length === 0) return fallback;
    const branches = own.map(
      ([industry, spec]) => sql`when ${accounts.industry} = ${industry} then ${levelOf(column, pick(spec), spec.cuts)}`,
    );
    return sql`(case ${sql.join(branches, sql` `)} else ${fallback} end)`;
  };
  return {
    contribution: build(accounts.revenueWithUs, (s) => s.revenueBands),
    potential: build(accounts.potential, (s) => s.potentialBands),
  };
}

export interface PortfolioCounts extends ColumnCounts<'tier' | 'class' | 'stage' | 'health' | 'waitingFor'> {
  nineBox: { potential: string; contribution: string; class: string; count: number }[];
  stalled: number;
}

/**
 * Everything the portfolio counts, in one scan of the accounts (GROUPING SETS): the distributions,
 * the nine-box cells of the classified accounts, and how many have stalled.
 */
export async function portfolioCounts(
  db: Db,
  where: SQL | undefined,
  levels: { contribution: SQL; potential: SQL },
  stalled: SQL,
): Promise<PortfolioCounts> {
  const columns = ['tier', 'class', 'stage', 'health', 'waitingFor'] as const;
  // The computed keys in a subquery: GROUPING() must name its set's expressions exactly, and the
  // same expression written twice carries different bind parameters.
  const x = db
    .select({
      tier: accounts.tier,
      class: accounts.class,
      stage: accounts.stage,
      health: accounts.health,
      waitingFor: accounts.waitingFor,
      p: sql<string>`${levels.potential}`.as('p'),
      c: sql<string>`${levels.contribution}`.as('c'),
      s: sql<boolean>`${stalled}`.as('s'),
    })
    .from(accounts)
    .where(where)
    .as('x');
  const fields: Record<string, unknown> = {
    n: sql<number>`count(*)`.mapWith(Number),
    p: x.p,
    c: x.c,
    s: x.s,
    gBox: sql<number>`grouping(${x.p}, ${x.c})`.mapWith(Number),
    gStalled: sql<number>`grouping(${x.s})`.mapWith(Number),
  };
  columns.forEach((col, i) => {
    fields[`v${i}`] = x[col];
    fields[`g${i}`] = sql<number>`grouping(${x[col]})`.mapWith(Number);
  });
  const sets = sql.join(
    [...columns.map((col) => sql`(${x[col]})`), sql`(${x.p}, ${x.c}, ${x.class})`, sql`(${x.s})`, sql`()`],
    sql`, `,
  );
  const rows = (await db
    .select(fields as Record<string, SQL>)
    .from(x)
    .groupBy(sql`grouping sets (${sets})`)) as Record<string, unknown>[];
  const out = { total: 0, nineBox: [], stalled: 0 } as unknown as PortfolioCounts;
  for (const col of columns) (out as unknown as Record<string, unknown>)[col] = new Map<string | null, number>();
  for (const row of rows) {
    const n = Number(row['n']);
    if (Number(row['gBox']) === 0) {
      // The grid counts classified accounts only.
      if (row['v1'] !== null)
        out.nineBox.push({ potential: String(row['p']), contribution: String(row['c']), class: String(row['v1']), count: n });
    } else if (Number(row['gStalled']) === 0) {
      if (row['s'] === true) out.stalled = n;
    } else {
      const single = columns.findIndex((_, k) => Number(row[`g${k}`]) === 0);
      if (single >= 0) (out[columns[single]!] as Map<string | null, number>).set((row[`v${single}`] as string | null) ?? null, n);
      else out.total = n;
    }
  }
  return out;
}

// ---- plans waiting, stalled workflows ------------------------------------------------------------

export interface PendingPlanRow {
  planId: number;
  accountId: string;
  accountName: string;
  tier: string | null;
  strategy: string;
  version: number;
  cycleYear: number;
  createdAt: Date;
  ownerId: string | null;
  ownerName: string | null;
}

/** Plans pending approval on the accounts matching `where`, oldest first, and how many there are. */
export async function pendingPlansWhere(
  db: Db,
  where: SQL | undefined,
  limit = 10,
): Promise<{ rows: PendingPlanRow[]; total: number }> {
  const pending = and(eq(plans.status, 'pending-approval'), where);
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({
        planId: plans.id,
        accountId: plans.accountId,
        accountName: accounts.name,
        tier: accounts.tier,
        strategy: plans.strategy,
        version: plans.version,
        cycleYear: plans.cycleYear,
        createdAt: plans.createdAt,
        ownerId: accounts.ownerId,
        ownerName: users.name,
      })
      .from(plans)
      .innerJoin(accounts, eq(accounts.id, plans.accountId))
      .leftJoin(users, eq(users.id, accounts.ownerId))
      .where(pending)
      .orderBy(asc(plans.createdAt), asc(plans.id))
      .limit(limit),
    db.select({ n: count() }).from(plans).innerJoin(accounts, eq(accounts.id, plans.accountId)).where(pending),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}

export interface StalledRow {
  id: string;
  name: string;
  stage: string | null;
  waitingFor: string | null;
  updatedAt: Date;
  ownerId: string | null;
}

/**
 * Accounts whose workflow has not moved: a stage (other than the execute loop) that ran and was
 * not followed by the next one for `stageFor`, an execute loop without a monitor for
 * `executeFor`, or a workflow waiting for an error to be fixed. Waits on people (profile data,
 * plan approval, revision) are not stalls: they have their own counts.
 */
export function stalledCondition(opts: { now: Date; stageForMs: number; executeForMs: number }): SQL {
  const stageBefore = new Date(opts.now.getTime() - opts.stageForMs);
  const executeBefore = new Date(opts.now.getTime() - opts.executeForMs);
  // coalesce: as a grouping key of the portfolio's scan, a NULL would be a third group.
  return sql`coalesce(${or(
    and(
      isNull(accounts.waitingFor),
      isNotNull(accounts.stage),
      ne(accounts.stage, 'execute'),
      lt(accounts.updatedAt, stageBefore),
    ),
    and(isNull(accounts.waitingFor), eq(accounts.stage, 'execute'), lt(accounts.updatedAt, executeBefore)),
    eq(accounts.waitingFor, 'error-resolution'),
  )}, false)`;
}

/** The stalled accounts matching `where` (see `stalledCondition`), longest stalled first. */
export async function stalledRowsWhere(db: Db, where: SQL | undefined, stalled: SQL, limit = 10): Promise<StalledRow[]> {
  return db
    .select({
      id: accounts.id,
      name: accounts.name,
      stage: accounts.stage,
      waitingFor: accounts.waitingFor,
      updatedAt: accounts.updatedAt,
      ownerId: accounts.ownerId,
    })
    .from(accounts)
    .where(and(where, stalled))
    .orderBy(asc(accounts.updatedAt), asc(accounts.id))
    .limit(limit);
}

/** Which of `ids` match `where`: scoping ids that came from elsewhere (Temporal's visibility). */
export async function idsWhere(db: Db, where: SQL | undefined, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: accounts.id, name: accounts.name })
    .from(accounts)
    .where(and(where, inArray(accounts.id, [...ids])));
  return new Map(rows.map((r) => [r.id, r.name]));
}

// ---- export -------------------------------------------------------------------------------------

const exportSelection = Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, accounts[c]])) as {
  [K in (typeof EXPORT_COLUMNS)[number]]: (typeof accounts)[K];
};

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/**
 * The accounts matching `where` as CSV in the columns and format of `esp export accounts` (so
 * the file imports back), in keyset pages of id: constant memory for any number of accounts.
 */
export async function* exportCsvWhere(db: Db, where: SQL | undefined, pageSize = 2000): AsyncGenerator<string> {
  yield csvLine(EXPORT_COLUMNS);
  let after: string | undefined;
  for (;;) {
    const rows = await db
      .select(exportSelection)
      .from(accounts)
      .where(and(where, after === undefined ? undefined : gt(accounts.id, after)))
      .orderBy(asc(accounts.id))
      .limit(pageSize);
    if (rows.length === 0) return;
    let out = '';
    for (const row of rows as unknown as ExportRow[]) out += csvLine(EXPORT_COLUMNS.map((c) => cellText(row[c])));
    yield out;
    after = rows[rows.length - 1]!.id;
    if (rows.length < pageSize) return;
  }
}

// ---- reviews ------------------------------------------------------------------------------------

/** Years that have a review run or review records, newest first. */
export async function reviewYears(db: Db): Promise<number[]> {
  const [runs, reviewed] = await Promise.all([
    db.selectDistinct({ year: reviewRuns.year }).from(reviewRuns),
    db.selectDistinct({ year: reviews.year }).from(reviews),
  ]);
  return [...new Set([...runs, ...reviewed].map((r) => r.year))].sort((a, b) => b - a);
}

export async function latestReviewRun(db: Db): Promise<ReviewRunRow | undefined> {
  const [row] = await db.select().from(reviewRuns).orderBy(desc(reviewRuns.startedAt)).limit(1);
  return row;
}

export async function reviewRunsPage(db: Db, limit = 20): Promise<ReviewRunRow[]> {
  return db.select().from(reviewRuns).orderBy(desc(reviewRuns.startedAt)).limit(limit);
}

export interface ReviewAggregate {
  accounts: number;
  attainmentMean: number | null;
  attainmentAtOrAbove1: number;
  opportunitiesCount: number;
  opportunitiesValue: number;
  tier: { before: string; after: string; count: number }[];
  class: { before: string; after: string; count: number }[];
  strategy: { before: string; after: string; count: number }[];
}

/**
 * The year's reviews of the accounts matching `where`, summarised like the engine's
 * `summarizeReviews` (migrations count only accounts with a "before"), but aggregated in SQL.
 */
export async function reviewAggregateWhere(db: Db, year: number, where: SQL | undefined): Promise<ReviewAggregate> {
  const scoped = and(eq(reviews.year, year), where);
  const [totals] = await db
    .select({
      accounts: count(),
      attainmentMean: sql<number | null>`round((avg(${reviews.attainment}))::numeric, 2)`.mapWith((v) =>
        v === null ? null : Number(v),
      ),
      atOrAbove1: sql<number>`count(*) filter (where ${reviews.attainment} >= 1)`.mapWith(Number),
      opportunitiesCount: sql<number>`coalesce(sum(${reviews.opportunitiesCount}), 0)`.mapWith(Number),
      opportunitiesValue: sql<number>`round(coalesce(sum(${reviews.opportunitiesValue}), 0)::numeric, 2)`.mapWith(Number),
    })
    .from(reviews)
    .innerJoin(accounts, eq(accounts.id, reviews.accountId))
    .where(scoped);
  const pairs = await db
    .select({
      tb: reviews.tierBefore,
      ta: reviews.tierAfter,
      cb: reviews.classBefore,
      ca: reviews.classAfter,
      sb: reviews.strategyBefore,
      sa: reviews.strategyAfter,
      gt: sql<number>`grouping(${reviews.tierBefore}, ${reviews.tierAfter})`.mapWith(Number),
      gc: sql<number>`grouping(${reviews.classBefore}, ${reviews.classAfter})`.mapWith(Number),
      n: count(),
    })
    .from(reviews)
    .innerJoin(accounts, eq(accounts.id, reviews.accountId))
    .where(and(scoped, isNotNull(reviews.tierBefore)))
    .groupBy(
      sql`grouping sets ((${reviews.tierBefore}, ${reviews.tierAfter}), (${reviews.classBefore}, ${reviews.classAfter}), (${reviews.strategyBefore}, ${reviews.strategyAfter}))`,
    );
  const out: ReviewAggregate = {
    accounts: totals?.accounts ?? 0,
    attainmentMean: totals?.attainmentMean ?? null,
    attainmentAtOrAbove1: totals?.atOrAbove1 ?? 0,
    opportunitiesCount: totals?.opportunitiesCount ?? 0,
    opportunitiesValue: totals?.opportunitiesValue ?? 0,
    tier: [],
    class: [],
    strategy: [],
  };
  for (const p of pairs) {
    if (p.gt === 0) {
      if (p.tb && p.ta) out.tier.push({ before: p.tb, after: p.ta, count: p.n });
    } else if (p.gc === 0) {
      if (p.cb && p.ca) out.class.push({ before: p.cb, after: p.ca, count: p.n });
    } else if (p.sb && p.sa && p.sb !== p.sa) out.strategy.push({ before: p.sb, after: p.sa, count: p.n });
  }
  return out;
}

export interface ReviewListRow {
  accountId: string;
  accountName: string;
  attainment: number | null;
  actionsDoneShare: number | null;
  opportunitiesCount: number;
  opportunitiesValue: number;
  closenessChange: number | null;
  scoreBefore: number | null;
  scoreAfter: number | null;
  tierBefore: string | null;
  tierAfter: string | null;
  classBefore: string | null;
  classAfter: string | null;
  strategyBefore: string | null;
  strategyAfter: string | null;
}

/** A page of the year's per-account review records within `where`, by account name. */
export async function reviewsPageWhere(
  db: Db,
  year: number,
  where: SQL | undefined,
  opts: { page: number; pageSize: number; changedOnly?: boolean },
): Promise<{ rows: ReviewListRow[]; total: number }> {
  const changed = opts.changedOnly
    ? or(
        sql`${reviews.tierBefore} is distinct from ${reviews.tierAfter}`,
        sql`${reviews.classBefore} is distinct from ${reviews.classAfter}`,
        sql`${reviews.strategyBefore} is distinct from ${reviews.strategyAfter}`,
      )
    : undefined;
  const scoped = and(eq(reviews.year, year), where, changed);
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({
        accountId: reviews.accountId,
        accountName: accounts.name,
        attainment: reviews.attainment,
        actionsDoneShare: reviews.actionsDoneShare,
        opportunitiesCount: reviews.opportunitiesCount,
        opportunitiesValue: reviews.opportunitiesValue,
        closenessChange: reviews.closenessChange,
        scoreBefore: reviews.scoreBefore,
        scoreAfter: reviews.scoreAfter,
        tierBefore: reviews.tierBefore,
        tierAfter: reviews.tierAfter,
        classBefore: reviews.classBefore,
        classAfter: reviews.classAfter,
        strategyBefore: reviews.strategyBefore,
        strategyAfter: reviews.strategyAfter,
      })
      .from(reviews)
      .innerJoin(accounts, eq(accounts.id, reviews.accountId))
      .where(scoped)
      .orderBy(asc(accounts.name), asc(reviews.accountId))
      .limit(opts.pageSize)
      .offset((opts.page - 1) * opts.pageSize),
    db.select({ n: count() }).from(reviews).innerJoin(accounts, eq(accounts.id, reviews.accountId)).where(scoped),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}

// ---- people -------------------------------------------------------------------------------------

export async function userNames(db: Db, ids: readonly (string | null | undefined)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id !== ''))];
  if (wanted.length === 0) return new Map();
  const rows = await db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, wanted));
  return new Map(rows.map((r) => [r.id, r.name]));
}

// ---- single accounts ----------------------------------------------------------------------------

/** What an access check needs of one account, without its contacts. */
export async function accountAccess(
  db: Db,
  id: string,
): Promise<{ id: string; name: string; ownerId: string | null; coverageTeam: string | null } | undefined> {
  const [row] = await db
    .select({ id: accounts.id, name: accounts.name, ownerId: accounts.ownerId, coverageTeam: accounts.coverageTeam })
    .from(accounts)
    .where(eq(accounts.id, id));
  return row;
}

/** Ids of the published rule sets by industry: a cheap key for caching what is derived from them. */
export async function publishedRuleSetIds(db: Db): Promise<{ id: number; industry: string }[]> {
  return db
    .select({ id: ruleSets.id, industry: ruleSets.industry })
    .from(ruleSets)
    .where(eq(ruleSets.status, 'published'))
    .orderBy(asc(ruleSets.industry));
}

/** The newest run of a review workflow (run ids are `<workflowId>:<runId>`) started at or after `since`. */
export async function reviewRunOf(db: Db, workflowId: string, since: Date): Promise<ReviewRunRow | undefined> {
  const prefix = `${workflowId.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`;
  const [row] = await db
    .select()
    .from(reviewRuns)
    .where(and(sql`${reviewRuns.id} like ${prefix}`, gte(reviewRuns.startedAt, since)))
    .orderBy(desc(reviewRuns.startedAt))
    .limit(1);
  return row;
}

/** Reviews written per run, counted from the reviews themselves: `review_runs.done` is stored when the run finishes. */
export async function reviewCountsByRun(db: Db, runIds: readonly string[]): Promise<Map<string, number>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .select({ runId: reviews.runId, n: count() })
    .from(reviews)
    .where(inArray(reviews.runId, [...runIds]))
    .groupBy(reviews.runId);
  return new Map(rows.map((r) => [r.runId!, r.n]));
}
