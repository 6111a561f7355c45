import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import { listScopedAccounts } from '$lib/server/portfolio.js';
import { accountScope } from '$lib/server/scope.js';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 50;

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireUser(locals);
  const requested = Number(url.searchParams.get('page') ?? '1');
  const page = Number.isInteger(requested) && requested > 0 ? requested : 1;
  const database = await db();
  const scope = await accountScope(database, user);
  return { list: await listScopedAccounts(database, scope, page, PAGE_SIZE), seesAll: scope.kind === 'all' };
};
