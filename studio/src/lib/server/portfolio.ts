/**
 * The portfolio read model, always within the user's account scope: counts come from one
 * GROUPING SETS scan and the nine-box from one grouped scan, so the page costs the same few
 * queries for 100 or 100,000 accounts. What only Temporal knows (a review's live progress, the
 * schedule, failed workflows) is loaded separately so the page never waits on it.
 */
import { error } from '@sveltejs/kit';
import type { Db } from '../../../../db/client.js';
import {
  CLASSES,
  HEALTHS,
  LEVELS,
  STAGES,
  TIERS,
  migrationMatrix,
  type AccountClass,
  type Level,
  type Matrix,
  type PortfolioReview,
} from '../../../../engine/index.js';
import { idsWhere } from '../../../../db/repositories/accounts-list.js';
import {
  levelExpressions,
  portfolioCounts,
  stalledCondition,
  stalledRowsWhere,
  type StalledRow,
} from '../../../../db/repositories/accounts-portfolio.js';
import { pendingPlansWhere, type PendingPlanRow } from '../../../../db/repositories/plans.js';
import {
  latestReviewRun,
  reviewAggregateWhere,
  reviewCountsByRun,
  reviewRunOf,
  reviewRunsPage,
  reviewsPageWhere,
  reviewYears,
  type ReviewListRow,
} from '../../../../db/repositories/reviews.js';
import type { ReviewRunRow } from '../../../../db/schema.js';
import type { SessionUser } from '../user.js';
import { levelSpecs, rulesFor, WAITING_FOR } from './accounts.js';
import { hasRole } from './guards.js';
import { accountScope, withinScope } from './scope.js';
import { live, UPDATE_TIMEOUT_MS, type Live, type ReviewProgress, type TemporalPort } from './temporal.js';

/** A stage that ran but was not followed by the next for this long has stalled. */
export const STAGE_STALL_MS = 15 * 60 * 1000;
/** Slack on top of the monitor interval before an execute loop without a monitor counts as stalled. */
const EXECUTE_SLACK_DAYS = 5;

export interface Distribution<V extends string = string> {
  values: { value: V; count: number }[];
  unset: number;
}

export interface NineBoxCell {
  potential: Level;
  contribution: Level;
  /** The class the current fallback rules give this cell. */
  matrixClass: AccountClass;
  count: number;
  /** Classes actually stored on the cell's accounts (industries can use other matrices). */
  classes: { class: string; count: number }[];
}

export interface ReviewRunView {
  id: string;
  year: number;
  status: string;
  total: number;
  done: number;
  failed: number;
  startedAt: string;
  finishedAt: string | null;
  /** The workflow that runs it, for its live progress. */
  workflowId: string;
}

export interface PortfolioData {
  seesAll: boolean;
  isAdmin: boolean;
  total: number;
  tiers: Distribution<(typeof TIERS)[number]>;
  classes: Distribution<AccountClass>;
  stages: Distribution<(typeof STAGES)[number]>;
  health: Distribution<(typeof HEALTHS)[number]>;
  waiting: Distribution<(typeof WAITING_FOR)[number]>;
  nineBox: { cells: NineBoxCell[]; evaluated: number };
  pendingPlans: { rows: (Omit<PendingPlanRow, 'createdAt'> & { createdAt: string })[]; total: number };
  stalled: {
    rows: (Omit<StalledRow, 'updatedAt'> & { updatedAt: string })[];
    total: number;
    stageForMs: number;
    executeForDays: number;
  };
  review: ReviewRunView | null;
  /** The year a review started now would cover (the rules' default: last year until June). */
  suggestedReviewYear: number;
}

function distribution<V extends string>(values: readonly V[], counts: Map<string | null, number>): Distribution<V> {
  return { values: values.map((value) => ({ value, count: counts.get(value) ?? 0 })), unset: counts.get(null) ?? 0 };
}

export function reviewRunView(run: ReviewRunRow, counted?: Map<string, number>): ReviewRunView {
  // Run ids are `<workflowId>:<firstRunId>`; the workflow id itself may contain colons.
  const cut = run.id.lastIndexOf(':');
  return {
    id: run.id,
    year: run.year,
    status: run.status,
    total: run.total,
    done: Math.max(run.done, counted?.get(run.id) ?? 0),
    failed: run.failed,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt ? run.finishedAt.toISOString() : null,
    workflowId: cut > 0 ? run.id.slice(0, cut) : run.id,
  };
}

/** Mirrors the review workflow's default year: the year that ended, until the middle of the next. */
export function suggestedReviewYear(now = new Date()): number {
  return now.getUTCMonth() < 6 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
}

export async function loadPortfolio(db: Db, user: SessionUser, now = new Date()): Promise<PortfolioData> {
  const scope = await accountScope(db, user);
  const where = withinScope(scope);
  const [specs, fallback] = await Promise.all([levelSpecs(db), rulesFor(db, '*')]);
  const executeForDays = fallback.ruleSet.monitor.intervalDays + EXECUTE_SLACK_DAYS;
  const stalledWhen = stalledCondition({ now, stageForMs: STAGE_STALL_MS, executeForMs: executeForDays * 86_400_000 });
  const [counts, pendingPlans, run] = await Promise.all([
    portfolioCounts(db, where, levelExpressions(specs), stalledWhen),
    pendingPlansWhere(db, where, 8),
    latestReviewRun(db).then(async (r) => (r ? { run: r, counted: await reviewCountsByRun(db, [r.id]) } : undefined)),
  ]);
  // Most portfolios have nothing stalled: the rows are read only when the count says so.
  const stalledRows = counts.stalled > 0 ? await stalledRowsWhere(db, where, stalledWhen, 8) : [];
  const cells = counts.nineBox;
  const matrix = fallback.ruleSet.classify.matrix as AccountClass[][];
  const rowOf: Record<Level, number> = { H: 0, M: 1, L: 2 };
  const columnOf: Record<Level, number> = { L: 0, M: 1, H: 2 };
  const grid: NineBoxCell[] = [];
  // Rows potential H→L, columns contribution L→H: the method's own table.
  for (const potential of [...LEVELS].reverse()) {
    for (const contribution of LEVELS) {
      const here = cells.filter((c) => c.potential === potential && c.contribution === contribution);
      grid.push({
        potential,
        contribution,
        matrixClass: matrix[rowOf[potential]]![columnOf[contribution]]!,
        count: here.reduce((s, c) => s + c.count, 0),
        classes: here.map((c) => ({ class: c.class, count: c.count })).sort((a, b) => b.count - a.count),
      });
    }
  }
  return {
    seesAll: scope.kind === 'all',
    isAdmin: user.role === 'admin',
    total: counts.total,
    tiers: distribution(TIERS, counts.tier),
    classes: distribution(CLASSES, counts.class),
    stages: distribution(STAGES, counts.stage),
    health: distribution(HEALTHS, counts.health),
    waiting: distribution(WAITING_FOR, counts.waitingFor),
    nineBox: { cells: grid, evaluated: grid.reduce((s, c) => s + c.count, 0) },
    pendingPlans: {
      total: pendingPlans.total,
      rows: pendingPlans.rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    },
    stalled: {
      total: counts.stalled,
      rows: stalledRows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() })),
      stageForMs: STAGE_STALL_MS,
      executeForDays,
    },
    review: run ? reviewRunView(run.run, run.counted) : null,
    suggestedReviewYear: suggestedReviewYear(now),
  };
}

export interface PortfolioLive {
  /** The running review's own count (the table lags behind its acknowledgements). */
  progress: Live<ReviewProgress | null>;
  /** Admins only. */
  schedule: Live<{ nextRuns: string[]; paused: boolean } | null> | null;
  /** Account workflows that failed or were terminated, within the user's scope. */
  failed: Live<{ accountId: string; name: string; status: string; closedAt: string | null }[]>;
  /** The workflow's last error for the stalled accounts shown. */
  errors: Live<Record<string, { stage: string; message: string; at: string }>>;
}

/** The part of the portfolio only Temporal knows; every piece degrades on its own. */
export async function loadPortfolioLive(
  db: Db,
  user: SessionUser,
  data: PortfolioData,
  port: TemporalPort | null,
): Promise<PortfolioLive> {
  const scope = await accountScope(db, user);
  const where = withinScope(scope);
  const running = data.review?.status === 'running' ? data.review.workflowId : null;
  const [progress, schedule, failed, errors] = await Promise.all([
    live(port, async (p) => (running ? p.reviewProgress(running) : null)),
    user.role === 'admin'
      ? live(port, async (p) => {
          const s = await p.reviewSchedule();
          return s ? { nextRuns: s.nextRuns.map((d) => d.toISOString()), paused: s.paused } : null;
        })
      : Promise.resolve(null),
    live(port, async (p) => {
      const closed = await p.closedAccountWorkflows(50);
      const visible = await idsWhere(
        db,
        where,
        closed.map((c) => c.accountId),
      );
      // Admins also see workflows whose account is gone from the database (they end AccountNotFound).
      return closed
        .filter((c) => visible.has(c.accountId) || user.role === 'admin')
        .slice(0, 10)
        .map((c) => ({
          accountId: c.accountId,
          name: visible.get(c.accountId) ?? c.accountId,
          status: c.status,
          closedAt: c.closedAt ? c.closedAt.toISOString() : null,
        }));
    }),
    live(port, async (p) => {
      const out: Record<string, { stage: string; message: string; at: string }> = {};
      await Promise.all(
        data.stalled.rows.map(async (r) => {
          const state = await p.accountState(r.id).catch(() => null);
          const e = state?.lastError;
          if (e && !e.resolvedAt) out[r.id] = { stage: e.stage, message: e.message, at: e.at };
        }),
      );
      return out;
    }),
  ]);
  return { progress, schedule, failed, errors };
}

/**
 * Starts the annual review now: admins only, checked here as well as by the route. Waits briefly
 * for the run's row (the workflow's first step writes it), so the page that follows already shows
 * the run and keeps its progress live.
 */
export async function runReviewNow(
  user: SessionUser,
  port: TemporalPort | null,
  year: number,
  db?: Db,
  waitMs = 5_000,
): Promise<Live<{ workflowId: string }>> {
  if (!hasRole(user, 'admin')) error(403, 'Forbidden');
  const since = new Date(Date.now() - 1000);
  const started = await live(port, (p) => p.startReview(year), UPDATE_TIMEOUT_MS);
  if (started.status === 'ok' && db) {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && !(await reviewRunOf(db, started.value.workflowId, since)))
      await new Promise((r) => setTimeout(r, 150));
  }
  return started;
}

// ---- the reviews page ---------------------------------------------------------------------------

export interface ReviewsData {
  runs: ReviewRunView[];
  years: number[];
  year: number | null;
  summary: PortfolioReview | null;
  records: { rows: ReviewListRow[]; total: number; page: number; pageSize: number };
  changedOnly: boolean;
  seesAll: boolean;
}

const REVIEW_PAGE_SIZE = 50;

function matrixOf<K extends string>(keys: readonly K[], pairs: { before: string; after: string; count: number }[]): Matrix<K> {
  const m = migrationMatrix(keys, []);
  for (const p of pairs) if (p.before in m && p.after in m[p.before as K]) m[p.before as K][p.after as K] += p.count;
  return m;
}

/**
 * Review runs, and for one year the per-account records and the migration matrices, within the
 * user's scope. The summary has the engine's `summarizeReviews` shape, aggregated in SQL.
 */
export async function loadReviews(db: Db, user: SessionUser, params: URLSearchParams): Promise<ReviewsData> {
  const scope = await accountScope(db, user);
  const where = withinScope(scope);
  const [runRows, years] = await Promise.all([reviewRunsPage(db, 20), reviewYears(db)]);
  const counted = await reviewCountsByRun(
    db,
    runRows.map((r) => r.id),
  );
  const runs = runRows.map((r) => reviewRunView(r, counted));
  const asked = Number(params.get('year'));
  const year = years.includes(asked) ? asked : (years[0] ?? null);
  const page = Math.max(1, Math.min(100_000, Math.floor(Number(params.get('page') ?? '1')) || 1));
  const changedOnly = params.get('changed') === '1';
  if (year === null)
    return {
      runs,
      years,
      year,
      summary: null,
      records: { rows: [], total: 0, page, pageSize: REVIEW_PAGE_SIZE },
      changedOnly,
      seesAll: scope.kind === 'all',
    };
  const [aggregate, records] = await Promise.all([
    reviewAggregateWhere(db, year, where),
    reviewsPageWhere(db, year, where, { page, pageSize: REVIEW_PAGE_SIZE, changedOnly }),
  ]);
  const summary: PortfolioReview = {
    accounts: aggregate.accounts,
    tierMigration: matrixOf(TIERS, aggregate.tier),
    classMigration: matrixOf(CLASSES, aggregate.class),
    strategyChanges: Object.fromEntries(aggregate.strategy.map((s) => [`${s.before}->${s.after}`, s.count])),
    attainment: { mean: aggregate.attainmentMean, atOrAbove1: aggregate.attainmentAtOrAbove1 },
    opportunities: { count: aggregate.opportunitiesCount, value: aggregate.opportunitiesValue },
  };
  return {
    runs,
    years,
    year,
    summary,
    records: { ...records, page, pageSize: REVIEW_PAGE_SIZE },
    changedOnly,
    seesAll: scope.kind === 'all',
  };
}
