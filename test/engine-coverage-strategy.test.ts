/**
 * Stage 5, coverage, and the strategy and investment rules (ESP-PLUS.md "Coverage" and "Strategy",
 * first match wins):
 *   1 wait-and-watch — lost
 *   2 win-back — declining and (T1/T2 or A/B); or active, A/B and (closeness fell ≥ 15 or advantage ≤ −20)
 *   3 acquire — prospect   4 grow — class C   5 retain — everything else
 * Investment: grow high; retain medium for A/B, low for D; win-back high for T1/T2 else medium;
 * acquire high T1/T2, medium T3, low T4; wait-and-watch low.
 */
import { describe, expect, it } from 'vitest';
import { answer, assignOwner, decideAccount, decideSteps, runSteps, type Account, type TeamDirectory } from '../engine/index.js';
import { account, competitor, contact, defaultBook } from './helpers/accounts.js';

const book = defaultBook();
const rules = book.forIndustry('*');
const decide = (a: Account) => decideAccount(a, rules);

// Accounts by tier and class, band scores worked out by hand (weights .35/.30/.15/.20).
const T1_A = { revenueWithUs: 20_000_000, potential: 100_000_000, demonstration: 80, winnability: 80 }; // 100 → T1, H×H → A
const T2_C = { revenueWithUs: 200_000, potential: 100_000_000, demonstration: 80, winnability: 80 }; // 10.5+30+15+20 = 75.5 → T2, pot H × contr L → C
const T2_A = { revenueWithUs: 5_000_000, potential: 20_000_000, demonstration: 60, winnability: 60 }; // 24.5+21+11.25+15 = 71.75 → T2, A
const T3_B = { revenueWithUs: 1_000_000, potential: 5_000_000, demonstration: 40, winnability: 40 }; // 50 → T3, M×M → B
const T3_C = { revenueWithUs: 200_000, potential: 20_000_000, demonstration: 40, winnability: 40 }; // 10.5+21+7.5+10 = 49 → T3, C
const T3_D = { revenueWithUs: 200_000, potential: 1_000_000, demonstration: 100, winnability: 100 }; // 10.5+9+15+20 = 54.5 → T3, D
const T4_B = { revenueWithUs: 1_000_000, potential: 5_000_000, demonstration: 0, winnability: 0 }; // 17.5+15 = 32.5 → T4, B
const T4_D = { revenueWithUs: 200_000, potential: 1_000_000, demonstration: 0, winnability: 0 }; // 10.5+9 = 19.5 → T4, D
const T4_C = { revenueWithUs: 0, potential: 20_000_000, demonstration: 0, winnability: 0 }; // 21 → T4, C

describe('fixtures land where the comments say', () => {
  const cases: [object, string, string, number][] = [
    [T1_A, 'T1', 'A', 100],
    [T2_C, 'T2', 'C', 75.5],
    [T2_A, 'T2', 'A', 71.75],
    [T3_B, 'T3', 'B', 50],
    [T3_C, 'T3', 'C', 49],
    [T3_D, 'T3', 'D', 54.5],
    [T4_B, 'T4', 'B', 32.5],
    [T4_D, 'T4', 'D', 19.5],
    [T4_C, 'T4', 'C', 21],
  ];
  for (const [fields, tier, cls, score] of cases) {
    it(`${score} → ${tier} ${cls}`, () => {
      expect(decide(account(fields))).toMatchObject({ score, tier, class: cls });
    });
  }
});

describe('coverage table', () => {
  it('T1: industry line, dedicated presales, major-project track', () => {
    expect(decide(account({ ...T1_A, industry: 'finance' })).coverage).toMatchObject({
      line: 'industry',
      presalesTier: 'dedicated',
      track: 'major-project',
      team: 'industry:finance',
    });
  });
  it('T2: industry line, priority presales, major-project track', () => {
    expect(decide(account({ ...T2_A, industry: 'energy' })).coverage).toMatchObject({
      line: 'industry',
      presalesTier: 'priority',
      track: 'major-project',
      team: 'industry:energy',
    });
  });
  it('T3: regional line, pooled presales, fast track', () => {
    expect(decide(account({ ...T3_B, region: 'east' })).coverage).toMatchObject({
      line: 'regional',
      presalesTier: 'pooled',
      track: 'fast-track',
      team: 'region:east',
    });
  });
  it('T4: regional line, on-demand presales, fast track', () => {
    expect(decide(account({ ...T4_D, region: 'west' })).coverage).toMatchObject({
      line: 'regional',
      presalesTier: 'on-demand',
      track: 'fast-track',
      team: 'region:west',
    });
  });
  it('the team is named after the account industry even when it uses the fallback rule set', () => {
    expect(decide(account({ ...T1_A, industry: 'aerospace' })).coverage.team).toBe('industry:aerospace');
  });
});

describe('owner assignment', () => {
  const directory = (teams: Record<string, string[]>, load: Record<string, number>): TeamDirectory => ({
    team: (id) => (teams[id] ? { id, members: teams[id]! } : undefined),
    accountCount: (m) => load[m] ?? 0,
  });
  const dir = directory({ 'region:north': ['u3', 'u2', 'u1'], 'region:empty': [] }, { u1: 5, u2: 3, u3: 3 });

  it('keeps the current owner when a member of the team', () => {
    expect(assignOwner('u1', dir.team('region:north'), dir)).toEqual({ owner: 'u1', ownerReason: 'current-owner-in-team' });
  });
  it('else picks the least-loaded member, ties by id (u2 and u3 both own 3 → u2)', () => {
    expect(assignOwner('u9', dir.team('region:north'), dir)).toEqual({ owner: 'u2', ownerReason: 'least-loaded-member' });
    expect(assignOwner(null, dir.team('region:north'), dir)).toEqual({ owner: 'u2', ownerReason: 'least-loaded-member' });
  });
  it('a strictly less loaded member beats the id order', () => {
    const d = directory({ t: ['a', 'b', 'c'] }, { a: 4, b: 4, c: 1 });
    expect(assignOwner('x', d.team('t'), d).owner).toBe('c');
  });
  it('an empty team (or one the directory does not know) keeps the current owner and says why', () => {
    expect(assignOwner('u9', dir.team('region:empty'), dir)).toEqual({ owner: 'u9', ownerReason: 'team-has-no-members' });
    expect(assignOwner(undefined, dir.team('region:nowhere'), dir)).toEqual({ owner: null, ownerReason: 'team-has-no-members' });
  });
  it('the pipeline assigns the owner of the coverage team', () => {
    const d = decideAccount(account({ ...T3_B, region: 'north', ownerId: 'u9' }), rules, { teams: dir });
    expect(d.coverage).toMatchObject({ team: 'region:north', owner: 'u2', ownerReason: 'least-loaded-member' });
    // a T1 account moves to the industry team; its regional owner is not a member there
    const d1 = decideAccount(account({ ...T1_A, region: 'north', industry: 'x', ownerId: 'u1' }), rules, {
      teams: directory({ 'industry:x': ['k2', 'k1'] }, {}),
    });
    expect(d1.coverage).toMatchObject({ team: 'industry:x', owner: 'k1', ownerReason: 'least-loaded-member' });
  });
  it('without a team directory the current owner stays', () => {
    expect(decide(account({ ownerId: 'u7' })).coverage).toMatchObject({ owner: 'u7', ownerReason: 'no-team-directory' });
  });
});

describe('strategy rules, in order', () => {
  it('1. lost beats everything (even a declining-like T1 A whose closeness fell 30)', () => {
    const d = decide(
      account({ ...T1_A, status: 'lost', previousCloseness: 100, contacts: [contact('a', { stance: -1, interactions90d: 6 })] }),
    );
    expect(d.relationship.closenessDrop).toBeGreaterThanOrEqual(15);
    expect(d.strategy).toBe('wait-and-watch');
    expect(d.investment).toBe('low');
  });
  it('lost prospect-like C account is still wait-and-watch', () => {
    expect(decide(account({ ...T4_C, status: 'lost' })).strategy).toBe('wait-and-watch');
  });

  describe('2. win-back for declining accounts', () => {
    it('declining T1 A → win-back, high', () => {
      expect(decide(account({ ...T1_A, status: 'declining' }))).toMatchObject({ strategy: 'win-back', investment: 'high' });
    });
    it('declining T2 C → win-back by tier (class C alone would be grow), high', () => {
      expect(decide(account({ ...T2_C, status: 'declining' }))).toMatchObject({ strategy: 'win-back', investment: 'high' });
    });
    it('declining T4 B → win-back by class, medium (not T1/T2)', () => {
      expect(decide(account({ ...T4_B, status: 'declining' }))).toMatchObject({ strategy: 'win-back', investment: 'medium' });
    });
    it('declining T3 C → not win-back: grow, high', () => {
      expect(decide(account({ ...T3_C, status: 'declining' }))).toMatchObject({ strategy: 'grow', investment: 'high' });
    });
    it('declining T3 D → retain, low', () => {
      expect(decide(account({ ...T3_D, status: 'declining' }))).toMatchObject({ strategy: 'retain', investment: 'low' });
    });
    it('declining T4 D → retain, low', () => {
      expect(decide(account({ ...T4_D, status: 'declining' }))).toMatchObject({ strategy: 'retain', investment: 'low' });
    });
  });

  describe('2. win-back for active A/B accounts', () => {
    // One neutral contact, influence 4, 6 interactions: 4·(2/4)·1 / 4 → closeness 50.
    const neutral = [contact('a', { influence: 4, stance: 0, interactions90d: 6 })];

    it('closeness fell exactly 15 (65 → 50) → win-back', () => {
      const d = decide(account({ ...T3_B, contacts: neutral, previousCloseness: 65 }));
      expect(d.closeness).toBe(50);
      expect(d.relationship.closenessDrop).toBe(15);
      expect(d).toMatchObject({ strategy: 'win-back', investment: 'medium' });
    });
    it('fell 14.99 (64.99 → 50) → retain', () => {
      const d = decide(account({ ...T3_B, contacts: neutral, previousCloseness: 64.99 }));
      expect(d.relationship.closenessDrop).toBe(14.99);
      expect(d).toMatchObject({ strategy: 'retain', investment: 'medium' });
    });
    it('fell 15 on a T1 A → win-back, high', () => {
      expect(decide(account({ ...T1_A, contacts: neutral, previousCloseness: 65 }))).toMatchObject({
        strategy: 'win-back',
        investment: 'high',
      });
    });
    it('fell 15 on class C → grow (only A/B win back)', () => {
      expect(decide(account({ ...T3_C, contacts: neutral, previousCloseness: 65 })).strategy).toBe('grow');
    });
    it('fell 15 on class D → retain', () => {
      expect(decide(account({ ...T3_D, contacts: neutral, previousCloseness: 65 })).strategy).toBe('retain');
    });
    it('fell 15 on a prospect → acquire (the active branch needs status active)', () => {
      expect(decide(account({ ...T3_B, status: 'prospect', contacts: neutral, previousCloseness: 65 })).strategy).toBe('acquire');
    });

    // us: a 1·0·0.5 = 0, b 4·(2/4)·1 = 2 → 2/5 → 40; k: a 1·0 = 0, b 4·(3/4) = 3 → 3/5 → 60; advantage −20
    const behind = account({
      ...T3_B,
      contacts: [
        contact('a', { influence: 1, stance: -2, interactions90d: 0, competitorStances: { k: -2 } }),
        contact('b', { influence: 4, stance: 0, interactions90d: 6, competitorStances: { k: 1 } }),
      ],
      competitors: [competitor('k')],
    });
    it('advantage exactly −20 → win-back', () => {
      const d = decide(behind);
      expect(d.closeness).toBe(40);
      expect(d.relationship.competitors[0]!.closeness).toBe(60);
      expect(d.advantage).toBe(-20);
      expect(d.strategy).toBe('win-back');
    });
    it('advantage −17.5 → retain', () => {
      // a at stance −1: 1·(1/4)·0.5 = 0.125 → (0.125 + 2)/5 = 42.5; advantage −17.5
      const d = decide({ ...behind, contacts: behind.contacts.map((c) => (c.id === 'a' ? { ...c, stance: -1 } : c)) });
      expect(d.advantage).toBe(-17.5);
      expect(d.strategy).toBe('retain');
    });
    it('at the rule level: advantage −20 passes, −19.99 does not', () => {
      const facts = { ...factsOf(behind) };
      const list = rules.lists.strategy;
      const first = (f: Record<string, unknown>) => list.rules[answer(list, f)[0]!]!.name;
      expect(first({ ...facts, advantage: -20 })).toBe('win-back');
      expect(first({ ...facts, advantage: -19.99 })).toBe('retain');
      expect(first({ ...facts, advantage: -19.99, closenessDrop: 15 })).toBe('win-back');
      expect(first({ ...facts, advantage: -19.99, closenessDrop: 14.99 })).toBe('retain');
    });
  });

  it('3. prospect → acquire, even for a class C account (acquire comes before grow)', () => {
    expect(decide(account({ ...T2_C, status: 'prospect' })).strategy).toBe('acquire');
  });
  it('4. class C → grow, high', () => {
    expect(decide(account({ ...T2_C }))).toMatchObject({ strategy: 'grow', investment: 'high' });
    expect(decide(account({ ...T4_C }))).toMatchObject({ strategy: 'grow', investment: 'high' });
  });
  it('5. everything else → retain: A/B medium, D low', () => {
    expect(decide(account({ ...T1_A }))).toMatchObject({ strategy: 'retain', investment: 'medium' });
    expect(decide(account({ ...T3_B }))).toMatchObject({ strategy: 'retain', investment: 'medium' });
    expect(decide(account({ ...T3_D }))).toMatchObject({ strategy: 'retain', investment: 'low' });
    expect(decide(account({ ...T4_D }))).toMatchObject({ strategy: 'retain', investment: 'low' });
  });
  it('an account without a status falls through to the class rules', () => {
    expect(decide(account({ ...T3_B, status: null })).strategy).toBe('retain');
  });
});

describe('investment rules', () => {
  it('acquire: T1/T2 high, T3 medium, T4 low', () => {
    expect(decide(account({ ...T1_A, status: 'prospect' })).investment).toBe('high');
    expect(decide(account({ ...T2_C, status: 'prospect' })).investment).toBe('high');
    expect(decide(account({ ...T3_B, status: 'prospect' })).investment).toBe('medium');
    expect(decide(account({ ...T4_D, status: 'prospect' })).investment).toBe('low');
  });
  it('win-back: T1/T2 high, else medium', () => {
    expect(decide(account({ ...T2_A, status: 'declining' })).investment).toBe('high');
    expect(decide(account({ ...T4_B, status: 'declining' })).investment).toBe('medium');
  });
  it('wait-and-watch: low for every tier', () => {
    for (const f of [T1_A, T3_B, T4_D]) expect(decide(account({ ...f, status: 'lost' })).investment).toBe('low');
  });
  it('grow: high for every tier', () => {
    for (const f of [T2_C, T3_C, T4_C]) expect(decide(account(f)).investment).toBe('high');
  });
});

/** The facts the strategy rules see for an account, captured from a real decision run. */
function factsOf(a: Account): Record<string, unknown> {
  let seen: Record<string, unknown> = {};
  runSteps(decideSteps(a, rules), rules, (req) => {
    if (req.list === 'strategy') seen = { ...req.facts };
  });
  return seen;
}
