import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import { loadReviews } from '$lib/server/portfolio.js';
import type { PageServerLoad } from './$types.js';

export const load: PageServerLoad = async ({ locals, url, depends }) => {
  depends('app:reviews');
  const user = requireUser(locals);
  return { reviews: await loadReviews(await db(), user, url.searchParams) };
};
