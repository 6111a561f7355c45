import { loadAccountsPage } from '$lib/server/accounts.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireUser(locals);
  return { list: await loadAccountsPage(await db(), user, url.searchParams) };
};
