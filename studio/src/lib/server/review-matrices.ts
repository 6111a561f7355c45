/** A review year's migration matrices (tier, class) from the aggregate's before → after counts. */
import type { ReviewAggregate } from '$db/repositories/reviews.js';
import { CLASSES, TIERS, migrationMatrix, type Matrix } from '$engine/index.js';

function matrixOf<K extends string>(keys: readonly K[], pairs: { before: string; after: string; count: number }[]): Matrix<K> {
  const m = migrationMatrix(keys, []);
  for (const p of pairs) if (p.before in m && p.after in m[p.before as K]) m[p.before as K][p.after as K] += p.count;
  return m;
}

export const tierMatrix = (aggregate: ReviewAggregate) => matrixOf(TIERS, aggregate.tier);
export const classMatrix = (aggregate: ReviewAggregate) => matrixOf(CLASSES, aggregate.class);
