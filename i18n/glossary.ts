/**
 * The glossary: the ESP+ method's terms, grouped as the article presents them. Each term has
 * `term.<id>` (its name) and `term.<id>.desc` (what it means) in both catalogues.
 */
import type { MessageKey } from './catalog.js';

export type TermId = { [K in MessageKey]: K extends `term.${infer Id}.desc` ? Id : never }[MessageKey];
export type GlossarySection = 'method' | 'stages' | 'strategies' | 'execution';

export const GLOSSARY: readonly { section: GlossarySection; terms: readonly TermId[] }[] = [
  { section: 'method', terms: ['kam', 'esp', 'incubation'] },
  {
    section: 'stages',
    terms: [
      'profile',
      'grading',
      'compositeScore',
      'classification',
      'nineBox',
      'twoRelationships',
      'reportingLines',
      'politicalMap',
      'persona',
      'coverage',
      'regionalLine',
      'accountLine',
      'supportLine',
      'planning',
    ],
  },
  {
    section: 'strategies',
    terms: ['fiveStrategies', 'acquire', 'grow', 'retain', 'winBack', 'waitAndWatch', 'valueProposition'],
  },
  {
    section: 'execution',
    terms: ['monitoring', 'actionPlan', 'visitManagement', 'execute', 'majorProjectTrack', 'fastTrack', 'review'],
  },
];
