/**
 * The compiled rules the account pages and the portfolio read: an industry's effective rule set,
 * and the nine-box level specs the list's SQL filters use.
 */
import type { Db } from '$db/client.js';
import { getEffective } from '$db/repositories/rule-sets.js';
import { publishedRuleSetIds, type LevelSpecs } from '$db/repositories/studio-support.js';
import { compileRuleSet, scaledBands, type EspRules } from '$engine/index.js';
import { WAITING_FOR } from '$workflows/types.js';

const compiled = new Map<string, EspRules>();

/** The effective published rules of an industry, compiled once per version for the process. */
export async function rulesFor(db: Db, industry: string | null | undefined): Promise<EspRules> {
  const effective = await getEffective(db, industry ?? '*');
  let rules = compiled.get(effective.key);
  if (!rules) {
    rules = compileRuleSet(effective.ruleSet, {
      industry: effective.industry,
      version: effective.version,
      baseVersion: effective.baseVersion,
    });
    compiled.set(effective.key, rules);
  }
  return rules;
}

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
