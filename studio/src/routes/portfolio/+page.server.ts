import { CLASSES, HEALTHS, STAGES, TIERS } from '$engine/model.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import { countAccountsBy, countScopedAccounts, type CountColumn } from '$lib/server/portfolio.js';
import { accountScope } from '$lib/server/scope.js';
import type { PageServerLoad } from './$types';

/** Counts for every known value (zero included, so the charts keep their shape) plus the unevaluated. */
function distribution<V extends string>(values: readonly V[], counts: Map<string | null, number>) {
  return { values: values.map((value) => ({ value, count: counts.get(value) ?? 0 })), unset: counts.get(null) ?? 0 };
}

export const load: PageServerLoad = async ({ locals }) => {
  const user = requireUser(locals);
  const database = await db();
  const scope = await accountScope(database, user);
  const by = (column: CountColumn) => countAccountsBy(database, scope, column);
  const [total, tiers, classes, stages, health] = await Promise.all([
    countScopedAccounts(database, scope),
    by('tier'),
    by('class'),
    by('stage'),
    by('health'),
  ]);
  return {
    seesAll: scope.kind === 'all',
    total,
    tiers: distribution(TIERS, tiers),
    classes: distribution(CLASSES, classes),
    stages: distribution(STAGES, stages),
    health: distribution(HEALTHS, health),
  };
};
