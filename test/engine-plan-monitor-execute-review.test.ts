/**
 * Stages 6–9 (ESP-PLUS.md "Plan", "Monitor", "Execute", "Review"): revenue objectives and tactic
 * templates, monitor health and the way back to plan, visit cadence and actions, the annual review.
 * Dates are worked out by hand on the calendar (2025 is not a leap year).
 */
import { describe, expect, it } from 'vitest';
import {
  actionStatus,
  addDays,
  daysBetween,
  decideAccount,
  explainMonitor,
  migrationMatrix,
  monitorAccount,
  plan,
  revenueObjective,
  reviewAccount,
  summarizeReviews,
  topCompetitors,
  visitStatus,
  type Account,
  type AccountReview,
  type MonitorContext,
  type Snapshot,
  type Strategy,
  type Tier,
} from '../engine/index.js';
import { account, competitor, contact, defaultBook } from './helpers/accounts.js';

const rules = defaultBook().forIndustry('*');
const rs = rules.ruleSet;

describe('plan: revenue objectives', () => {
  const a = account({ revenueWithUs: 1_000_000, potential: 20_000_000 });
  it('grow: revenueWithUs × 1.30', () => {
    expect(revenueObjective(a, 'grow', rs)).toMatchObject({ baseline: 1_000_000, target: 1_300_000, growth: 0.3 });
  });
  it('retain: × 1.05', () => {
    expect(revenueObjective(a, 'retain', rs)).toMatchObject({ target: 1_050_000, growth: 0.05 });
  });
  it('win-back: back to last year (× 1)', () => {
    expect(revenueObjective(a, 'win-back', rs)).toMatchObject({ target: 1_000_000, growth: 0 });
  });
  it('wait-and-watch: × 1 by default', () => {
    expect(revenueObjective(a, 'wait-and-watch', rs).target).toBe(1_000_000);
  });
  it('acquire: a first deal of 5 % of potential (20,000,000 → 1,000,000)', () => {
    expect(revenueObjective(a, 'acquire', rs)).toMatchObject({ baseline: 1_000_000, target: 1_000_000, growth: null });
    expect(revenueObjective(account({ revenueWithUs: 0, potential: 3_333_333 }), 'acquire', rs).target).toBe(166_666.65);
  });
  it('odd amounts are rounded to 2 decimals: 123,456.78 × 1.3 = 160,493.814 → 160,493.81', () => {
    expect(revenueObjective(account({ revenueWithUs: 123_456.78 }), 'grow', rs).target).toBe(160_493.81);
  });
});

describe('plan: GOSART', () => {
  const competitors = [
    { id: 'k1', name: 'K1', share: 0.2, closeness: 40 },
    { id: 'k2', name: 'K2', share: 0.5, closeness: 30 },
    { id: 'k3', name: 'K3', share: 0.3, closeness: 60 },
  ];
  const a = account({
    revenueWithUs: 1_000_000,
    solution: 'Cloud ERP',
    businessValue: 'Close the books in 3 days',
    competitors: [competitor('k1'), competitor('k2', { theirOffer: 'on-prem suite', ourEdge: 'no hardware' }), competitor('k3')],
  });
  const make = (strategy: Strategy, tier: Tier) =>
    plan(
      {
        account: a,
        tier,
        strategy,
        investment: 'high',
        presalesTier: 'priority',
        owner: 'u1',
        closeness: 55,
        competitors,
        startDate: '2025-01-01',
      },
      rs,
    );

  it('grow templates become actions with owners and due dates (30 / 60 / 120 days after 2025-01-01)', () => {
    const p = make('grow', 'T2');
    expect(p.goal).toBe(rs.plan.goals.grow);
    expect(p.strategy).toBe('grow');
    expect(p.actions).toEqual([
      {
        key: 'grow-1',
        title: "Map the customer's business needs",
        description: undefined,
        role: 'owner',
        owner: 'u1',
        dueDate: '2025-01-31',
      },
      {
        key: 'grow-2',
        title: 'Front-load presales and solution work',
        description: undefined,
        role: 'presales',
        owner: 'presales:priority',
        dueDate: '2025-03-02',
      },
      {
        key: 'grow-3',
        title: "Join this year's tenders",
        description: undefined,
        role: 'owner',
        owner: 'u1',
        dueDate: '2025-05-01',
      },
    ]);
    expect(p.objectives.revenue.target).toBe(1_300_000);
    expect(p.resources).toEqual({ owner: 'u1', presalesTier: 'priority', investment: 'high' });
  });

  it('win-back has an executive-sponsor action (21 / 45 / 90 days)', () => {
    const p = make('win-back', 'T1');
    expect(p.actions.map((x) => [x.role, x.owner, x.dueDate])).toEqual([
      ['owner', 'u1', '2025-01-22'],
      ['executive', 'executive-sponsor', '2025-02-15'],
      ['owner', 'u1', '2025-04-01'],
    ]);
  });

  it('every strategy has its templates', () => {
    expect(make('retain', 'T3').actions.map((x) => x.title)).toEqual([
      'Quarterly business review',
      'Cost-effective service plan',
      'Customer satisfaction survey',
    ]);
    expect(make('wait-and-watch', 'T4').actions.map((x) => x.title)).toEqual([
      'Keep a contact cadence',
      'Track organisational changes',
    ]);
    expect(make('acquire', 'T3').actions.map((x) => x.title)).toEqual([
      'Find the entry point',
      'Reference visit to a showcase customer',
      'Run a pilot',
    ]);
  });

  it('needs approval for T1 and T2 only', () => {
    expect(make('grow', 'T1').needsApproval).toBe(true);
    expect(make('grow', 'T2').needsApproval).toBe(true);
    expect(make('grow', 'T3').needsApproval).toBe(false);
    expect(make('grow', 'T4').needsApproval).toBe(false);
  });

  it('the value proposition compares with the top two competitors by share', () => {
    const p = make('retain', 'T2');
    expect(p.valueProposition.ourSolution).toBe('Cloud ERP');
    expect(p.valueProposition.businessValue).toBe('Close the books in 3 days');
    expect(p.valueProposition.versus).toEqual([
      { competitorId: 'k2', name: 'K2', share: 0.5, closeness: 30, theirOffer: 'on-prem suite', ourEdge: 'no hardware' },
      { competitorId: 'k3', name: 'K3', share: 0.3, closeness: 60, theirOffer: null, ourEdge: null },
    ]);
  });

  it('top competitors: share ties go to the closer competitor, then id; fewer than two is fine', () => {
    const tied = [
      { id: 'b', name: 'B', share: 0.3, closeness: 10 },
      { id: 'a', name: 'A', share: 0.3, closeness: 10 },
      { id: 'c', name: 'C', share: 0.3, closeness: 50 },
    ];
    expect(topCompetitors(tied).map((c) => c.id)).toEqual(['c', 'a']);
    expect(topCompetitors(tied.slice(0, 1)).map((c) => c.id)).toEqual(['b']);
    expect(topCompetitors([])).toEqual([]);
  });

  it('tests (KPIs) carry the objectives and quarterly checkpoints', () => {
    const p = make('grow', 'T2');
    expect(p.tests.map((t) => [t.kpi, t.target])).toEqual([
      ['revenueWithUs', 1_300_000],
      ['closeness', p.objectives.closenessTarget],
      ['actionsDone', 3],
    ]);
    expect(p.tests[0]!.checkpoints).toHaveLength(4);
    expect(p.tests[0]!.checkpoints.at(-1)).toBe('2026-01-01'); // 365 days after 2025-01-01
  });
});

describe('monitor: health', () => {
  // Two contacts: a champion and a neutral, both influence 4 and 6 interactions:
  // (4·1 + 4·0.5) / 8 = 0.75 → closeness 75. T3 / class B by the default fields; flags: single-threaded.
  const base = account({
    contacts: [
      contact('a', { influence: 4, stance: 2, interactions90d: 6 }),
      contact('b', { influence: 4, stance: 0, interactions90d: 6 }),
    ],
  });
  const ctx = (over: Partial<MonitorContext> = {}): MonitorContext => ({
    overdueVisits: 0,
    openActions: 0,
    overdueActions: 0,
    ...over,
  });
  const monitor = (a: Account, over: Partial<MonitorContext> = {}) => monitorAccount(a, rules, ctx(over));
  const T1 = { revenueWithUs: 20_000_000, potential: 100_000_000, demonstration: 80, winnability: 80 };

  it('the fixture is T3 with closeness 75 and only single-threaded', () => {
    const d = decideAccount(base, rules);
    expect(d).toMatchObject({ tier: 'T3', closeness: 75, flags: ['single-threaded'], strategy: 'retain' });
  });

  it('green without a plan and without problems', () => {
    const m = monitor(base);
    expect(m.health).toBe('green');
    expect(m.alerts).toEqual([]);
    expect(m.planStrategy).toBe('retain');
    expect(m.backToPlan).toBe(false);
  });

  it('red when closeness fell exactly 25 since the plan (100 → 75); amber alert too', () => {
    const m = monitor(base, { plan: { strategy: 'retain', closeness: 100 } });
    expect(m.health).toBe('red');
    expect(m.alerts.map((x) => [x.health, x.alert])).toEqual([
      ['red', 'closeness-fell-sharply'],
      ['amber', 'closeness-fell'],
    ]);
  });
  it('amber when it fell 24.99 (99.99 → 75)', () => {
    expect(monitor(base, { plan: { strategy: 'retain', closeness: 99.99 } }).health).toBe('amber');
  });
  it('amber when it fell exactly 10 (85 → 75)', () => {
    const m = monitor(base, { plan: { strategy: 'retain', closeness: 85 } });
    expect(m.health).toBe('amber');
    expect(m.alerts.map((x) => x.alert)).toEqual(['closeness-fell']);
  });
  it('green when it fell 9.99 (84.99 → 75) or rose', () => {
    expect(monitor(base, { plan: { strategy: 'retain', closeness: 84.99 } }).health).toBe('green');
    expect(monitor(base, { plan: { strategy: 'retain', closeness: 10 } }).health).toBe('green');
  });

  it('red on decision-maker-with-competitor, whatever the tier', () => {
    const a = account({
      contacts: [...base.contacts, contact('dm', { influence: 5, stance: 0, interactions90d: 6, competitorStances: { k: 1 } })],
      competitors: [competitor('k')],
    });
    const m = monitor(a);
    expect(m.decision.tier).toBe('T3');
    expect(m.health).toBe('red');
    expect(m.alerts.map((x) => x.alert)).toContain('decision-maker-with-competitor');
  });

  // us: a 4·1 = 4, b 4·0.5 = 2 → 75; k: a stance 2 → 4, b stance 2 → 4 → 100; advantage −25
  const behind = {
    contacts: [
      contact('a', { influence: 4, stance: 2, interactions90d: 6, competitorStances: { k: 2 } }),
      contact('b', { influence: 4, stance: 0, interactions90d: 6, competitorStances: { k: 2 } }),
    ],
    competitors: [competitor('k')],
  };
  it('red on competitor-ahead for a T1 account', () => {
    const m = monitor(account({ ...T1, ...behind }));
    expect(m.decision).toMatchObject({ tier: 'T1', advantage: -25 });
    expect(m.decision.flags).toContain('competitor-ahead');
    expect(m.health).toBe('red');
    expect(m.alerts.map((x) => x.alert)).toEqual(['competitor-ahead']);
  });
  it('competitor-ahead on a T3 account is not a health alert', () => {
    const m = monitor(account(behind));
    expect(m.decision.tier).toBe('T3');
    expect(m.decision.flags).toContain('competitor-ahead');
    expect(m.health).toBe('green');
  });

  it('amber when a visit is overdue', () => {
    expect(monitor(base, { overdueVisits: 1 })).toMatchObject({
      health: 'amber',
      alerts: [{ alert: 'visit-overdue', health: 'amber' }],
    });
    expect(monitor(base, { overdueVisits: 0 }).health).toBe('green');
  });

  it('amber on no-coach for T1/T2, not for T3', () => {
    const noCoach = {
      contacts: [
        contact('a', { influence: 4, stance: 1, interactions90d: 6 }),
        contact('b', { influence: 4, stance: 1, interactions90d: 6 }),
      ],
    };
    const t1 = monitor(account({ ...T1, ...noCoach }));
    expect(t1.decision.flags).toEqual(['no-coach']);
    expect(t1.health).toBe('amber');
    expect(t1.alerts.map((x) => x.alert)).toEqual(['no-coach']);
    const t3 = monitor(account(noCoach));
    expect(t3.decision.flags).toEqual(['no-coach']);
    expect(t3.health).toBe('green');
  });

  it('goes back to plan when the strategy rules now choose another strategy', () => {
    const m = monitor(base, { plan: { strategy: 'grow', closeness: 75 } });
    expect(m.decision.strategy).toBe('retain');
    expect(m.planStrategy).toBe('grow');
    expect(m.backToPlan).toBe(true);
    expect(monitor(base, { plan: { strategy: 'retain', closeness: 75 } }).backToPlan).toBe(false);
  });

  it('explainMonitor traces the health rules', () => {
    const { result, explanation } = explainMonitor(base, rules, ctx({ plan: { strategy: 'retain', closeness: 85 } }));
    expect(result.health).toBe('amber');
    expect(explanation.health?.result).toBe('amber');
    expect(explanation.health?.decidedBy).toEqual(['closeness-fell']);
    expect(explanation.health?.rules.map((r) => r.name)).toEqual([
      'closeness-fell-sharply',
      'decision-maker-with-competitor',
      'key-account-competitor-ahead',
      'closeness-fell',
      'visit-overdue',
      'key-account-no-coach',
    ]);
  });
});

describe('execute: visit cadence 30 / 45 / 60 / 90 days', () => {
  const cases: [Tier, number, string, string][] = [
    // tier, cadence, last day not overdue (last visit + cadence), first overdue day (+ cadence + 1)
    ['T1', 30, '2025-01-31', '2025-02-01'],
    ['T2', 45, '2025-02-15', '2025-02-16'],
    ['T3', 60, '2025-03-02', '2025-03-03'],
    ['T4', 90, '2025-04-01', '2025-04-02'],
  ];
  for (const [tier, cadence, due, overdue] of cases) {
    it(`${tier}: a visit on 2025-01-01 is due ${due} (not overdue that day), overdue from ${overdue}`, () => {
      const atDue = visitStatus(['2025-01-01'], tier, due, '2024-06-01', rs);
      expect(atDue).toEqual({ cadenceDays: cadence, lastVisit: '2025-01-01', nextDue: due, overdue: false, overdueVisits: 0 });
      const after = visitStatus(['2025-01-01'], tier, overdue, '2024-06-01', rs);
      expect(after).toMatchObject({ overdue: true, overdueVisits: 1, nextDue: due });
    });
  }

  it('uses the latest visit on or before asOf; later (planned) visits do not count', () => {
    const s = visitStatus(['2024-12-01', '2025-01-10', '2025-03-01'], 'T1', '2025-02-05', '2024-01-01', rs);
    expect(s.lastVisit).toBe('2025-01-10');
    expect(s.nextDue).toBe('2025-02-09');
    expect(s.overdue).toBe(false);
  });

  it('without visits the clock starts at `since`', () => {
    expect(visitStatus([], 'T1', '2025-01-31', '2025-01-01', rs)).toMatchObject({
      lastVisit: null,
      overdue: false,
      nextDue: '2025-01-31',
    });
    expect(visitStatus([], 'T1', '2025-02-01', '2025-01-01', rs)).toMatchObject({ overdue: true, overdueVisits: 1 });
  });

  it('counts whole missed periods: 61 days on T1 → 2', () => {
    // 2025-01-01 + 61 days = 2025-03-03
    expect(visitStatus(['2025-01-01'], 'T1', '2025-03-03', '2025-01-01', rs).overdueVisits).toBe(2);
  });

  it('date helpers', () => {
    expect(daysBetween('2025-01-01', '2025-03-01')).toBe(59);
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2); // leap year
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
  });
});

describe('execute: actions', () => {
  it('counts done, open and overdue (due before asOf, not done)', () => {
    const s = actionStatus(
      [
        { dueDate: '2025-01-10', doneAt: '2025-01-09' },
        { dueDate: '2025-01-10' }, // overdue
        { dueDate: '2025-01-20', doneAt: null }, // due today: open, not overdue
        { dueDate: '2025-02-01' },
      ],
      '2025-01-20',
    );
    expect(s).toEqual({ total: 4, done: 1, open: 3, overdue: 1, doneShare: 0.25 });
  });
  it('no actions: doneShare null', () => {
    expect(actionStatus([], '2025-01-01')).toEqual({ total: 0, done: 0, open: 0, overdue: 0, doneShare: null });
  });
});

describe('review', () => {
  const snap = (tier: Tier, cls: Snapshot['class'], strategy: Strategy, closeness: number, score = 50): Snapshot => ({
    score,
    tier,
    class: cls,
    strategy,
    closeness,
  });

  it('per account: attainment, actions done, opportunities, closeness change', () => {
    const r = reviewAccount(
      {
        accountId: 'a1',
        objective: 1_300_000,
        actualRevenue: 1_170_000,
        actions: [
          { dueDate: '2025-03-01', doneAt: '2025-02-01' },
          { dueDate: '2025-06-01', doneAt: '2025-05-01' },
          { dueDate: '2025-09-01' },
        ],
        opportunities: [{ estimatedValue: 250_000 }, { estimatedValue: 100_000.5 }],
        before: snap('T2', 'C', 'grow', 60),
        after: snap('T1', 'A', 'retain', 72.5),
      },
      '2026-01-15',
    );
    // 1,170,000 / 1,300,000 = 0.9; 2 of 3 done = 0.67; 72.5 − 60 = 12.5
    expect(r).toMatchObject({
      accountId: 'a1',
      attainment: 0.9,
      actionsDoneShare: 0.67,
      opportunities: { count: 2, value: 350_000.5 },
      closenessChange: 12.5,
    });
  });

  it('without an objective (or a zero one) attainment is null; without a before snapshot no change', () => {
    const base = {
      accountId: 'x',
      actualRevenue: 10,
      actions: [],
      opportunities: [],
      before: null,
      after: snap('T4', 'D', 'retain', 0),
    };
    expect(reviewAccount({ ...base, objective: null }, '2026-01-15')).toMatchObject({
      attainment: null,
      actionsDoneShare: null,
      closenessChange: null,
    });
    expect(reviewAccount({ ...base, objective: 0 }, '2026-01-15').attainment).toBeNull();
  });

  it('portfolio: tier and class migration matrices, strategy changes, attainment', () => {
    const review = (id: string, attainment: number | null, before: Snapshot | null, after: Snapshot): AccountReview => ({
      accountId: id,
      attainment,
      actionsDoneShare: null,
      opportunities: { count: 1, value: 100 },
      closenessChange: null,
      before,
      after,
    });
    const s = summarizeReviews([
      review('a', 1.2, snap('T2', 'C', 'grow', 50), snap('T1', 'A', 'retain', 50)),
      review('b', 0.8, snap('T2', 'C', 'grow', 50), snap('T2', 'C', 'grow', 50)),
      review('c', 1, snap('T3', 'B', 'retain', 50), snap('T4', 'D', 'retain', 50)),
      review('d', null, snap('T1', 'A', 'retain', 50), snap('T1', 'A', 'win-back', 50)),
      review('e', 0.5, null, snap('T3', 'B', 'acquire', 50)), // new account: not in the matrices
    ]);
    expect(s.accounts).toBe(5);
    expect(s.tierMigration).toEqual({
      T1: { T1: 1, T2: 0, T3: 0, T4: 0 },
      T2: { T1: 1, T2: 1, T3: 0, T4: 0 },
      T3: { T1: 0, T2: 0, T3: 0, T4: 1 },
      T4: { T1: 0, T2: 0, T3: 0, T4: 0 },
    });
    expect(s.classMigration).toEqual({
      A: { A: 1, B: 0, C: 0, D: 0 },
      B: { A: 0, B: 0, C: 0, D: 1 },
      C: { A: 1, B: 0, C: 1, D: 0 },
      D: { A: 0, B: 0, C: 0, D: 0 },
    });
    expect(s.strategyChanges).toEqual({ 'grow->retain': 1, 'retain->win-back': 1 });
    // mean of 1.2, 0.8, 1, 0.5 = 3.5 / 4 = 0.875 → 0.88; at or above 1: 1.2 and 1
    expect(s.attainment).toEqual({ mean: 0.88, atOrAbove1: 2 });
    expect(s.opportunities).toEqual({ count: 5, value: 500 });
  });

  it('migrationMatrix counts pairs', () => {
    expect(
      migrationMatrix(['x', 'y'] as const, [
        ['x', 'y'],
        ['x', 'y'],
        ['y', 'y'],
      ]),
    ).toEqual({ x: { x: 0, y: 2 }, y: { x: 0, y: 1 } });
  });
});
