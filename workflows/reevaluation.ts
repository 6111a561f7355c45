/**
 * What a re-evaluation (rules published, account changed) changed against what the workflow had,
 * and what follows from it. Pure: shared by workflow code and the activities.
 */
import type { AssessSummary, ReevaluationBasis, ReevaluationChange, RuleSetUsed } from './types.js';

/** A pending plan rests on these: when one changes, the plan is rebuilt under the new rules. */
const PLAN_BASIS: readonly ReevaluationChange['field'][] = ['tier', 'class', 'strategy'];

export function reevaluationChanges(before: ReevaluationBasis, assess: AssessSummary): ReevaluationChange[] {
  const after: Record<ReevaluationChange['field'], string> = {
    tier: assess.grade.tier,
    class: assess.classify.class,
    strategy: assess.coverage.strategy,
    track: assess.coverage.track,
  };
  return (Object.keys(after) as ReevaluationChange['field'][])
    .filter((field) => before[field] !== after[field])
    .map((field) => ({ field, from: before[field], to: after[field] }));
}

export const rebuildsPlan = (changes: readonly ReevaluationChange[]): boolean =>
  changes.some((c) => PLAN_BASIS.includes(c.field));

/** The history's line: "re-evaluated under retail v3: no change" or "…: tier T2 → T1, class B → A". */
export function reevaluationLine(ruleSet: RuleSetUsed, changes: readonly ReevaluationChange[]): string {
  const what = changes.length ? changes.map((c) => `${c.field} ${c.from ?? '—'} → ${c.to}`).join(', ') : 'no change';
  return `re-evaluated under ${ruleSet.industry} v${ruleSet.version}: ${what}`;
}
