import { fail } from '@sveltejs/kit';
import { db } from '$lib/server/db.js';
import { requireRole, requireUser } from '$lib/server/guards.js';
import { loadPortfolio, loadPortfolioLive, runReviewNow } from '$lib/server/portfolio.js';
import { temporal } from '$lib/server/temporal.js';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, depends }) => {
  // The page re-runs this while a review is in progress, for its live progress.
  depends('app:portfolio');
  const user = requireUser(locals);
  const database = await db();
  const portfolio = await loadPortfolio(database, user);
  // Streamed: the counts render at once; what only Temporal knows follows when it answers.
  const live = (async () => loadPortfolioLive(database, user, portfolio, await temporal()))();
  return { portfolio, live };
};

export const actions: Actions = {
  /** Admins start the annual review now (the hooks let managers post here; this refuses them). */
  review: async ({ locals, request }) => {
    const user = requireRole(locals, 'admin');
    const year = Number((await request.formData()).get('year'));
    if (!Number.isInteger(year) || year < 2000 || year > 2100)
      return fail(400, { review: { ok: false as const, code: 'invalidYear' } });
    const started = await runReviewNow(user, await temporal(), year, await db());
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
