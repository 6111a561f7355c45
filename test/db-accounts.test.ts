import { beforeEach, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../engine/model.js';
import {
  accountFacets,
  countAccounts,
  getAccount,
  getAccountWithState,
  getAccounts,
  listAccountIds,
  listAccounts,
  updateComputed,
  updateComputedMany,
  upsertAccounts,
  upsertContacts,
} from '../db/repositories/accounts.js';
import { DRIVERS, useTestDatabase, type TestDatabase } from './helpers/databases.js';

const INDUSTRIES = ['finance', 'energy', 'retail', 'aerospace'];
const TIERS = ['T1', 'T2', 'T3', 'T4'] as const;
const CLASSES = ['A', 'B', 'C', 'D'] as const;

/** The repository returns absent optional fields as null; compare without either. */
function normal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normal);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v != null)
        .map(([k, v]) => [k, normal(v)]),
    );
  return value;
}

function makeAccount(i: number): Account {
  return accountSchema.parse({
    id: `acc-${String(i).padStart(4, '0')}`,
    name: `${i % 2 ? 'Acme' : 'Globex'} ${i % 5 === 0 ? '100%_Bank' : 'Holdings'} ${i}`,
    industry: INDUSTRIES[i % INDUSTRIES.length],
    region: i % 3 ? 'East' : 'West',
    status: 'active',
    ownerId: `u${i % 7}`,
    employees: 100 + i,
    companyRevenue: 1e8 + i,
    revenueWithUs: 1e5 * i,
    potential: 1e6 * i,
    demonstration: i % 100,
    winnability: (i * 7) % 100,
    contacts: [
      {
        id: 'c1',
        name: 'Boss',
        influence: 5,
        stance: 1,
        competitorStances: { k1: -1 },
        interactions90d: 2,
        decisionRole: 'decision-maker',
      },
      { id: 'c2', name: 'Deputy', influence: 3, stance: 0, reportsTo: 'c1' },
    ],
    competitors: [{ id: 'k1', name: 'Rival', share: 0.3, theirOffer: 'cheap', ourEdge: 'service' }],
    influenceLinks: [{ from: 'c2', to: 'c1', weight: 2 }],
  });
}

describe.each(DRIVERS)('accounts repository on %s', (driver) => {
  const all = Array.from({ length: 240 }, (_, i) => makeAccount(i + 1));
  const suite = useTestDatabase(driver, {
    seed: false,
    setup: async (t) => {
      await upsertAccounts(t.db, all, { batchSize: 100 });
      // Computed columns as the workflows would write them.
      await updateComputedMany(
        t.db,
        all.map((a, i) => ({
          id: a.id,
          score: (i * 37) % 101,
          tier: TIERS[i % 4],
          class: CLASSES[(i >> 2) % 4],
          stage: i % 3 ? 'monitor' : 'plan',
          strategy: i % 2 ? 'grow' : 'retain',
          health: i % 5 ? 'green' : 'red',
          waitingFor: i % 10 === 0 ? 'plan-approval' : null,
        })),
      );
    },
  });
  let t: TestDatabase;
  beforeEach(() => {
    t = suite.t;
  });

  it('round-trips an account in the engine shape', async () => {
    const got = await getAccount(t.db, 'acc-0003');
    expect(normal(got)).toEqual(normal(all[2]));
    expect(accountSchema.parse(got)).toEqual(got);
    expect(await getAccount(t.db, 'nope')).toBeUndefined();
    const many = await getAccounts(t.db, ['acc-0010', 'missing', 'acc-0002']);
    expect(many.map((a) => a.id)).toEqual(['acc-0010', 'acc-0002']);
  });

  it('upserts: updates profile fields, replaces children, keeps computed columns', async () => {
    const changed = { ...all[0]!, name: 'Renamed Corp', contacts: [all[0]!.contacts[0]!], influenceLinks: [] };
    await upsertAccounts(t.db, [changed]);
    const got = await getAccountWithState(t.db, changed.id);
    expect(normal(got?.account)).toEqual(normal(changed));
    expect(got?.state.tier).toBe('T1');
    // An accounts-only import leaves contacts alone.
    await upsertAccounts(t.db, [{ ...changed, contacts: [] }], { replaceChildren: false });
    expect((await getAccount(t.db, changed.id))?.contacts).toHaveLength(1);
    await upsertContacts(t.db, [{ ...all[0]!.contacts[1]!, accountId: changed.id }]);
    expect((await getAccount(t.db, changed.id))?.contacts.map((c) => c.id)).toEqual(['c1', 'c2']);
    await upsertAccounts(t.db, [all[0]!]);
    expect(normal(await getAccount(t.db, all[0]!.id))).toEqual(normal(all[0]));
  });

  it('an upsert batch failing midway writes nothing', async () => {
    const bad = { ...makeAccount(999), contacts: [{ ...all[0]!.contacts[0]!, influence: 9 }] } as Account;
    await expect(upsertAccounts(t.db, [makeAccount(998), bad], { batchSize: 1 })).rejects.toThrow();
    expect(await getAccounts(t.db, ['acc-0998', 'acc-0999'])).toEqual([]);
  });

  it('pages a filtered, sorted list with a total', async () => {
    const page1 = await listAccounts(t.db, { industry: 'finance' }, { pageSize: 10 });
    expect(page1.total).toBe(60);
    expect(page1.rows).toHaveLength(10);
    const scores = page1.rows.map((r) => r.score!);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const everything: string[] = [];
    for (let p = 1; p <= 6; p++)
      everything.push(...(await listAccounts(t.db, { industry: 'finance' }, { pageSize: 10, page: p })).rows.map((r) => r.id));
    expect(new Set(everything).size).toBe(60);
    const last = await listAccounts(t.db, { industry: 'finance' }, { pageSize: 50, page: 2 });
    expect(last.rows).toHaveLength(10);
  });

  it('filters by every column the studio offers', async () => {
    const expected = (pred: (i: number) => boolean) => all.filter((_, i) => pred(i)).length;
    expect((await listAccounts(t.db, { tier: 'T1' })).total).toBe(expected((i) => i % 4 === 0));
    expect((await listAccounts(t.db, { tier: ['T1', 'T2'] })).total).toBe(expected((i) => i % 4 < 2));
    expect((await listAccounts(t.db, { class: 'C' })).total).toBe(expected((i) => (i >> 2) % 4 === 2));
    expect((await listAccounts(t.db, { stage: 'plan', strategy: 'retain' })).total).toBe(
      expected((i) => i % 3 === 0 && i % 2 === 0),
    );
    expect((await listAccounts(t.db, { health: 'red' })).total).toBe(expected((i) => i % 5 === 0));
    expect((await listAccounts(t.db, { ownerId: 'u3' })).total).toBe(all.filter((a) => a.ownerId === 'u3').length);
    expect((await listAccounts(t.db, { waitingFor: true })).total).toBe(expected((i) => i % 10 === 0));
    expect((await listAccounts(t.db, { waitingFor: 'plan-approval', industry: 'energy' })).total).toBe(
      expected((i) => i % 10 === 0 && all[i]!.industry === 'energy'),
    );
    const combined = await listAccounts(t.db, {
      industry: 'retail',
      tier: 'T3',
      class: ['A', 'B', 'C', 'D'],
      stage: 'monitor',
      ownerId: ['u1', 'u2', 'u5'],
    });
    expect(combined.total).toBe(
      all.filter((a, i) => a.industry === 'retail' && i % 4 === 2 && i % 3 !== 0 && ['u1', 'u2', 'u5'].includes(a.ownerId!))
        .length,
    );
    expect(await countAccounts(t.db, { industry: 'aerospace' })).toBe(60);
    expect(await listAccountIds(t.db, { tier: 'T4', industry: 'finance' })).toEqual(
      all
        .filter((a, i) => i % 4 === 3 && a.industry === 'finance')
        .map((a) => a.id)
        .sort(),
    );
    const facets = await accountFacets(t.db, 'tier');
    expect(facets.reduce((s, f) => s + f.count, 0)).toBe(240);
  });

  it('searches names case-insensitively, by prefix or anywhere, with LIKE wildcards literal', async () => {
    expect((await listAccounts(t.db, { name: 'ACME' })).total).toBe(120);
    expect((await listAccounts(t.db, { name: 'holdings' })).total).toBe(0);
    expect((await listAccounts(t.db, { name: 'holdings', nameMatch: 'contains' })).total).toBe(240 - 48);
    expect((await listAccounts(t.db, { name: '100%_b', nameMatch: 'contains' })).total).toBe(48);
    expect((await listAccounts(t.db, { name: '100_', nameMatch: 'contains' })).total).toBe(0);
    expect((await listAccounts(t.db, { name: 'globex 100%', industry: 'finance' })).total).toBe(
      all.filter((a, i) => a.industry === 'finance' && (i + 1) % 2 === 0 && (i + 1) % 5 === 0).length,
    );
  });

  it('sorts by name, revenue and id, ascending or descending, with stable ties', async () => {
    const byName = await listAccounts(t.db, {}, { sort: 'name', pageSize: 500 });
    const names = byName.rows.map((r) => r.name);
    expect(names[0]!.startsWith('Acme')).toBe(true);
    expect(byName.rows).toHaveLength(240);
    const byRevenue = await listAccounts(t.db, {}, { sort: 'revenueWithUs', direction: 'asc', pageSize: 3 });
    expect(byRevenue.rows.map((r) => r.id)).toEqual(['acc-0001', 'acc-0002', 'acc-0003']);
    const byTier = await listAccounts(t.db, { industry: 'finance' }, { sort: 'tier', pageSize: 500 });
    const tiers = byTier.rows.map((r) => r.tier);
    expect(tiers).toEqual([...tiers].sort());
  });

  it('updates computed columns and stamps updatedAt', async () => {
    const before = (await getAccountWithState(t.db, 'acc-0005'))!.state;
    expect(
      await updateComputed(t.db, 'acc-0005', {
        stage: 'review',
        score: 99.5,
        tier: 'T1',
        ruleSetIndustry: 'finance',
        ruleSetVersion: 2,
      }),
    ).toBe(true);
    const after = (await getAccountWithState(t.db, 'acc-0005'))!.state;
    expect(after).toMatchObject({ stage: 'review', score: 99.5, tier: 'T1', ruleSetVersion: 2, health: before.health });
    expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
    expect(await updateComputed(t.db, 'missing', { stage: 'plan' })).toBe(false);
  });

  it('survives many concurrent reads, writes and transactions on one handle', async () => {
    const work: Promise<unknown>[] = Array.from({ length: 40 }, (_, i) => {
      const id = all[i]!.id;
      if (i % 4 === 0) return upsertAccounts(t.db, [{ ...all[i]!, name: `Concurrent ${i}` }]);
      if (i % 4 === 1) return updateComputed(t.db, id, { closeness: i });
      if (i % 4 === 2) return listAccounts(t.db, { industry: 'finance' }, { pageSize: 5 });
      return t.db.transaction(async (tx) => {
        await updateComputed(tx, id, { advantage: -i });
        return getAccount(tx, id);
      });
    });
    // Parallel queries inside one transaction share its connection.
    work.push(
      t.db.transaction(async (tx) => Promise.all([listAccounts(tx, { tier: 'T1' }), getAccounts(tx, [all[7]!.id, all[8]!.id])])),
    );
    await Promise.all(work);
    expect((await getAccount(t.db, all[4]!.id))?.name).toBe('Concurrent 4');
    expect((await getAccountWithState(t.db, all[3]!.id))?.state.advantage).toBe(-3);
    // A failing transaction among concurrent work rolls back alone.
    const results = await Promise.allSettled([
      t.db.transaction(async (tx) => {
        await updateComputed(tx, all[5]!.id, { closeness: 1234 });
        throw new Error('boom');
      }),
      updateComputed(t.db, all[6]!.id, { closeness: 66 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect((await getAccountWithState(t.db, all[5]!.id))?.state.closeness).toBe(5);
    expect((await getAccountWithState(t.db, all[6]!.id))?.state.closeness).toBe(66);
  });
});
