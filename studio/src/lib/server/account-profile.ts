/**
 * The profile checklist of an account (客户档案) as the profile panel shows it: each item of the
 * rule set's checklist, grouped the way the method groups them, present or missing, with the
 * completeness the profile stage computes (engine/stages/profile.ts, imported defaults counting as
 * missing) and the minimum it needs.
 */
import { profile, type Account, type ProfileItem } from '$engine/index.js';
import type { Db } from '$db/client.js';
import { getAccountWithState } from '$db/repositories/accounts.js';
import { rulesFor } from './account-rules.js';

/** The method's groups: who the customer is, its size, what the grade weighs, its people, its competition. */
export const PROFILE_GROUPS = {
  basics: ['industry', 'region', 'status', 'ownerId'],
  size: ['employees', 'companyRevenue'],
  grade: ['revenueWithUs', 'potential', 'demonstration', 'winnability'],
  people: ['contacts', 'keyContact'],
  competition: ['competitors'],
} as const satisfies Record<string, readonly ProfileItem[]>;
export type ProfileGroup = keyof typeof PROFILE_GROUPS;

/** Where an item is entered on the edit page: its input, or the section for the list items. */
export function itemAnchor(item: ProfileItem): string {
  if (item === 'contacts' || item === 'keyContact') return 'people';
  if (item === 'competitors') return 'competitors';
  return `field-${item}`;
}

export interface ProfileStatus {
  completeness: number;
  minCompleteness: number;
  ready: boolean;
  groups: { group: ProfileGroup; items: { item: ProfileItem; present: boolean; anchor: string }[] }[];
  missing: ProfileItem[];
  missingGradeInputs: string[];
  employees: number | null;
  companyRevenue: number | null;
  version: number;
}

export function profileStatusOf(
  account: Account,
  importedDefaults: readonly string[],
  rules: Awaited<ReturnType<typeof rulesFor>>,
  version: number,
): ProfileStatus {
  const result = profile(account, rules.ruleSet, importedDefaults);
  const checklist = new Set<ProfileItem>(rules.ruleSet.profile.checklist);
  const missing = new Set(result.missing);
  return {
    completeness: result.completeness,
    minCompleteness: rules.ruleSet.profile.minCompleteness,
    ready: result.ready,
    groups: Object.entries(PROFILE_GROUPS)
      .map(([group, items]) => ({
        group: group as ProfileGroup,
        items: items
          .filter((i) => checklist.has(i))
          .map((item) => ({ item, present: !missing.has(item), anchor: itemAnchor(item) })),
      }))
      .filter((g) => g.items.length > 0),
    missing: result.missing,
    missingGradeInputs: result.missingGradeInputs,
    employees: account.employees ?? null,
    companyRevenue: account.companyRevenue ?? null,
    version,
  };
}

/** The profile status of a stored account (the caller checked the user may see it). */
export async function loadProfileStatus(db: Db, id: string): Promise<ProfileStatus | null> {
  const found = await getAccountWithState(db, id);
  if (!found) return null;
  const rules = await rulesFor(db, found.account.industry);
  return profileStatusOf(found.account, found.state.importedDefaults, rules, found.state.version);
}
