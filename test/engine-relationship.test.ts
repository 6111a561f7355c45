/**
 * Stage 4, relationship analysis (ESP-PLUS.md "Relationship analysis"):
 *   closeness(us) = 100 × Σ influence·((stance+2)/4)·factor / Σ influence, rounded to 2 decimals
 *   interaction level: 0 → none 0.5, 1–2 → low 0.75, 3–5 → medium 0.9, 6+ → high 1.0
 *   closeness(competitor k): the contacts' stance toward k, factor 1
 *   advantage = closeness(us) − max over competitors (= closeness(us) without competitors)
 * plus the default risk flags and the org chart / political map helpers.
 */
import { describe, expect, it } from 'vitest';
import {
  decideAccount,
  decisionMakerInfluence,
  influencersOf,
  interactionLevel,
  orgChart,
  relationship,
  reportingChain,
  type Account,
  type OrgNode,
} from '../engine/index.js';
import { account, competitor, contact, defaultBook } from './helpers/accounts.js';

const rules = defaultBook().forIndustry('*');
const rs = rules.ruleSet;
const decide = (a: Account) => decideAccount(a, rules);

describe('interaction levels', () => {
  const levels = rs.relationship.interactionLevels;
  const cases: [number, string, number][] = [
    [0, 'none', 0.5],
    [1, 'low', 0.75],
    [2, 'low', 0.75],
    [3, 'medium', 0.9],
    [5, 'medium', 0.9],
    [6, 'high', 1],
    [90, 'high', 1],
  ];
  for (const [n, lvl, factor] of cases) {
    it(`${n} interactions → ${lvl} (${factor})`, () => {
      expect(interactionLevel(n, levels)).toMatchObject({ level: lvl, factor });
    });
  }
  it('each level boundary shows in closeness: one champion of influence 1 scores 100 × factor', () => {
    // (2 + 2) / 4 = 1, so closeness = 100 × factor
    const c = (n: number) =>
      decide(account({ contacts: [contact('a', { influence: 1, stance: 2, interactions90d: n })] })).closeness;
    expect([0, 1, 2, 3, 5, 6].map(c)).toEqual([50, 75, 75, 90, 90, 100]);
  });
});

describe('closeness', () => {
  // a: 5 · (2+2)/4 · 1.0  (6 interactions)  = 5
  // b: 3 · (0+2)/4 · 0.75 (2 interactions)  = 1.125
  // c: 2 · (−1+2)/4 · 0.5 (0 interactions)  = 0.25
  // Σ = 6.375; Σ influence = 10 → 100 × 6.375 / 10 = 63.75
  const three = account({
    contacts: [
      contact('a', { influence: 5, stance: 2, interactions90d: 6, competitorStances: { k1: 1, k2: -2 } }),
      contact('b', { influence: 3, stance: 0, interactions90d: 2, competitorStances: { k1: -2, k2: 2 } }),
      contact('c', { influence: 2, stance: -1, interactions90d: 0 }),
    ],
    competitors: [competitor('k1', { share: 0.3 }), competitor('k2', { share: 0.2 })],
  });

  it('follows the formula (63.75 by hand)', () => {
    expect(decide(three).closeness).toBe(63.75);
  });

  it('competitor closeness uses the stance toward that competitor, factor 1, and 0 (neutral) when unrecorded', () => {
    // k1: a 5·(1+2)/4 = 3.75; b 3·0/4 = 0; c 2·(0+2)/4 = 1 (no stance recorded → neutral) → 4.75 / 10 = 47.5
    // k2: a 5·0 = 0; b 3·(2+2)/4 = 3; c 2·2/4 = 1 → 4 / 10 = 40
    const r = relationship(three, rs);
    expect(r.competitors).toEqual([
      { id: 'k1', name: 'Competitor k1', share: 0.3, closeness: 47.5 },
      { id: 'k2', name: 'Competitor k2', share: 0.2, closeness: 40 },
    ]);
    expect(r.maxCompetitorCloseness).toBe(47.5);
    // 63.75 − 47.5 = 16.25
    expect(r.advantage).toBe(16.25);
  });

  it('is rounded to 2 decimals', () => {
    // 3·(1+2)/4·0.9 = 2.025; 4·(0+2)/4·0.5 = 1 → 100 × 3.025 / 7 = 43.2142… → 43.21
    const a = account({
      contacts: [
        contact('a', { influence: 3, stance: 1, interactions90d: 3 }),
        contact('b', { influence: 4, stance: 0, interactions90d: 0 }),
      ],
    });
    expect(decide(a).closeness).toBe(43.21);
  });

  it('opponents count with weight 0: one opponent alone is 0', () => {
    expect(decide(account({ contacts: [contact('a', { stance: -2, interactions90d: 6 })] })).closeness).toBe(0);
  });

  it('advantage is computed from the rounded closeness values', () => {
    // us: 43.2142… → 43.21 (as above)
    // k: a 3·(1+2)/4 = 2.25; b 4·(−1+2)/4 = 1 → 100 × 3.25 / 7 = 46.4285… → 46.43
    // rounded: 43.21 − 46.43 = −3.22 (unrounded would give −3.2142… → −3.21)
    const a = account({
      contacts: [
        contact('a', { influence: 3, stance: 1, interactions90d: 3, competitorStances: { k: 1 } }),
        contact('b', { influence: 4, stance: 0, interactions90d: 0, competitorStances: { k: -1 } }),
      ],
      competitors: [competitor('k')],
    });
    const d = decide(a);
    expect(d.closeness).toBe(43.21);
    expect(d.relationship.competitors[0]!.closeness).toBe(46.43);
    expect(d.advantage).toBe(-3.22);
    expect(d.flags).toContain('competitor-ahead');
  });

  it('no competitors: advantage = closeness, max competitor closeness 0', () => {
    const d = decide(account({ contacts: [contact('a', { stance: 1, interactions90d: 3 })] }));
    // 3·(3/4)·0.9 / 3 = 0.675 → 67.5
    expect(d.closeness).toBe(67.5);
    expect(d.advantage).toBe(67.5);
    expect(d.relationship.maxCompetitorCloseness).toBe(0);
    expect(d.relationship.competitors).toEqual([]);
  });

  it('no contacts: closeness 0, every competitor 0, advantage 0, and the three contact flags', () => {
    const d = decide(account({ contacts: [], competitors: [competitor('k')] }));
    expect(d.closeness).toBe(0);
    expect(d.relationship.competitors[0]!.closeness).toBe(0);
    expect(d.advantage).toBe(0);
    expect(d.flags).toEqual(['no-coach', 'no-contacts', 'single-threaded']);
  });

  it('closenessDrop = previousCloseness − closeness (0 without a previous value)', () => {
    expect(decide(three).relationship.closenessDrop).toBe(0);
    // 80 − 63.75 = 16.25
    expect(decide({ ...three, previousCloseness: 80 }).relationship.closenessDrop).toBe(16.25);
    // a rise is a negative drop: 50 − 63.75 = −13.75
    expect(decide({ ...three, previousCloseness: 50 }).relationship.closenessDrop).toBe(-13.75);
    expect(decide({ ...three, previousCloseness: 63.75 }).relationship.closenessDrop).toBe(0);
  });
});

describe('default risk flags, each on and just off', () => {
  const two = (a: Parameters<typeof contact>[1], b: Parameters<typeof contact>[1]) => [contact('a', a), contact('b', b)];

  it('no-contacts: none → on; one contact → off', () => {
    expect(decide(account({ contacts: [] })).flags).toContain('no-contacts');
    expect(decide(account({ contacts: [contact('a')] })).flags).not.toContain('no-contacts');
  });

  it('no-coach: best stance +1 → on; one champion (+2) → off', () => {
    expect(decide(account({ contacts: two({ stance: 1 }, { stance: 1 }) })).flags).toContain('no-coach');
    expect(decide(account({ contacts: two({ stance: 2 }, { stance: -2 }) })).flags).not.toContain('no-coach');
  });

  it('single-threaded: one contact with stance ≥ 1 → on; two → off; neutral does not count', () => {
    expect(decide(account({ contacts: two({ stance: 2 }, { stance: 0 }) })).flags).toContain('single-threaded');
    expect(decide(account({ contacts: two({ stance: 1 }, { stance: 1 }) })).flags).not.toContain('single-threaded');
    expect(decide(account({ contacts: two({ stance: 2 }, { stance: 1 }) })).flags).not.toContain('single-threaded');
  });

  describe('decision-maker-with-competitor', () => {
    const withDm = (dm: Parameters<typeof contact>[1]) =>
      decide(
        account({ contacts: [contact('dm', { interactions90d: 6, ...dm })], competitors: [competitor('k'), competitor('j')] }),
      ).flags;

    it('influence 5, stance +1 toward a competitor, 0 toward us → on', () => {
      expect(withDm({ influence: 5, stance: 0, competitorStances: { k: 1 } })).toContain('decision-maker-with-competitor');
    });
    it('equal stances (+1 to them, +1 to us) → off', () => {
      expect(withDm({ influence: 5, stance: 1, competitorStances: { k: 1 } })).not.toContain('decision-maker-with-competitor');
    });
    it('+2 to them, +1 to us → on', () => {
      expect(withDm({ influence: 5, stance: 1, competitorStances: { k: 2 } })).toContain('decision-maker-with-competitor');
    });
    it('competitor stance 0 is not ≥ 1, even above our −2 → off', () => {
      expect(withDm({ influence: 5, stance: -2, competitorStances: { k: 0 } })).not.toContain('decision-maker-with-competitor');
    });
    it('influence 4 is not a final decision maker → off', () => {
      expect(withDm({ influence: 4, stance: -2, competitorStances: { k: 2 } })).not.toContain('decision-maker-with-competitor');
    });
    it('any competitor counts (the second one here)', () => {
      expect(withDm({ influence: 5, stance: 0, competitorStances: { k: -1, j: 1 } })).toContain('decision-maker-with-competitor');
    });
    it('counts decision makers, not competitors', () => {
      const a = account({
        contacts: [
          contact('x', { influence: 5, stance: 0, competitorStances: { k: 1, j: 2 } }),
          contact('y', { influence: 5, stance: 0, competitorStances: { k: 2 } }),
          contact('z', { influence: 5, stance: 2, competitorStances: { k: 2 } }),
        ],
        competitors: [competitor('k'), competitor('j')],
      });
      expect(relationship(a, rs).decisionMakersWithCompetitor).toBe(2);
    });
  });

  describe('cold-decision-maker', () => {
    it('influence 4 with 0 interactions → on', () => {
      expect(decide(account({ contacts: [contact('a', { influence: 4, interactions90d: 0 })] })).flags).toContain(
        'cold-decision-maker',
      );
    });
    it('influence 4 with 1 interaction (low) → off', () => {
      expect(decide(account({ contacts: [contact('a', { influence: 4, interactions90d: 1 })] })).flags).not.toContain(
        'cold-decision-maker',
      );
    });
    it('influence 3 with 0 interactions → off', () => {
      expect(decide(account({ contacts: [contact('a', { influence: 3, interactions90d: 0 })] })).flags).not.toContain(
        'cold-decision-maker',
      );
    });
    it('influence 5 with 0 interactions → on', () => {
      expect(decide(account({ contacts: [contact('a', { influence: 5, interactions90d: 0 })] })).flags).toContain(
        'cold-decision-maker',
      );
    });
  });

  describe('competitor-ahead', () => {
    it('advantage < 0 → on', () => {
      // us: 1·(0+2)/4·1 = 0.5 → 50; k: 1·(1+2)/4 = 0.75 → 75; advantage −25
      const d = decide(
        account({
          contacts: [contact('a', { influence: 1, stance: 0, interactions90d: 6, competitorStances: { k: 1 } })],
          competitors: [competitor('k')],
        }),
      );
      expect(d.advantage).toBe(-25);
      expect(d.flags).toContain('competitor-ahead');
    });
    it('advantage exactly 0 → off', () => {
      // us: 50 (neutral, high); k: 50 (neutral) → 0
      const d = decide(
        account({ contacts: [contact('a', { influence: 1, stance: 0, interactions90d: 6 })], competitors: [competitor('k')] }),
      );
      expect(d.advantage).toBe(0);
      expect(d.flags).not.toContain('competitor-ahead');
    });
  });

  it('flags are sorted and unique', () => {
    const d = decide(
      account({
        contacts: [contact('a', { influence: 5, stance: -1, interactions90d: 0, competitorStances: { k: 2 } })],
        competitors: [competitor('k')],
      }),
    );
    expect(d.flags).toEqual([
      'cold-decision-maker',
      'competitor-ahead',
      'decision-maker-with-competitor',
      'no-coach',
      'single-threaded',
    ]);
  });

  it('a healthy account raises no flag', () => {
    const d = decide(
      account({
        contacts: [
          contact('a', { influence: 5, stance: 2, interactions90d: 6 }),
          contact('b', { influence: 3, stance: 1, interactions90d: 3 }),
        ],
        competitors: [competitor('k')],
      }),
    );
    expect(d.flags).toEqual([]);
  });
});

describe('the reporting relationship (org chart)', () => {
  const contacts = account({
    contacts: [
      contact('ceo', { influence: 5 }),
      contact('cfo', { reportsTo: 'ceo' }),
      contact('it', { reportsTo: 'cfo' }),
      contact('eng', { reportsTo: 'it' }),
      contact('hr', { reportsTo: 'ceo' }),
    ],
  }).contacts;

  it('reportingChain walks up from the contact', () => {
    expect(reportingChain(contacts, 'eng')).toEqual(['eng', 'it', 'cfo', 'ceo']);
    expect(reportingChain(contacts, 'ceo')).toEqual(['ceo']);
    expect(reportingChain(contacts, 'nobody')).toEqual([]);
  });

  const shape = (nodes: OrgNode[]): unknown => nodes.map((n) => ({ [n.contact.id]: shape(n.reports) }));

  it('orgChart builds the tree', () => {
    expect(shape(orgChart(contacts))).toEqual([{ ceo: [{ cfo: [{ it: [{ eng: [] }] }] }, { hr: [] }] }]);
  });

  it('a reporting cycle does not loop: the chain stops, the cycle members become roots', () => {
    const cyclic = account({
      contacts: [contact('x', { reportsTo: 'y' }), contact('y', { reportsTo: 'x' }), contact('z', { reportsTo: 'x' })],
    }).contacts;
    expect(reportingChain(cyclic, 'z')).toEqual(['z', 'x', 'y']);
    expect(reportingChain(cyclic, 'x')).toEqual(['x', 'y']);
    expect(shape(orgChart(cyclic))).toEqual([{ x: [{ z: [] }] }, { y: [] }]);
  });

  it('a manager outside the contact list makes a root', () => {
    const dangling = account({ contacts: [contact('a', { reportsTo: 'gone' }), contact('b', { reportsTo: 'a' })] }).contacts;
    expect(shape(orgChart(dangling))).toEqual([{ a: [{ b: [] }] }]);
    expect(reportingChain(dangling, 'b')).toEqual(['b', 'a']);
  });
});

describe('the political map', () => {
  // cfo → ceo (3), it → cfo (2), eng → it (3), eng → ceo (1), sales → eng (1)
  const map = account({
    contacts: [
      contact('ceo', { influence: 5, decisionRole: 'decision-maker' }),
      contact('cfo', { influence: 4 }),
      contact('it', { influence: 3 }),
      contact('eng', { influence: 2 }),
      contact('sales', { influence: 2 }),
      contact('coo', { influence: 3, decisionRole: 'decision-maker' }),
    ],
    influenceLinks: [
      { from: 'cfo', to: 'ceo', weight: 3 },
      { from: 'it', to: 'cfo', weight: 2 },
      { from: 'eng', to: 'it', weight: 3 },
      { from: 'eng', to: 'ceo', weight: 1 },
      { from: 'sales', to: 'eng', weight: 1 },
    ],
  });

  it('influencersOf finds direct and indirect influencers with the strongest (weakest-link) path', () => {
    // cfo: direct, 3. it: it→cfo→ceo, min(2, 3) = 2, distance 2.
    // eng: direct with 1, but eng→it→cfo→ceo has min(3, 2, 3) = 2 at distance 3: the stronger path wins.
    // sales: sales→eng→ceo, min(1, 1) = 1, distance 2.
    expect(influencersOf(map, 'ceo')).toEqual([
      { contactId: 'cfo', strength: 3, distance: 1, via: [] },
      { contactId: 'it', strength: 2, distance: 2, via: ['cfo'] },
      { contactId: 'eng', strength: 2, distance: 3, via: ['it', 'cfo'] },
      { contactId: 'sales', strength: 1, distance: 2, via: ['eng'] },
    ]);
  });

  it('maxDistance limits the depth', () => {
    expect(influencersOf(map, 'ceo', 1).map((i) => i.contactId)).toEqual(['cfo', 'eng']);
  });

  it('nobody influences a contact without incoming links', () => {
    expect(influencersOf(map, 'sales')).toEqual([]);
  });

  it('an influence cycle terminates', () => {
    const cyc = account({
      contacts: [contact('a'), contact('b'), contact('c')],
      influenceLinks: [
        { from: 'a', to: 'b', weight: 2 },
        { from: 'b', to: 'a', weight: 2 },
        { from: 'c', to: 'a', weight: 1 },
      ],
    });
    expect(influencersOf(cyc, 'a')).toEqual([
      { contactId: 'b', strength: 2, distance: 1, via: [] },
      { contactId: 'c', strength: 1, distance: 1, via: [] },
    ]);
  });

  it('decisionMakerInfluence lists influence-5 contacts and decision-maker roles with their influencers', () => {
    const r = decisionMakerInfluence(map);
    expect(r.map((x) => x.decisionMakerId)).toEqual(['ceo', 'coo']);
    expect(r[0]!.influencers.map((i) => i.contactId)).toEqual(['cfo', 'it', 'eng', 'sales']);
    expect(r[1]!.influencers).toEqual([]);
  });
});
