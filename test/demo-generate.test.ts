import { describe, expect, it } from 'vitest';
import { accountReferenceIssues, accountSchema, contactSchema, competitorSchema, influenceLinkSchema } from '../engine/model.js';
import { classify } from '../engine/stages/classify.js';
import { grade } from '../engine/stages/grade.js';
import { loadRuleBook } from '../rules/load.js';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_FALLBACK_INDUSTRY,
  DEMO_INDUSTRIES,
  DEMO_REGIONS,
  generateAccounts,
  generateDemo,
} from '../db/demo/generate.js';
import { hashSeed, mulberry32, Rng } from '../db/demo/prng.js';

describe('demo PRNG', () => {
  it('is deterministic and spreads seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
    expect(hashSeed(1, 0)).not.toBe(hashSeed(1, 1));
    expect(hashSeed(1, 0)).not.toBe(hashSeed(2, 0));
    const rng = new Rng(7);
    for (let i = 0; i < 1000; i++) {
      const x = rng.int(3, 8);
      expect(x >= 3 && x <= 8 && Number.isInteger(x)).toBe(true);
      const l = rng.logUniform(10, 1000);
      expect(l >= 10 && l <= 1000).toBe(true);
    }
  });
});

describe('demo generator', () => {
  const demo = generateDemo({ accounts: 500, seed: 1 });

  it('gives the same data for the same seed, and different data for another', () => {
    expect(generateDemo({ accounts: 500, seed: 1 })).toEqual(demo);
    const other = generateDemo({ accounts: 500, seed: 2 });
    expect(other.accounts.map((a) => a.name)).not.toEqual(demo.accounts.map((a) => a.name));
  });

  it('makes the first k accounts of a large run equal a run of k', () => {
    expect(generateAccounts(50, 9)).toEqual(generateAccounts(200, 9).slice(0, 50));
    expect(generateAccounts(500, 1)).toEqual(demo.accounts);
  });

  it('is valid against the domain schemas', () => {
    for (const a of demo.accounts) {
      const parsed = accountSchema.parse(a);
      expect(parsed).toEqual(a);
      expect(accountReferenceIssues(parsed)).toEqual([]);
      for (const c of a.contacts) contactSchema.parse(c);
      for (const c of a.competitors) competitorSchema.parse(c);
      for (const l of a.influenceLinks) influenceLinkSchema.parse(l);
    }
  });

  it('covers every default industry, one without a rule set, every region and status', () => {
    const book = loadRuleBook();
    const industries = new Set(demo.accounts.map((a) => a.industry));
    expect([...industries].sort()).toEqual([...DEMO_INDUSTRIES].sort());
    expect(book.hasOwnRuleSet(DEMO_FALLBACK_INDUSTRY)).toBe(false);
    for (const i of DEMO_INDUSTRIES) if (i !== DEMO_FALLBACK_INDUSTRY) expect(book.hasOwnRuleSet(i)).toBe(true);
    expect(new Set(demo.accounts.map((a) => a.region))).toEqual(new Set(DEMO_REGIONS));
    expect(new Set(demo.accounts.map((a) => a.status))).toEqual(new Set(['prospect', 'active', 'declining', 'lost']));
  });

  it('spreads the accounts over every tier and class under the default rules', () => {
    const book = loadRuleBook();
    const tiers = new Map<string, number>();
    const classes = new Map<string, number>();
    const perIndustryTiers = new Map<string, Set<string>>();
    for (const a of demo.accounts) {
      const rules = book.forIndustry(a.industry);
      const g = grade(a, rules);
      const c = classify(g.dimensions, rules.ruleSet);
      tiers.set(g.tier, (tiers.get(g.tier) ?? 0) + 1);
      classes.set(c.class, (classes.get(c.class) ?? 0) + 1);
      perIndustryTiers.set(a.industry!, (perIndustryTiers.get(a.industry!) ?? new Set()).add(g.tier));
    }
    for (const t of ['T1', 'T2', 'T3', 'T4']) expect(tiers.get(t) ?? 0).toBeGreaterThanOrEqual(10);
    for (const c of ['A', 'B', 'C', 'D']) expect(classes.get(c) ?? 0).toBeGreaterThanOrEqual(20);
    // The industry scaling keeps each industry from owning one end of the scale.
    for (const [, set] of perIndustryTiers) expect(set.size).toBeGreaterThanOrEqual(3);
  });

  it('names companies uniquely, even for large runs', { timeout: 60_000 }, () => {
    const names = generateAccounts(20_000, 3).map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('builds contacts as a reporting tree with personas, stances and influence links', () => {
    for (const a of demo.accounts) {
      expect(a.contacts.length).toBeGreaterThanOrEqual(3);
      expect(a.contacts.length).toBeLessThanOrEqual(8);
      expect(a.competitors.length).toBeGreaterThanOrEqual(1);
      expect(a.competitors.length).toBeLessThanOrEqual(3);
      const roots = a.contacts.filter((c) => c.reportsTo == null);
      expect(roots).toHaveLength(1);
      expect(roots[0]).toMatchObject({ influence: 5, decisionRole: 'decision-maker' });
      // Everyone reaches the root: a tree, no cycles.
      const byId = new Map(a.contacts.map((c) => [c.id, c]));
      for (const c of a.contacts) {
        let at = c;
        for (let steps = 0; at.reportsTo != null; steps++) {
          expect(steps).toBeLessThan(a.contacts.length);
          at = byId.get(at.reportsTo)!;
        }
        expect(at.id).toBe(roots[0]!.id);
        expect(c.behavior).toBeTruthy();
      }
      const pairs = a.influenceLinks.map((l) => `${l.from}>${l.to}`);
      expect(new Set(pairs).size).toBe(pairs.length);
      for (const k of a.competitors) expect(k.theirOffer && k.ourEdge).toBeTruthy();
      expect(a.competitors.reduce((s, k) => s + k.share, 0)).toBeLessThanOrEqual(1);
    }
    expect(demo.accounts.some((a) => a.influenceLinks.length > 0)).toBe(true);
    expect(demo.accounts.some((a) => a.contacts.some((c) => Object.keys(c.competitorStances).length > 0))).toBe(true);
  });

  it('has users, teams with members, a year of visits and some opportunities', () => {
    expect(demo.users.filter((u) => u.role === 'admin').map((u) => u.email)).toEqual([DEMO_ADMIN_EMAIL]);
    expect(demo.users.filter((u) => u.role === 'manager').map((u) => u.email)).toEqual(
      Array.from({ length: 8 }, (_, i) => `manager${i + 1}@example.com`),
    );
    const teamIds = demo.teams.map((t) => t.id);
    for (const i of DEMO_INDUSTRIES) expect(teamIds).toContain(`industry:${i}`);
    for (const r of DEMO_REGIONS) expect(teamIds).toContain(`region:${r}`);
    const userIds = new Set(demo.users.map((u) => u.id));
    for (const t of demo.teams) {
      expect(t.members.length).toBeGreaterThan(0);
      for (const m of t.members) expect(userIds.has(m)).toBe(true);
    }
    for (const a of demo.accounts) expect(userIds.has(a.ownerId!)).toBe(true);

    const accountIds = new Set(demo.accounts.map((a) => a.id));
    expect(demo.visits.length).toBeGreaterThan(demo.accounts.length * 3);
    for (const v of demo.visits) {
      expect(accountIds.has(v.accountId)).toBe(true);
      expect(v.date > '2024-06-30' && v.date <= demo.today).toBe(true);
    }
    expect(demo.opportunities.length).toBeGreaterThan(100);
    expect(new Set(demo.opportunities.map((o) => o.id)).size).toBe(demo.opportunities.length);
    for (const o of demo.opportunities) {
      if (o.status === 'open') expect(o.closeDate > demo.today).toBe(true);
      else expect(o.closeDate <= demo.today).toBe(true);
    }
  });

  it('generates 100,000 accounts fast enough for the engine benchmark', { timeout: 120_000 }, () => {
    const started = performance.now();
    const many = generateAccounts(100_000, 1);
    const seconds = (performance.now() - started) / 1000;
    expect(many).toHaveLength(100_000);
    const contacts = many.reduce((s, a) => s + a.contacts.length, 0) / many.length;
    const competitors = many.reduce((s, a) => s + a.competitors.length, 0) / many.length;
    expect(contacts).toBeGreaterThan(5);
    expect(contacts).toBeLessThan(6);
    expect(competitors).toBeGreaterThan(1.8);
    expect(competitors).toBeLessThan(2.2);
    // "A few seconds"; generous for a loaded CI machine.
    expect(seconds).toBeLessThan(30);
  });
});
