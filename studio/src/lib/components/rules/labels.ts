/**
 * Which catalogue namespace words a data value (`label(namespace, value)`), for the values rules
 * compare and decide: a fact's enum values, and each section's event parameters.
 */
export const FACT_VALUE_NAMESPACE: Record<string, string> = {
  industry: 'industry',
  status: 'accountStatus',
  tier: 'tier',
  class: 'class',
  contributionLevel: 'level',
  potentialLevel: 'level',
  flags: 'flag',
  strategy: 'strategy',
  planStrategy: 'strategy',
};

/** A section's event: its type and parameters, each with the vocabulary list and label namespace. */
export const EVENT_PARAMS = {
  flags: { type: 'flag', params: [{ key: 'flag', values: 'flags', namespace: 'flag' }] },
  coverage: {
    type: 'coverage',
    params: [
      { key: 'line', values: 'lines', namespace: 'line' },
      { key: 'presalesTier', values: 'presalesTiers', namespace: 'presales' },
      { key: 'track', values: 'tracks', namespace: 'track' },
    ],
  },
  strategy: { type: 'strategy', params: [{ key: 'strategy', values: 'strategies', namespace: 'strategy' }] },
  investment: { type: 'investment', params: [{ key: 'level', values: 'investmentLevels', namespace: 'investment' }] },
  health: { type: 'health', params: [{ key: 'health', values: 'healths', namespace: 'health' }] },
} as const;
