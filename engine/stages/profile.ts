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

/** One check per item, so each reads a fixed property (the hot path of a bulk evaluation). */
const HAS: Record<ProfileItem, (account: Account) => boolean> = {
  industry: (a) => present(a.industry),
  region: (a) => present(a.region),
  status: (a) => present(a.status),
  ownerId: (a) => present(a.ownerId),
  employees: (a) => present(a.employees),
  companyRevenue: (a) => present(a.companyRevenue),
  revenueWithUs: (a) => present(a.revenueWithUs),
  potential: (a) => present(a.potential),
  demonstration: (a) => present(a.demonstration),
  winnability: (a) => present(a.winnability),
  contacts: (a) => a.contacts.length > 0,
  keyContact: (a) => {
    for (const c of a.contacts) if (c.influence >= 4) return true;
    return false;
  },
  competitors: (a) => a.competitors.length > 0 || a.competitorsNoneKnown,
};

/** A checklist's items with their checks, looked up once per rule set. */
const checks = new WeakMap<readonly ProfileItem[], { item: ProfileItem; has: (account: Account) => boolean }[]>();

function checksOf(checklist: readonly ProfileItem[]) {
  let list = checks.get(checklist);
  if (!list) checks.set(checklist, (list = checklist.map((item) => ({ item, has: HAS[item] }))));
  return list;
}

/** What the decision-only path keeps of the profile: no item lists. */
export interface ProfileStatus {
  completeness: number;
  ready: boolean;
}

/**
 * @param defaulted fields an importer filled with a default rather than real data (e.g. a CRM
 *   export without `potential`): they count as missing so the account waits for the real value.
 */
export function profile(account: Account, rules: RuleSet, defaulted: readonly string[] = []): ProfileResult {
  const result: ProfileResult = { completeness: 0, present: [], missing: [], missingGradeInputs: [], ready: false };
  profileStatus(account, rules, defaulted, result, result);
  return result;
}

/**
 * The profile's completeness and readiness into `out`; with `lists`, also the items present and
 * missing, into the lists given. Into the caller's reused lists or none it allocates nothing (the
 * decision-only path keeps only `missing`, which `esp evaluate` prints).
 */
export function profileStatus(
  account: Account,
  rules: RuleSet,
  defaulted: readonly string[] | undefined,
  out: ProfileStatus,
  lists?: Partial<Pick<ProfileResult, 'present' | 'missing' | 'missingGradeInputs'>>,
): void {
  const { checklist, minCompleteness } = rules.profile;
  const anyDefaulted = defaulted !== undefined && defaulted.length > 0;
  let present = 0;
  const checks = checksOf(checklist);
  for (let i = 0; i < checks.length; i++) {
    const { item, has } = checks[i]!;
    if (has(account) && !(anyDefaulted && defaulted.includes(item))) {
      present++;
      lists?.present?.push(item);
    } else lists?.missing?.push(item);
  }
  let missingGradeInputs = 0;
  for (const f of GRADE_INPUTS) {
    if (!HAS[f](account) || (anyDefaulted && defaulted.includes(f))) {
      missingGradeInputs++;
      lists?.missingGradeInputs?.push(f);
    }
  }
  const completeness = checklist.length === 0 ? 1 : present / checklist.length;
  out.completeness = completeness;
  out.ready = missingGradeInputs === 0 && completeness >= minCompleteness;
}
