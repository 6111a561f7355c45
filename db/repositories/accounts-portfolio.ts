/**
 * The portfolio's read model: the nine-box levels of every account worked out in SQL from the
 * current rules, the distributions counted in one scan, and the accounts whose workflow stalled.
 * Every function takes the caller's access scope as `where`.
 */
import { and, asc, eq, isNotNull, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Band } from '../../engine/index.js';
import type { Db } from '../client.js';
import { accounts } from '../schema.js';
import type { ColumnCounts } from './accounts-list.js';

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
