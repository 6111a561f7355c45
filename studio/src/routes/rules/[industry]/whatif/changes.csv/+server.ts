/** The what-if's changed accounts (every page, the page's filter) as a CSV download (admins only). */
import { error } from '@sveltejs/kit';
import { getDraft } from '$db/repositories/rule-sets.js';
import { requireRole } from '$lib/server/guards.js';
import { industryParam, type GetDb, type RulesEvent } from '$lib/server/rule-set-pages.js';
import { db } from '$lib/server/db.js';
import { whatIfCacheKey, whatIfCsv, whatIfFilter } from '../what-if.server.js';
import type { RequestHandler } from './$types.js';

export function _whatIfCsvGet(getDb: GetDb) {
  return async ({ locals, params, url }: Pick<RulesEvent, 'locals' | 'params' | 'url'>): Promise<Response> => {
    requireRole(locals, 'admin');
    const industry = industryParam(params);
    const database = await getDb();
    const draft = await getDraft(database, industry);
    if (!draft) error(404, 'Not found');
    const result = await whatIfCsv(database, industry, draft.document, {
      filter: whatIfFilter(url.searchParams),
      cacheKey: await whatIfCacheKey(database, industry, draft),
    });
    // The page shows an invalid draft's problems; there is nothing to download for it.
    if (!result.ok) error(409, { message: 'The draft is invalid', key: 'rules.whatif.csvInvalid' });
    const slug = industry === '*' ? 'all' : industry.replace(/[^\w-]/g, '_');
    return new Response(`\uFEFF${result.csv}`, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="what-if-${slug}-r${draft.revision}.csv"`,
        'cache-control': 'no-store',
      },
    });
  };
}

export const GET: RequestHandler = _whatIfCsvGet(db);
