/**
 * The compiled rules the account pages and the portfolio read: an industry's effective rule set,
 * and the nine-box level specs the list's SQL filters use.
 */
import type { Db } from '$db/client.js';
import { getEffectiveRules, publishedRuleSetIds } from '$db/repositories/rule-sets.js';
import type { LevelSpecs } from '$db/repositories/accounts-portfolio.js';
import { scaledBands, type EspRules } from '$engine/index.js';
import { WAITING_FOR } from '$workflows/types.js';

/** The effective published rules of an industry (the rule-set repository compiles and caches them). */
export const rulesFor = (db: Db, industry: string | null | undefined): Promise<EspRules> => getEffectiveRules(db, industry);

let levelCache: { key: string; specs: LevelSpecs } | undefined;

/** Bands and cuts per industry with its own rule set: what the nine-box levels are computed from. */
export async function levelSpecs(db: Db): Promise<LevelSpecs> {
  const published = await publishedRuleSetIds(db);
  const key = published.map((r) => r.id).join(',');
  if (levelCache?.key === key) return levelCache.specs;
  const specOf = (rules: EspRules) => {
    const bands = scaledBands(rules.ruleSet);
    return { revenueBands: bands.revenue, potentialBands: bands.potential, cuts: rules.ruleSet.classify.cuts };
  };
  const specs: LevelSpecs = { fallback: specOf(await rulesFor(db, '*')), industries: {} };
  for (const { industry } of published) if (industry !== '*') specs.industries[industry] = specOf(await rulesFor(db, industry));
  levelCache = { key, specs };
  return specs;
}

export { WAITING_FOR };
