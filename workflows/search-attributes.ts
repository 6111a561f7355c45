// Custom search attributes of ESP+ workflows. Imported by workflow code, so it
// must stay sandbox-safe: @temporalio/common only, no Node built-ins.
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
} from '@temporalio/common';

export const SEARCH_ATTRIBUTES = [
  'EspStage',
  'EspTier',
  'EspClass',
  'EspStrategy',
  'EspHealth',
  'EspIndustry',
  'EspOwner',
] as const;

export type SearchAttributeName = (typeof SEARCH_ATTRIBUTES)[number];

// All of them are Keyword: exact-match filters and facets in the studio, never
// full-text search, and Keyword is the only string type usable in ORDER BY.
export const SEARCH_ATTRIBUTE_TYPE = SearchAttributeType.KEYWORD;
// SearchAttributeKey itself is not re-exported from the package root in 1.24.
export type EspSearchAttributeKey = ReturnType<typeof defineSearchAttributeKey<typeof SearchAttributeType.KEYWORD>>;

export const SEARCH_ATTRIBUTE_KEYS: { readonly [N in SearchAttributeName]: EspSearchAttributeKey } = {
  EspStage: defineSearchAttributeKey('EspStage', SearchAttributeType.KEYWORD),
  EspTier: defineSearchAttributeKey('EspTier', SearchAttributeType.KEYWORD),
  EspClass: defineSearchAttributeKey('EspClass', SearchAttributeType.KEYWORD),
  EspStrategy: defineSearchAttributeKey('EspStrategy', SearchAttributeType.KEYWORD),
  EspHealth: defineSearchAttributeKey('EspHealth', SearchAttributeType.KEYWORD),
  EspIndustry: defineSearchAttributeKey('EspIndustry', SearchAttributeType.KEYWORD),
  EspOwner: defineSearchAttributeKey('EspOwner', SearchAttributeType.KEYWORD),
};

export function isSearchAttributeName(name: string): name is SearchAttributeName {
  return (SEARCH_ATTRIBUTES as readonly string[]).includes(name);
}

/** `typedSearchAttributes` for workflow start options, e.g. `espSearchAttributes({ EspStage: 'onboarding' })`. */
export function espSearchAttributes(values: Partial<Record<SearchAttributeName, string>>): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [];
  for (const name of SEARCH_ATTRIBUTES) {
    const value = values[name];
    if (value !== undefined) pairs.push({ key: SEARCH_ATTRIBUTE_KEYS[name], value });
  }
  return pairs;
}

/** Argument for `upsertSearchAttributes` in workflow code; `null` removes the attribute. */
export function espSearchAttributeUpdates(
  values: Partial<Record<SearchAttributeName, string | null>>,
): SearchAttributeUpdatePair[] {
  const pairs: SearchAttributeUpdatePair[] = [];
  for (const name of SEARCH_ATTRIBUTES) {
    const value = values[name];
    if (value !== undefined) pairs.push({ key: SEARCH_ATTRIBUTE_KEYS[name], value });
  }
  return pairs;
}
