/** The annual reviews: each run's outcome and the accounts whose tier or class it changed, within the user's scope. */
import type { Db } from '$db/client.js';
import { reviewAggregateWhere, reviewCountsByRun, reviewRunsPage, reviewsPageWhere, reviewYears, type ReviewListRow } from '$db/repositories/reviews.js';
import type { PortfolioReview } from '$engine/index.js';
import { classMatrix, tierMatrix } from '$lib/server/review-matrices.js';
import type { SessionUser } from '$lib/user.js';
import { accountScope, withinScope } from '$lib/server/scope.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import type { PageServerLoad } from './$types.js';
import type { ReviewRunView } from '$lib/components/portfolio/types.js';
import { reviewRunView } from '$lib/server/review-run-view.js';

interface ReviewsData {
  runs: ReviewRunView[];
  years: number[];
  year: number | null;
  summary: PortfolioReview | null;
  records: { rows: ReviewListRow[]; total: number; page: number; pageSize: number };
  changedOnly: boolean;
  seesAll: boolean;
}

const REVIEW_PAGE_SIZE = 50;

/**
 * Review runs, and for one year the per-account records and the migration matrices, within the
 * user's scope. The summary has the engine's `summarizeReviews` shape, aggregated in SQL.
 */
export async function _loadReviews(db: Db, user: SessionUser, params: URLSearchParams): Promise<ReviewsData> {
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
    tierMigration: tierMatrix(aggregate),
    classMigration: classMatrix(aggregate),
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

export const load: PageServerLoad = async ({ locals, url, depends }) => {
  depends('app:reviews');
  const user = requireUser(locals);
  return { reviews: await _loadReviews(await db(), user, url.searchParams) };
};
