/** Stage 1, profile (客户档案): how complete the 360° record is, and whether the account may move on. */
import { GRADE_INPUTS, type Account } from '../model.js';
import type { ProfileItem, RuleSet } from '../ruleset-format/schema.js';

export interface ProfileResult {
  completeness: number;
  present: ProfileItem[];
  missing: ProfileItem[];
  /** The grade inputs that are missing or were only defaulted by an import. */
  missingGradeInputs: string[];
  ready: boolean;
}

const present = (v: unknown) => v !== null && v !== undefined && v !== '';

function has(account: Account, item: ProfileItem): boolean {
  switch (item) {
    case 'contacts':
      return account.contacts.length > 0;
    case 'keyContact':
      return account.contacts.some((c) => c.influence >= 4);
    case 'competitors':
      return account.competitors.length > 0 || account.competitorsNoneKnown;
    default:
      return present(account[item]);
  }
}

/**
 * @param defaulted fields an importer filled with a default rather than real data (e.g. a CRM
 *   export without `potential`): they count as missing so the account waits for the real value.
 */
export function profile(account: Account, rules: RuleSet, defaulted: readonly string[] = []): ProfileResult {
  const { checklist, minCompleteness } = rules.profile;
  const presentItems: ProfileItem[] = [];
  const missing: ProfileItem[] = [];
  for (const item of checklist) {
    if (has(account, item) && !defaulted.includes(item)) presentItems.push(item);
    else missing.push(item);
  }
  const missingGradeInputs = GRADE_INPUTS.filter((f) => !present(account[f]) || defaulted.includes(f));
  const completeness = checklist.length === 0 ? 1 : presentItems.length / checklist.length;
  return {
    completeness,
    present: presentItems,
    missing,
    missingGradeInputs,
    ready: missingGradeInputs.length === 0 && completeness >= minCompleteness,
  };
}
