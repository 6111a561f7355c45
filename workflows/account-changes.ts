/**
 * Which account changes the account workflow must decide again. Pure: imported by workflow code.
 *
 * Every account, contact and competitor field is a fact the rule sets may read (rules/FACTS.md), so
 * a change of any of them re-grades the account and decides the later stages again; only the few
 * fields no rule or stage reads leave the decisions as they are. A change without a field list
 * (an older client, an import) may have changed anything.
 */

/** Fields that no decision reads: the name shown, and the parent's id (not a fact). */
export const DECISION_NEUTRAL_FIELDS: readonly string[] = ['name', 'parentId'];

export function changeNeedsReevaluation(fields: readonly string[] | undefined): boolean {
  if (!fields || fields.length === 0) return true;
  return fields.some((f) => !DECISION_NEUTRAL_FIELDS.includes(f));
}
