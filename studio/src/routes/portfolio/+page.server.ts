/**
 * The portfolio read model, always within the user's account scope: counts come from one
 * GROUPING SETS scan and the nine-box from one grouped scan, so the page costs the same few
 * queries for 100 or 100,000 accounts. What only Temporal knows (a review's live progress, the
 * schedule, failed workflows) is loaded separately so the page never waits on it.
 */
import { error } from '@sveltejs/kit';
import type { Db } from '$db/client.js';
import type { SQL } from 'drizzle-orm';
import { idsWhere } from '$db/repositories/accounts-list.js';
import {
  latestReviewRun,
  nextCycleStartedWhere,
  reviewAccountCount,
  reviewAggregateWhere,
  reviewCountsByRun,
  reviewRunOf,
} from '$db/repositories/reviews.js';
import type { ReviewRunRow } from '$db/schema.js';
import { classMatrix, tierMatrix } from '$lib/server/review-matrices.js';
import {
  levelExpressions,
  portfolioCounts,
  stalledCondition,
  stalledRowsWhere,
  type StalledRow,
} from '$db/repositories/accounts-portfolio.js';
import { pendingPlanRow, pendingPlansWhere, type PendingPlanRow } from '$db/repositories/plans.js';
import { approvalQueue } from '$lib/server/plan-decisions.js';
import { CLASSES, HEALTHS, LEVELS, STAGES, TIERS, type AccountClass, type Level } from '$engine/index.js';
import type { SessionUser } from '$lib/user.js';
import { levelSpecs, rulesFor } from '$lib/server/account-rules.js';
import { WAITING_FOR } from '$workflows/types.js';
import { hasRole } from '$lib/server/guards.js';
import { accountScope, withinScope } from '$lib/server/scope.js';
import { live, UPDATE_TIMEOUT_MS, type Live, type TemporalPort } from '$lib/server/temporal.js';
import { fail } from '@sveltejs/kit';
import { db } from '$lib/server/db.js';
import { requireRole, requireUser } from '$lib/server/guards.js';
import { temporal } from '$lib/server/temporal.js';
import type { Actions, PageServerLoad } from './$types.js';
import type {
  Distribution,
  NineBoxCell,
  ReviewRunView,
  PortfolioLive,
  ReviewConfirmation,
  ReviewOutcome,
} from '$lib/components/portfolio/types.js';
import { reviewRunView } from '$lib/server/review-run-view.js';
import { monthlyDistribution, type MonthCount } from '$db/repositories/stage-results.js';
import type { Trend } from '$lib/components/portfolio/types.js';

/** A stage that ran but was not followed by the next for this long has stalled. */
const STAGE_STALL_MS = 15 * 60 * 1000;

/** Slack on top of the monitor interval before an execute loop without a monitor counts as stalled. */
const EXECUTE_SLACK_DAYS = 5;

interface PortfolioData {
  seesAll: boolean;
  isAdmin: boolean;
  total: number;
  tiers: Distribution<(typeof TIERS)[number]>;
  classes: Distribution<AccountClass>;
  stages: Distribution<(typeof STAGES)[number]>;
  health: Distribution<(typeof HEALTHS)[number]>;
  waiting: Distribution<(typeof WAITING_FOR)[number]>;
  nineBox: { cells: NineBoxCell[]; evaluated: number };
  /**
   * `all`: every plan waiting (a user who sees all accounts); `yours`: the plans this user may
   * decide (the approval queue's first rows), so the list's heading can say so.
   */
  pendingPlans: { whose: 'all' | 'yours'; rows: (Omit<PendingPlanRow, 'createdAt'> & { createdAt: string })[]; total: number };
  stalled: {
    rows: (Omit<StalledRow, 'updatedAt'> & { updatedAt: string })[];
    total: number;
    stageForMs: number;
    executeForDays: number;
  };
  review: ReviewRunView | null;
  reviewOutcome: ReviewOutcome | null;
  /** Tier and health at each month's end, from the audit trail. */
  trends: { tier: Trend; health: Trend };
  /** The year a review started now would cover (the rules' default: last year until June). */
  suggestedReviewYear: number;
}

function distribution<V extends string>(values: readonly V[], counts: Map<string | null, number>): Distribution<V> {
  return { values: values.map((value) => ({ value, count: counts.get(value) ?? 0 })), unset: counts.get(null) ?? 0 };
}

/** How many months the trend charts look back. */
const TREND_MONTHS = 12;

/** Every month of the window (empty ones too), oldest first, with the counts the audit trail gave. */
function trendOf(values: readonly string[], rows: MonthCount[], now: Date): Trend {
  const months: Trend['months'] = [];
  for (let i = TREND_MONTHS - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    months.push({ month: d.toISOString().slice(0, 7), counts: {} });
  }
  const byMonth = new Map(months.map((m) => [m.month, m.counts]));
  for (const r of rows) {
    const counts = byMonth.get(r.month);
    if (counts && values.includes(r.value)) counts[r.value] = r.count;
  }
  return { values: [...values], months };
}

/** The latest run's effects within the scope: next cycles started, and once finished its migrations. */
async function reviewOutcome(db: Db, run: ReviewRunRow, where: SQL | undefined): Promise<ReviewOutcome> {
  const [nextCycleStarted, aggregate] = await Promise.all([
    nextCycleStartedWhere(db, run.year, where),
    run.status === 'completed' ? reviewAggregateWhere(db, run.year, where) : Promise.resolve(null),
  ]);
  return {
    nextYear: run.year + 1,
    nextCycleStarted,
    migrations: aggregate ? { tier: tierMatrix(aggregate), class: classMatrix(aggregate) } : null,
  };
}

/** How many waiting plans the portfolio lists. */
const PENDING_SHOWN = 8;

/** What the portfolio lists as waiting: all plans for a user who sees all, else the user's own decisions. */
async function pendingPlansFor(
  db: Db,
  user: SessionUser,
  seesAll: boolean,
  where: SQL | undefined,
): Promise<PortfolioData['pendingPlans']> {
  const iso = <T extends { createdAt: Date }>(r: T) => ({ ...r, createdAt: r.createdAt.toISOString() });
  if (seesAll) {
    const all = await pendingPlansWhere(db, where, PENDING_SHOWN);
    return { whose: 'all', rows: all.rows.map(iso), total: all.total };
  }
  const queue = await approvalQueue(db, user, PENDING_SHOWN);
  return { whose: 'yours', rows: queue.rows.map((q) => iso(pendingPlanRow(q))), total: queue.total };
}

/** Mirrors the review workflow's default year: the year that ended, until the middle of the next. */
function suggestedReviewYear(now = new Date()): number {
  return now.getUTCMonth() < 6 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
}

export async function _loadPortfolio(db: Db, user: SessionUser, now = new Date()): Promise<PortfolioData> {
  const scope = await accountScope(db, user);
  const where = withinScope(scope);
  const [specs, fallback] = await Promise.all([levelSpecs(db), rulesFor(db, '*')]);
  const executeForDays = fallback.ruleSet.monitor.intervalDays + EXECUTE_SLACK_DAYS;
  const stalledWhen = stalledCondition({ now, stageForMs: STAGE_STALL_MS, executeForMs: executeForDays * 86_400_000 });
  const [counts, pendingPlans, run, tierTrend, healthTrend] = await Promise.all([
    portfolioCounts(db, where, levelExpressions(specs), stalledWhen),
    pendingPlansFor(db, user, scope.kind === 'all', where),
    latestReviewRun(db).then(async (r) => {
      if (!r) return undefined;
      const [counted, outcome] = await Promise.all([reviewCountsByRun(db, [r.id]), reviewOutcome(db, r, where)]);
      return { run: r, counted, outcome };
    }),
    monthlyDistribution(db, 'tier', { months: TREND_MONTHS, now, where }),
    monthlyDistribution(db, 'health', { months: TREND_MONTHS, now, where }),
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
    pendingPlans,
    stalled: {
      total: counts.stalled,
      rows: stalledRows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() })),
      stageForMs: STAGE_STALL_MS,
      executeForDays,
    },
    review: run ? reviewRunView(run.run, run.counted) : null,
    reviewOutcome: run?.outcome ?? null,
    trends: { tier: trendOf(TIERS, tierTrend, now), health: trendOf(HEALTHS, healthTrend, now) },
    suggestedReviewYear: suggestedReviewYear(now),
  };
}

/** The part of the portfolio only Temporal knows; every piece degrades on its own. */
export async function _loadPortfolioLive(
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
 * What an admin confirms before a review starts: the year, and how many accounts the run will
 * review, counted with the query the review workflow's first activity uses.
 */
export async function _reviewConfirmation(user: SessionUser, db: Db, year: number): Promise<ReviewConfirmation> {
  if (!hasRole(user, 'admin')) error(403, 'Forbidden');
  return { year, accounts: await reviewAccountCount(db) };
}

/**
 * Starts the annual review now: admins only, checked here as well as by the route. Waits briefly
 * for the run's row (the workflow's first step writes it), so the page that follows already shows
 * the run and keeps its progress live.
 */
export async function _runReviewNow(
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

export const load: PageServerLoad = async ({ locals, depends }) => {
  // The page re-runs this while a review is in progress, for its live progress.
  depends('app:portfolio');
  const user = requireUser(locals);
  const database = await db();
  const portfolio = await _loadPortfolio(database, user);
  // Streamed: the counts render at once; what only Temporal knows follows when it answers.
  const live = (async () => _loadPortfolioLive(database, user, portfolio, await temporal()))();
  return { portfolio, live };
};

export const actions: Actions = {
  /** Admins start the annual review now (the hooks let managers post here; this refuses them). */
  review: async ({ locals, request }) => {
    const user = requireRole(locals, 'admin');
    const form = await request.formData();
    const year = Number(form.get('year'));
    if (!Number.isInteger(year) || year < 2000 || year > 2100)
      return fail(400, { review: { ok: false as const, code: 'invalidYear' } });
    // Nothing starts until the admin has seen the year and how many accounts it will review.
    if (form.get('confirm') !== '1') return { reviewConfirm: await _reviewConfirmation(user, await db(), year) };
    const started = await _runReviewNow(user, await temporal(), year, await db());
    if (started.status === 'ok') return { review: { ok: true as const, year, workflowId: started.value.workflowId } };
    return fail(503, {
      review: {
        ok: false as const,
        code: started.status === 'unavailable' ? 'temporalDown' : 'workflow',
        id: started.status === 'error' ? String(started.error.params['id'] ?? '') : '',
      },
    });
  },
};
