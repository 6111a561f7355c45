import { listReviewRuns } from '$db/repositories/reviews.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
  requireUser(locals);
  const runs = await listReviewRuns(await db());
  return { runs: runs.slice(0, 20) };
};
