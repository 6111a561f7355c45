/** The accounts list: a page of the accounts in the user's scope, filtered and sorted, with the filters' options. */
import type { Db } from '$db/client.js';
import { countAccountsBy, listAccountsWhere } from '$db/repositories/accounts-list.js';
import { teamNames } from '$db/repositories/teams.js';
import { userNames } from '$db/repositories/users.js';
import type { SessionUser } from '$lib/user.js';
import { accountScope, withinScope, type AccountScope } from '$lib/server/scope.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import type { PageServerLoad } from './$types.js';
import { type AccountQuery, accountQueryWhere, isFiltered, parseAccountQuery } from '$lib/server/account-query.js';
import { type AccountsPage } from '$lib/components/accounts/types.js';

const OPTIONS_TTL_MS = 15_000;

const optionsCache = new WeakMap<Db, Map<string, { at: number; value: Promise<AccountsPage['options']> }>>();

/**
 * The industries, owners and covering teams to offer as filters within a scope. They change rarely, and reading
 * them is a scan of the scope on every list request, so they are kept for a few seconds.
 */
async function filterOptions(db: Db, scope: AccountScope): Promise<AccountsPage['options']> {
  let cache = optionsCache.get(db);
  if (!cache) optionsCache.set(db, (cache = new Map()));
  const key = JSON.stringify(scope);
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < OPTIONS_TTL_MS) return hit.value;
  const value = (async () => {
    const counts = await countAccountsBy(db, withinScope(scope), ['industry', 'ownerId', 'coverageTeam']);
    const ownerIds = [...counts.ownerId.keys()].filter((v): v is string => v !== null);
    const teamIds = [...counts.coverageTeam.keys()].filter((v): v is string => v !== null);
    const [names, teams] = await Promise.all([userNames(db, ownerIds), teamNames(db, teamIds)]);
    return {
      industries: [...counts.industry.keys()].filter((v): v is string => v !== null).sort(),
      owners: ownerIds
        .map((id) => ({ id, name: names.get(id) ?? null, count: counts.ownerId.get(id) ?? 0 }))
        .sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id)),
      teams: teamIds
        .map((id) => ({ id, name: teams.get(id) ?? null, count: counts.coverageTeam.get(id) ?? 0 }))
        .sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id)),
    };
  })();
  cache.set(key, { at: Date.now(), value });
  value.catch(() => cache.delete(key));
  return value;
}

export async function _loadAccountsPage(
  db: Db,
  user: SessionUser,
  params: URLSearchParams | AccountQuery,
): Promise<AccountsPage> {
  const query = params instanceof URLSearchParams ? parseAccountQuery(params) : params;
  const scope = await accountScope(db, user);
  const where = await accountQueryWhere(db, scope, query);
  const [list, options] = await Promise.all([
    listAccountsWhere(db, where, { sort: query.sort, direction: query.dir, page: query.page, pageSize: query.size }),
    filterOptions(db, scope),
  ]);
  return {
    query,
    rows: list.rows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() })),
    total: list.total,
    page: query.page,
    pageSize: query.size,
    pages: Math.max(1, Math.ceil(list.total / query.size)),
    seesAll: scope.kind === 'all',
    filtered: isFiltered(query),
    options,
  };
}

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireUser(locals);
  return { list: await _loadAccountsPage(await db(), user, url.searchParams) };
};
