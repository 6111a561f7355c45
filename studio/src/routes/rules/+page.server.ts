import { listIndustries } from '$db/repositories/rule-sets.js';
import { db } from '$lib/server/db.js';
import { requireRole } from '$lib/server/guards.js';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
  requireRole(locals, 'admin');
  const industries = await listIndustries(await db());
  return {
    industries: industries.map((i) => ({
      industry: i.industry,
      publishedVersion: i.published?.version ?? null,
      publishedAt: i.published?.publishedAt ?? null,
      hasDraft: Boolean(i.draft),
    })),
  };
};
