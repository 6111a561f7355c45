/**
 * Stage 1, profile (ESP-PLUS.md "Profile"): 13 checklist items by default; completeness = present ÷
 * items; the account moves on when the four grade inputs are present and completeness ≥ 0.7.
 */
import { describe, expect, it } from 'vitest';
import { decideAccount, profile, PROFILE_ITEMS } from '../engine/index.js';
import { account, contact, competitor, defaultBook, rulesWith } from './helpers/accounts.js';

const rules = defaultBook().forIndustry('*');
const rs = rules.ruleSet;

describe('profile completeness (default checklist of 13 items)', () => {
  it('the default checklist is the 13 items of ESP-PLUS.md with minimum 0.7', () => {
    expect(rs.profile.checklist).toEqual([...PROFILE_ITEMS]);
    expect(rs.profile.checklist).toHaveLength(13);
    expect(rs.profile.minCompleteness).toBe(0.7);
  });

  it('a complete account: 13 / 13 = 1, nothing missing, ready', () => {
    const p = profile(account(), rs);
    expect(p.completeness).toBe(1);
    expect(p.missing).toEqual([]);
    expect(p.present).toHaveLength(13);
    expect(p.missingGradeInputs).toEqual([]);
    expect(p.ready).toBe(true);
  });

  it('counts each missing item once, in checklist order', () => {
    const p = profile(account({ region: null, ownerId: undefined, employees: null }), rs);
    expect(p.missing).toEqual(['region', 'ownerId', 'employees']);
    // 10 / 13 = 0.769…
    expect(p.completeness).toBeCloseTo(10 / 13, 12);
  });

  it('10 of 13 items (0.769) is enough to move on', () => {
    const p = profile(account({ region: null, ownerId: null, employees: null }), rs);
    expect(p.completeness).toBeCloseTo(0.769, 3);
    expect(p.ready).toBe(true);
  });

  it('9 of 13 items (0.692) is below 0.7: the account waits for data', () => {
    const p = profile(account({ region: null, ownerId: null, employees: null, companyRevenue: null }), rs);
    expect(p.completeness).toBeCloseTo(9 / 13, 12); // 0.6923
    expect(p.missingGradeInputs).toEqual([]);
    expect(p.ready).toBe(false);
  });

  it('exactly at the minimum: 7 of a 10-item checklist = 0.7 moves on, 6 of 10 does not', () => {
    const ten = rulesWith({
      profile: {
        checklist: [
          'industry',
          'region',
          'status',
          'ownerId',
          'employees',
          'companyRevenue',
          'revenueWithUs',
          'potential',
          'demonstration',
          'winnability',
        ],
      },
    }).ruleSet;
    const seven = profile(account({ region: null, ownerId: null, employees: null }), ten);
    expect(seven.completeness).toBe(0.7);
    expect(seven.ready).toBe(true);
    const six = profile(account({ region: null, ownerId: null, employees: null, companyRevenue: null }), ten);
    expect(six.completeness).toBe(0.6);
    expect(six.ready).toBe(false);
  });

  it('an empty string counts as missing; zero is a value', () => {
    const p = profile(account({ region: '', employees: 0, revenueWithUs: 0 }), rs);
    expect(p.missing).toEqual(['region']);
    expect(p.missingGradeInputs).toEqual([]);
  });
});

describe('contacts and key contact', () => {
  it('no contacts: both "contacts" and "keyContact" are missing', () => {
    const p = profile(account({ contacts: [] }), rs);
    expect(p.missing).toEqual(['contacts', 'keyContact']);
    expect(p.completeness).toBeCloseTo(11 / 13, 12);
  });

  it('a key contact needs influence ≥ 4: 3 is not enough, 4 and 5 are', () => {
    const with3 = profile(account({ contacts: [contact('a', { influence: 3 }), contact('b', { influence: 1 })] }), rs);
    expect(with3.missing).toEqual(['keyContact']);
    expect(profile(account({ contacts: [contact('a', { influence: 3 }), contact('b', { influence: 4 })] }), rs).missing).toEqual(
      [],
    );
    expect(profile(account({ contacts: [contact('a', { influence: 5 })] }), rs).missing).toEqual([]);
  });
});

describe('competitors recorded', () => {
  it('an empty list without "none known" is missing', () => {
    expect(profile(account({ competitors: [], competitorsNoneKnown: false }), rs).missing).toEqual(['competitors']);
  });
  it('an empty list marked "none known" counts', () => {
    expect(profile(account({ competitors: [], competitorsNoneKnown: true }), rs).missing).toEqual([]);
  });
  it('a non-empty list counts whether marked or not', () => {
    expect(profile(account({ competitors: [competitor('k1')], competitorsNoneKnown: false }), rs).missing).toEqual([]);
  });
  it('competitorsNoneKnown defaults to false on input', () => {
    const a = account({ competitors: [], competitorsNoneKnown: undefined });
    expect(a.competitorsNoneKnown).toBe(false);
    expect(profile(a, rs).missing).toEqual(['competitors']);
  });
});

describe('grade inputs block readiness', () => {
  for (const field of ['revenueWithUs', 'potential', 'demonstration', 'winnability'] as const) {
    it(`without ${field} the account waits even at 12 / 13 completeness`, () => {
      const p = profile(account({ [field]: null }), rs);
      expect(p.completeness).toBeCloseTo(12 / 13, 12); // 0.923 ≥ 0.7
      expect(p.missing).toEqual([field]);
      expect(p.missingGradeInputs).toEqual([field]);
      expect(p.ready).toBe(false);
    });
  }

  it('reports every missing grade input, in the order revenue, potential, demonstration, winnability', () => {
    const p = profile(account({ winnability: null, revenueWithUs: null }), rs);
    expect(p.missingGradeInputs).toEqual(['revenueWithUs', 'winnability']);
  });

  it('grade inputs block readiness even when the rule set leaves them off the checklist', () => {
    const short = rulesWith({ profile: { checklist: ['industry', 'region'] } }).ruleSet;
    const p = profile(account({ potential: null }), short);
    expect(p.completeness).toBe(1);
    expect(p.ready).toBe(false);
    expect(p.missingGradeInputs).toEqual(['potential']);
  });
});

describe('defaulted fields count as missing', () => {
  it('a defaulted grade input blocks readiness and is reported missing', () => {
    const p = profile(account(), rs, ['potential']);
    expect(p.missing).toEqual(['potential']);
    expect(p.missingGradeInputs).toEqual(['potential']);
    expect(p.completeness).toBeCloseTo(12 / 13, 12);
    expect(p.ready).toBe(false);
  });

  it('defaulted non-grade fields lower completeness: 4 defaulted → 9 / 13 < 0.7', () => {
    const p = profile(account(), rs, ['region', 'ownerId', 'employees', 'companyRevenue']);
    expect(p.missing).toEqual(['region', 'ownerId', 'employees', 'companyRevenue']);
    expect(p.missingGradeInputs).toEqual([]);
    expect(p.ready).toBe(false);
  });

  it('the pipeline passes `defaulted` through to the profile', () => {
    const d = decideAccount(account(), rules, { defaulted: ['winnability'] });
    expect(d.profile.ready).toBe(false);
    expect(d.profile.missingGradeInputs).toEqual(['winnability']);
    expect(decideAccount(account(), rules).profile.ready).toBe(true);
  });
});
