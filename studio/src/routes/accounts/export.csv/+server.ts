import { exportAccountsCsv } from '$lib/server/accounts.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import type { RequestHandler } from './$types';

/** The accounts list's current filters (every page, not just the one shown) as CSV. */
export const GET: RequestHandler = async ({ locals, url }) => {
  const user = requireUser(locals);
  const body = await exportAccountsCsv(await db(), user, url.searchParams);
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="accounts-${stamp}.csv"`,
      'cache-control': 'no-store',
    },
  });
};
