/**
 * The studio's account, portfolio and review loaders and the account actions, against a real
 * (PGlite) database: a manager never gets another manager's account — by list, detail, export or
 * action — filters and paging agree with the data, the nine-box levels computed in SQL agree with
 * the engine, and workflow refusals come back as catalogue codes.
 */
import { isHttpError } from '@sveltejs/kit';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/client.js';
import { generateAccounts } from '../db/demo/generate.js';
import { EXPORT_COLUMNS } from '../db/export/accounts.js';
import { migrate } from '../db/migrate.js';
import { listActions, markActionDone } from '../db/repositories/actions.js';
import { updateComputedMany, upsertAccounts } from '../db/repositories/accounts.js';
import { approvePlan, createPlan } from '../db/repositories/plans.js';
import { finishReviewRun, recordReview, startReviewRun } from '../db/repositories/reviews.js';
import { seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import { appendStageResult } from '../db/repositories/stage-results.js';
import { addMembers, upsertTeams } from '../db/repositories/teams.js';
import { upsertUsers } from '../db/repositories/users.js';
import { accounts, plans } from '../db/schema.js';
import { accountSchema, explainAccount, summarizeReviews, type Account, type AccountReview } from '../engine/index.js';
import { relationshipMap } from '../studio/src/lib/components/accounts/relationship-map.js';
import { parseAccountQuery } from '../studio/src/lib/server/account-query.js';
import { rulesFor } from '../studio/src/lib/server/account-rules.js';
import { _loadAccountsPage as loadAccountsPage } from '../studio/src/routes/accounts/+page.server.js';
import {
  _completeAction as completeAction,
  _reopenAction as reopenAction,
  _decidePlan as decidePlan,
  _loadAccountDetail as loadAccountDetail,
  _logOpportunity as logOpportunity,
  _logVisit as logVisit,
} from '../studio/src/routes/accounts/[id]/+page.server.js';
import { _exportAccountsCsv as exportAccountsCsv } from '../studio/src/routes/accounts/export.csv/+server.js';
import {
  _loadPortfolio as loadPortfolio,
  _loadPortfolioLive as loadPortfolioLive,
  _runReviewNow as runReviewNow,
  _reviewConfirmation as reviewConfirmation,
} from '../studio/src/routes/portfolio/+page.server.js';
import { _loadReviews as loadReviews } from '../studio/src/routes/reviews/+page.server.js';
import { describeWorkflowError, type TemporalPort } from '../studio/src/lib/server/temporal.js';
import { errorText, stageSummary } from '../studio/src/lib/components/accounts/format.js';
import { planAuthor, ruleSetName, teamName } from '../studio/src/lib/components/terms.js';
import { catalogs, createI18n, translate, type Locale } from '../studio/src/lib/i18n/index.js';
import { REFUSAL_CODES, refusal } from '../workflows/refusals.js';
import type { SessionUser } from '../studio/src/lib/user.js';

const admin: SessionUser = { id: 'u-admin', email: 'admin@example.test', name: 'Ada Admin', role: 'admin', locale: 'en' };
const alice: SessionUser = { id: 'u-a', email: 'a@example.test', name: 'Alice', role: 'manager', locale: 'en' };
const bob: SessionUser = { id: 'u-b', email: 'b@example.test', name: 'Bob', role: 'manager', locale: 'zh-CN' };
const carol: SessionUser = { id: 'u-c', email: 'c@example.test', name: 'Carol', role: 'manager', locale: 'en' };
const OWNERS = [alice.id, bob.id, carol.id];
/** Carol's accounts with an even index are covered by Bob's team. */
const TEAM = 'region:Testland';

let database: Database;
let all: Account[];
const ownerOf = new Map<string, string>();
const teamOf = new Map<string, string | null>();
let decisions: Map<string, ReturnType<typeof explainAccount>['decision']>;

/** Accounts Bob may see: his own and those his team covers. */
const bobSees = (id: string) => ownerOf.get(id) === bob.id || teamOf.get(id) === TEAM;

const i18nIn = (locale: Locale) => createI18n(() => ({ locale, currency: 'CNY', timeZone: 'UTC' }));

/** A stub Temporal that records what it was asked and answers or refuses as told. */
function stubPort(behaviour: Partial<Record<keyof TemporalPort, (...args: unknown[]) => unknown>> = {}) {
  const calls: { method: string; args: unknown[] }[] = [];
  const handler =
    (method: keyof TemporalPort) =>
    async (...args: unknown[]) => {
      calls.push({ method, args });
      const fn = behaviour[method];
      return fn ? fn(...args) : { ok: true };
    };
  const port = Object.fromEntries(
    (
      [
        'accountState',
        'approvePlan',
        'logVisit',
        'completeAction',
        'reopenAction',
        'logOpportunity',
        'startReview',
        'reviewProgress',
        'reviewSchedule',
        'closedAccountWorkflows',
      ] as const
    ).map((m) => [m, handler(m)]),
  ) as unknown as TemporalPort;
  return { port, calls };
}

function form(values: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(values)) f.set(k, v);
  return f;
}

async function expectStatus(promise: Promise<unknown>, status: number): Promise<void> {
  try {
    await promise;
  } catch (e) {
    expect(isHttpError(e), String(e)).toBe(true);
    expect((e as { status: number }).status).toBe(status);
    return;
  }
  throw new Error(`expected an HTTP ${status}`);
}

/** An account with a 30-person org: 1 CEO, 4 VPs, and the rest spread below them. */
function bigOrg(id: string, ownerId: string): Account {
  const contacts = Array.from({ length: 30 }, (_, i) => ({
    id: `p${i}`,
    name: `Person ${i} ${'Longname'.repeat(i % 3)}`,
    title: i === 0 ? 'Chief Executive Officer' : i < 5 ? `Vice President ${i}` : `Manager ${i}`,
    reportsTo: i === 0 ? null : i < 5 ? 'p0' : `p${1 + (i % 4)}`,
    influence: i === 0 ? 5 : i < 5 ? 4 : 1 + (i % 3),
    decisionRole: i === 0 ? ('decision-maker' as const) : ('influencer' as const),
    behavior: 'results' as const,
    stance: ((i % 5) - 2) as -2 | -1 | 0 | 1 | 2,
    competitorStances: { rival: (i % 3) - 1, other: 1 - (i % 3) },
    interactions90d: i % 7,
  }));
  return accountSchema.parse({
    id,
    name: 'Big Org Holdings',
    industry: 'manufacturing',
    region: 'East',
    status: 'active',
    ownerId,
    revenueWithUs: 12_000_000,
    potential: 60_000_000,
    demonstration: 70,
    winnability: 70,
    contacts,
    competitors: [
      { id: 'rival', name: 'Rival Corp', share: 0.3, theirOffer: 'Cheaper licences', ourEdge: 'Local support' },
      { id: 'other', name: 'Other Inc', share: 0.2 },
    ],
    influenceLinks: [
      { from: 'p7', to: 'p0', weight: 3 },
      { from: 'p12', to: 'p2', weight: 2 },
      { from: 'p20', to: 'p0', weight: 1 },
    ],
  });
}

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://', url: '' });
  const db = database.db;
  await migrate(db);
  await seedDefaultRuleSets(db);
  await upsertUsers(
    db,
    [admin, alice, bob, carol].map((u) => ({ ...u, passwordHash: 'x' })),
  );
  await upsertTeams(db, [{ id: TEAM, name: 'Testland', line: 'regional' }]);
  await addMembers(db, TEAM, [bob.id]);

  all = generateAccounts(150, 7).map((a, i) => ({ ...a, ownerId: OWNERS[i % 3]! }));
  all.push(bigOrg('big-org', alice.id));
  await upsertAccounts(db, all);
  decisions = new Map();
  const patches = [];
  for (const [i, a] of all.entries()) {
    ownerOf.set(a.id, a.ownerId!);
    // Every 10th account is left unevaluated, as if its workflow had not started.
    if (i % 10 === 9) {
      teamOf.set(a.id, null);
      continue;
    }
    const { decision } = explainAccount(a, await rulesFor(db, a.industry));
    decisions.set(a.id, decision);
    const team = a.ownerId === carol.id && i % 2 === 0 ? TEAM : decision.coverage.team;
    teamOf.set(a.id, team);
    patches.push({
      id: a.id,
      score: decision.score,
      tier: decision.tier,
      class: decision.class,
      closeness: decision.closeness,
      advantage: decision.advantage,
      strategy: decision.strategy,
      investment: decision.investment,
      stage: i % 4 === 0 ? ('plan' as const) : ('execute' as const),
      waitingFor: i % 4 === 0 ? 'plan-approval' : null,
      health: (['green', 'amber', 'red'] as const)[i % 3]!,
      coverageTeam: team,
      coverageTrack: decision.coverage.track,
    });
  }
  await updateComputedMany(db, patches);
}, 120_000);

afterAll(async () => {
  await database?.close();
});

describe('the accounts list', () => {
  it('shows a manager only the accounts they own or their team covers', async () => {
    const page = await loadAccountsPage(database.db, bob, parseAccountQuery(new URLSearchParams('size=100')));
    const expected = all.filter((a) => bobSees(a.id)).map((a) => a.id);
    expect(page.total).toBe(expected.length);
    expect(page.total).toBeGreaterThan(all.length / 3);
    const ids: string[] = [];
    for (let p = 1; p <= page.pages; p++) {
      const next = await loadAccountsPage(database.db, bob, new URLSearchParams(`size=100&page=${p}`));
      ids.push(...next.rows.map((r) => r.id));
    }
    expect(ids.sort()).toEqual([...expected].sort());
    expect(page.seesAll).toBe(false);
    // The owner filter cannot widen the scope.
    const other = await loadAccountsPage(database.db, bob, new URLSearchParams(`owner=${alice.id}`));
    expect(other.total).toBe(0);
    expect(page.options.owners.map((o) => o.id).sort()).toEqual([bob.id, carol.id]);
  });

  it('shows an admin everything', async () => {
    const page = await loadAccountsPage(database.db, admin, new URLSearchParams());
    expect(page.total).toBe(all.length);
    expect(page.seesAll).toBe(true);
    expect(page.rows).toHaveLength(50);
  });

  it('filters, searches and sorts', async () => {
    const db = database.db;
    const t2 = await loadAccountsPage(db, admin, new URLSearchParams('tier=T2&size=100'));
    expect(t2.total).toBe([...decisions.values()].filter((d) => d.tier === 'T2').length);
    expect(t2.rows.every((r) => r.tier === 'T2')).toBe(true);

    const combo = await loadAccountsPage(db, alice, new URLSearchParams('industry=finance&waiting=plan-approval&size=100'));
    expect(combo.rows.every((r) => r.industry === 'finance' && r.waitingFor === 'plan-approval' && r.ownerId === alice.id)).toBe(
      true,
    );

    const anyWait = await loadAccountsPage(db, admin, new URLSearchParams('waiting=any'));
    expect(anyWait.total).toBe(all.filter((_, i) => i % 10 !== 9 && i % 4 === 0).length);

    const target = all[12]!;
    const byName = await loadAccountsPage(db, admin, new URLSearchParams({ q: target.name.slice(2, 9).toUpperCase() }));
    expect(byName.rows.map((r) => r.id)).toContain(target.id);
    const byId = await loadAccountsPage(db, admin, new URLSearchParams({ q: target.id }));
    expect(byId.rows.map((r) => r.id)).toContain(target.id);
    // LIKE wildcards typed by a user match themselves only.
    expect((await loadAccountsPage(db, admin, new URLSearchParams({ q: '%' }))).total).toBe(0);

    const sorted = await loadAccountsPage(db, admin, new URLSearchParams('sort=name&size=100'));
    const names = sorted.rows.map((r) => r.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const scores = (await loadAccountsPage(db, admin, new URLSearchParams())).rows.map((r) => r.score);
    const scored = scores.filter((s): s is number => s !== null);
    expect(scored).toEqual([...scored].sort((a, b) => b - a));
  });

  it('filters by covering team, offering the teams in the scope by their names', async () => {
    const db = database.db;
    const covered = all.filter((a) => teamOf.get(a.id) === TEAM).map((a) => a.id);
    const forBob = await loadAccountsPage(db, bob, new URLSearchParams({ team: TEAM, size: '100' }));
    expect(forBob.query.team).toBe(TEAM);
    expect(forBob.rows.map((r) => r.id).sort()).toEqual(covered.sort());
    expect(forBob.options.teams).toContainEqual({ id: TEAM, name: 'Testland', count: covered.length });
    // Teams the coverage rules name but the table does not hold come without a name (the label is the studio's).
    const forAdmin = await loadAccountsPage(db, admin, new URLSearchParams());
    const unnamed = forAdmin.options.teams.filter((o) => o.id !== TEAM);
    expect(unnamed.length).toBeGreaterThan(0);
    expect(unnamed.every((o) => o.name === null)).toBe(true);
  });

  it('counts every filter, the team too, as narrowing the list, and never the order or the page', async () => {
    const db = database.db;
    // A team with no account: the empty list is the filter's doing (the page offers to clear it).
    const none = await loadAccountsPage(db, admin, new URLSearchParams({ team: 'no-such-team' }));
    expect(none).toMatchObject({ total: 0, filtered: true });
    expect((await loadAccountsPage(db, admin, new URLSearchParams({ owner: bob.id }))).filtered).toBe(true);
    const placed = await loadAccountsPage(db, admin, new URLSearchParams({ sort: 'name', dir: 'desc', page: '2', size: '25' }));
    expect(placed.filtered).toBe(false);
    expect((await loadAccountsPage(db, admin, new URLSearchParams())).filtered).toBe(false);
  });

  it('pages without gaps or repeats and ignores nonsense parameters', async () => {
    const db = database.db;
    const first = await loadAccountsPage(db, admin, new URLSearchParams('size=25'));
    const second = await loadAccountsPage(db, admin, new URLSearchParams('size=25&page=2'));
    expect(second.page).toBe(2);
    expect(new Set([...first.rows, ...second.rows].map((r) => r.id)).size).toBe(50);
    const odd = parseAccountQuery(new URLSearchParams('tier=T9&sort=drop table&page=-3&size=7&dir=sideways'));
    expect(odd).toMatchObject({ tier: null, sort: 'score', page: 1, size: 50, dir: 'desc' });
    const beyond = await loadAccountsPage(db, admin, new URLSearchParams('page=999'));
    expect(beyond.rows).toEqual([]);
    expect(beyond.total).toBe(all.length);
  });

  it('filters by nine-box cell exactly as the engine classifies', async () => {
    for (const potential of ['L', 'M', 'H'] as const) {
      for (const contribution of ['L', 'M', 'H'] as const) {
        const page = await loadAccountsPage(database.db, admin, new URLSearchParams({ potential, contribution, size: '100' }));
        const expected = [...decisions.entries()]
          .filter(([, d]) => d.potentialLevel === potential && d.contributionLevel === contribution)
          .map(([id]) => id)
          .sort();
        expect(page.total, `${potential}/${contribution}`).toBe(expected.length);
        expect(page.rows.map((r) => r.id).sort()).toEqual(expected.slice(0, 100));
      }
    }
  });
});

describe('the CSV export', () => {
  async function csv(user: SessionUser, params: string): Promise<string[]> {
    const stream = await exportAccountsCsv(database.db, user, new URLSearchParams(params));
    const text = await new Response(stream).text();
    return text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
  }

  it('exports the filtered list within the scope, in the import’s columns', async () => {
    const lines = await csv(bob, '');
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(','));
    const ids = lines.slice(1).map((l) => l.split(',')[0]);
    expect(ids.sort()).toEqual(
      all
        .filter((a) => bobSees(a.id))
        .map((a) => a.id)
        .sort(),
    );
    const t1 = await csv(admin, 'tier=T1');
    expect(t1.length - 1).toBe([...decisions.values()].filter((d) => d.tier === 'T1').length);
    // Another manager's owner filter yields nothing, not their accounts.
    expect(await csv(bob, `owner=${alice.id}`)).toHaveLength(1);
  });
});

describe('the account page', () => {
  it('is a 404 for an account outside the manager’s scope, and shown within it', async () => {
    const alices = all.find((a) => a.ownerId === alice.id && a.id !== 'big-org')!;
    await expectStatus(loadAccountDetail(database.db, bob, alices.id), 404);
    await expectStatus(loadAccountDetail(database.db, bob, 'no-such-account'), 404);
    const detail = await loadAccountDetail(database.db, alice, alices.id);
    expect(detail.account.id).toBe(alices.id);
    const covered = all.find((a) => a.ownerId === carol.id && teamOf.get(a.id) === TEAM)!;
    expect((await loadAccountDetail(database.db, bob, covered.id)).account.id).toBe(covered.id);
    expect((await loadAccountDetail(database.db, admin, alices.id)).account.ownerName).toBe('Alice');
  });

  it('names the covering team from the teams table, and a team it does not hold readably', async () => {
    const covered = all.find((a) => a.ownerId === carol.id && teamOf.get(a.id) === TEAM)!;
    const detail = await loadAccountDetail(database.db, bob, covered.id);
    expect(detail.state.coverageTeam).toBe(TEAM);
    expect(detail.teams).toEqual({ [TEAM]: 'Testland' });
    const [en, zh] = [i18nIn('en'), i18nIn('zh-CN')];
    expect(teamName(en, TEAM, detail.teams)).toBe('Testland');
    expect(teamName(zh, TEAM, detail.teams)).toBe('Testland');
    expect(teamName(en, 'industry:retail', detail.teams)).toBe('Retail industry team');
    expect(teamName(zh, 'region:East', detail.teams)).toBe('East区域团队');
    expect(teamName(en, 'support', detail.teams)).toBe('Support line team');
    expect(teamName(zh, 'support', detail.teams)).toBe('支持线团队');
    // A CRM manager's team stores its manager's name; without one the id shows as it is.
    const managers = { 'manager:dustin-brinkmann': 'Dustin Brinkmann' };
    expect(teamName(en, 'manager:dustin-brinkmann', managers)).toBe("Dustin Brinkmann's team");
    expect(teamName(zh, 'manager:dustin-brinkmann', managers)).toBe('Dustin Brinkmann的团队');
    expect(teamName(en, 'manager:dustin-brinkmann')).toBe('manager:dustin-brinkmann');
    expect(stageSummary(en, 'coverage', { track: 'major-project', team: TEAM, strategy: 'grow' }, detail.teams)).toContain(
      'Testland',
    );
  });

  it('says which rule set put a plan in force, and who made each version, in words', async () => {
    const db = database.db;
    const account = all.filter((a) => a.ownerId === alice.id && a.id !== 'big-org')[7]!;
    const plan = await createPlan(db, {
      accountId: account.id,
      cycleYear: 2026,
      goal: 'g',
      objectives: {},
      strategy: 'grow',
      actions: [],
      resources: {},
      tests: [],
      needsApproval: false,
      createdBy: 'workflow',
    });
    await appendStageResult(db, {
      accountId: account.id,
      cycleYear: 2026,
      stage: 'plan',
      ruleSetIndustry: 'retail',
      ruleSetVersion: 3,
      input: {},
      output: { planId: plan.id, version: plan.version },
      explanation: null,
      idempotencyKey: `test-plan-rule-set-${plan.id}`,
    });
    const detail = await loadAccountDetail(db, alice, account.id);
    const current = detail.plans.current!;
    expect(current).toMatchObject({
      id: plan.id,
      needsApproval: false,
      createdBy: 'workflow',
      ruleSet: { industry: 'retail', version: 3 },
    });
    const [en, zh] = [i18nIn('en'), i18nIn('zh-CN')];
    expect(ruleSetName(en, current.ruleSet!)).toBe('Retail rules v3');
    expect(planAuthor(en, current, detail.names)).toBe('automatically, under Retail rules v3');
    expect(planAuthor(zh, current, detail.names)).toBe('依据零售规则 v3 自动生成');
    expect(en.t('decisionSource.automaticUnder', { ruleSet: ruleSetName(en, current.ruleSet!), when: 'today' })).toBe(
      'in force automatically under Retail rules v3 (its tier needs no approval), today',
    );
    // A manager's version is theirs, by name; a plan no audit row names is still the rules', never `workflow`.
    expect(planAuthor(en, { createdBy: alice.id, ruleSet: current.ruleSet }, { [alice.id]: 'Alice' })).toBe('Alice');
    expect(planAuthor(zh, { createdBy: 'workflow', ruleSet: null }, {})).toBe('由规则自动生成');
  });

  it('explains the grade and strategy: a preview before the workflow decides, its own record after', async () => {
    const db = database.db;
    const before = await loadAccountDetail(db, alice, 'big-org');
    expect(before.decisions.grade.source).toBe('preview');
    expect(before.decisions.grade.value.score).toBe(81.5);
    expect(before.decisions.grade.value.tier).toBe('T1');
    expect(before.decisions.strategy.value.result).toBe('retain');
    expect(before.decisions.strategy.value.rules.length).toBeGreaterThan(0);
    expect(before.rules.version).toBe(1);

    const rules = await rulesFor(db, 'manufacturing');
    const { explanation } = explainAccount(
      all.find((a) => a.id === 'big-org')!,
      rules,
    );
    await appendStageResult(db, {
      accountId: 'big-org',
      cycleYear: 2025,
      stage: 'grade',
      ruleSetIndustry: 'manufacturing',
      ruleSetVersion: 1,
      input: {},
      output: { summary: { score: 81.5, tier: 'T1' } },
      explanation: explanation.grade,
      idempotencyKey: 'test/grade/1',
    });
    await appendStageResult(db, {
      accountId: 'big-org',
      cycleYear: 2025,
      stage: 'coverage',
      ruleSetIndustry: 'manufacturing',
      ruleSetVersion: 1,
      input: {},
      output: { summary: { track: 'major-project', team: 'industry:manufacturing', strategy: 'retain' } },
      explanation: { coverage: explanation.coverage, strategy: explanation.strategy, investment: explanation.investment },
      idempotencyKey: 'test/coverage/1',
    });
    const after = await loadAccountDetail(db, alice, 'big-org');
    expect(after.decisions.grade.source).toBe('audit');
    expect(after.decisions.grade.ruleSet).toEqual({ industry: 'manufacturing', version: 1 });
    expect(after.decisions.strategy.source).toBe('audit');
    expect(after.decisions.classify.source).toBe('preview');
    expect(after.trail.map((e) => e.stage)).toEqual(['coverage', 'grade']);
    expect(after.lastRun.grade?.summary).toEqual({ score: 81.5, tier: 'T1' });
    expect(after.valueProposition.versus.map((v) => v.name)).toEqual(['Rival Corp', 'Other Inc']);
  });

  it('lays out a 30-person relationship map without overlaps, about as wide as the page', async () => {
    const detail = await loadAccountDetail(database.db, alice, 'big-org');
    const map = detail.map;
    expect(map.nodes).toHaveLength(30);
    expect(map.reporting).toHaveLength(29);
    expect(map.influence).toHaveLength(3);
    for (const [i, a] of map.nodes.entries()) {
      expect(a.x).toBeGreaterThanOrEqual(0);
      expect(a.y).toBeGreaterThanOrEqual(0);
      expect(a.x + map.nodeWidth).toBeLessThanOrEqual(map.width);
      expect(a.y + map.nodeHeight).toBeLessThanOrEqual(map.height);
      for (const b of map.nodes.slice(i + 1)) {
        const apart =
          a.x + map.nodeWidth <= b.x || b.x + map.nodeWidth <= a.x || a.y + map.nodeHeight <= b.y || b.y + map.nodeHeight <= a.y;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    }
    expect(map.width).toBeLessThanOrEqual(1240);
    expect(map.decisionMakers.map((d) => d.id)).toEqual(['p0']);
    expect(map.decisionMakers[0]!.influencers.map((i) => i.id).sort()).toEqual(['p20', 'p7']);
  });

  it('keeps a forest of unrelated contacts in rows and survives reporting cycles', async () => {
    const rules = await rulesFor(database.db, null);
    const loose = accountSchema.parse({
      id: 'loose',
      name: 'Loose',
      contacts: [
        ...Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, name: `C${i}`, influence: 3, stance: 0 })),
        { id: 'x', name: 'X', influence: 2, stance: 1, reportsTo: 'y' },
        { id: 'y', name: 'Y', influence: 2, stance: 1, reportsTo: 'x' },
      ],
    });
    const map = relationshipMap(loose, rules);
    expect(map.nodes).toHaveLength(14);
    expect(map.width).toBeLessThanOrEqual(1240);
    expect(new Set(map.nodes.map((n) => `${n.x},${n.y}`)).size).toBe(14);
  });
});

describe('actions on an account', () => {
  async function pendingPlanOf(accountId: string) {
    const db = database.db;
    return createPlan(db, {
      accountId,
      cycleYear: 2025,
      goal: 'Keep it',
      objectives: { revenue: { baseline: 1, target: 2, growth: 0.05, firstDealShare: null }, closenessTarget: 50 },
      strategy: 'retain',
      actions: [{ title: 'Quarterly business review', role: 'owner', owner: alice.id, dueDate: '2025-03-01' }],
      resources: { owner: alice.id, presalesTier: 'priority', investment: 'medium' },
      tests: [],
      needsApproval: true,
      createdBy: 'workflow',
    });
  }

  it('refuses another manager’s account before anything reaches the workflow', async () => {
    const db = database.db;
    const plan = await pendingPlanOf('big-org');
    const { port, calls } = stubPort();
    await expectStatus(decidePlan(db, bob, 'big-org', form({ decision: 'approve', planId: String(plan.id) }), port), 404);
    await expectStatus(logVisit(db, bob, 'big-org', form({ date: '2025-01-02' }), port), 404);
    await expectStatus(logOpportunity(db, bob, 'big-org', form({ title: 'Upsell' }), port), 404);
    await expectStatus(completeAction(db, bob, 'big-org', form({ actionId: '1' }), port), 404);
    expect(calls).toEqual([]);
  });

  it('sends an approval with the user and role, and checks the form first', async () => {
    const db = database.db;
    const plan = (await loadAccountDetail(db, alice, 'big-org')).plans.pending!;
    const { port, calls } = stubPort({ approvePlan: () => ({ planId: plan.id, status: 'approved' }) });

    const noReason = await decidePlan(
      db,
      alice,
      'big-org',
      form({ decision: 'reject', planId: String(plan.id), reason: ' ' }),
      port,
    );
    expect(noReason).toMatchObject({ ok: false, error: { code: 'missingReason' } });
    for (const bad of ['', 'abc', '0', '-3', '1.5', '99999999999999999'])
      expect(await decidePlan(db, alice, 'big-org', form({ decision: 'approve', planId: bad }), port)).toMatchObject({
        ok: false,
        error: { code: 'planIdInvalid', params: { field: 'planId' } },
      });
    const stale = await decidePlan(db, alice, 'big-org', form({ decision: 'approve', planId: String(plan.id + 1000) }), port);
    expect(stale).toMatchObject({ ok: false, error: { code: 'planChanged', params: { version: plan.version } } });
    expect(calls).toEqual([]);

    const ok = await decidePlan(db, alice, 'big-org', form({ decision: 'approve', planId: String(plan.id) }), port);
    expect(ok).toEqual({ ok: true, form: 'decide', done: 'approved' });
    // The plan the user read goes along: the workflow refuses it once it is no longer the pending one.
    expect(calls).toEqual([
      { method: 'approvePlan', args: ['big-org', { approve: true, by: alice.id, role: 'manager', planId: plan.id }] },
    ]);

    const reject = await decidePlan(
      db,
      admin,
      'big-org',
      form({ decision: 'reject', planId: String(plan.id), reason: 'Too timid' }),
      port,
    );
    expect(reject.ok).toBe(true);
    expect(calls[1]).toEqual({
      method: 'approvePlan',
      args: ['big-org', { approve: false, by: admin.id, role: 'admin', planId: plan.id, reason: 'Too timid' }],
    });
  });

  it('shows the workflow’s refusal as a code with parameters', async () => {
    const db = database.db;
    const plan = (await loadAccountDetail(db, alice, 'big-org')).plans.pending!;
    // What the client gets when the approvePlan validator refuses: the failure it threw as the cause.
    const updateFailed = (failure: ApplicationFailure) => new WorkflowUpdateFailedError('Workflow Update failed', failure);
    const noPending = updateFailed(
      refusal('noPendingPlan', { stage: 'execute' }, 'no plan is pending approval for account "big-org" (stage execute)'),
    );
    const { port } = stubPort({
      approvePlan: () => {
        throw noPending;
      },
    });
    const result = await decidePlan(db, alice, 'big-org', form({ decision: 'approve', planId: String(plan.id) }), port);
    expect(result).toMatchObject({ ok: false, error: { code: 'noPendingPlan', params: { stage: 'execute' } } });

    const down = await decidePlan(db, alice, 'big-org', form({ decision: 'approve', planId: String(plan.id) }), null);
    expect(down).toMatchObject({ ok: false, error: { code: 'temporalDown' } });

    // The code and params travel in the failure's type and details; the English text is not parsed.
    const future = updateFailed(refusal('visitDateFuture', { date: '2999-01-01', today: '2025-06-30' }, 'reworded at will'));
    expect(describeWorkflowError(future)).toEqual({
      code: 'visitDateFuture',
      params: { date: '2999-01-01', today: '2025-06-30' },
      message: 'reworded at will',
    });
    expect(describeWorkflowError(updateFailed(refusal('actionNotOpen', { action: 7 }, 'x')))).toMatchObject({
      code: 'actionNotOpen',
      params: { action: 7 },
    });
    // An English refusal without a code (a worker older than the codes) is logged and shown by its id.
    expect(describeWorkflowError(new Error('action 7 is not an open action of the plan in force for account "x"'))).toMatchObject(
      {
        code: 'workflow',
      },
    );
    // Anything else is logged under an id and shown by it, never by its text.
    const unknown = describeWorkflowError(new Error('something brand new'));
    expect(unknown).toMatchObject({ code: 'workflow', params: { id: expect.stringMatching(/^[0-9a-f]{8}$/) } });
    expect(JSON.stringify(unknown)).not.toContain('brand new');
    // Transport errors are still told by their text.
    expect(describeWorkflowError(new Error('14 UNAVAILABLE: No connection established'))).toMatchObject({ code: 'temporalDown' });
    expect(describeWorkflowError(new Error('workflow execution not found'))).toMatchObject({ code: 'noWorkflow' });
  });

  it('says a rejected approvePlan in the user’s language', () => {
    const said = (locale: Locale, failure: ApplicationFailure) =>
      errorText(i18nIn(locale), describeWorkflowError(new WorkflowUpdateFailedError('Workflow Update failed', failure)));
    const viewer = refusal(
      'roleMayNotApprove',
      { role: 'viewer' },
      'role "viewer" may not approve plans; only admin or manager may',
    );
    // A role the catalogue does not name shows as itself.
    expect(said('zh-CN', viewer)).toBe('viewer无权审批规划。');
    expect(said('en', viewer)).toBe('The role viewer may not approve plans.');
    expect(said('zh-CN', refusal('reasonRequired', {}, 'a rejection needs a reason'))).toBe('驳回必须填写理由。');
    expect(said('zh-CN', refusal('noPendingPlan', { stage: 'execute' }, 'no plan is pending approval'))).toBe(
      `没有待审批的规划（客户当前处于${translate('zh-CN', 'stage.execute')}阶段）。`,
    );
    // Every refusal code the workflow can send has a message in both catalogues.
    for (const code of REFUSAL_CODES)
      for (const locale of ['en', 'zh-CN'] as const)
        expect(catalogs[locale], `${locale} ${code}`).toHaveProperty([`account.error.${code}`]);
  });

  it('logs visits and opportunities through the workflow, checking the form first', async () => {
    const db = database.db;
    const { port, calls } = stubPort();
    expect(await logVisit(db, alice, 'big-org', form({ date: '2025-02-30x' }), port)).toMatchObject({
      ok: false,
      error: { code: 'visitDateInvalid' },
    });
    expect(await logVisit(db, alice, 'big-org', form({ date: '2025-02-03', contactId: 'nobody' }), port)).toMatchObject({
      ok: false,
      error: { code: 'invalidInput' },
    });
    expect(
      await logVisit(db, alice, 'big-org', form({ date: '2025-02-03', contactId: 'p3', note: ' Coffee ' }), port),
    ).toMatchObject({ ok: true });
    expect(await logOpportunity(db, alice, 'big-org', form({ title: '' }), port)).toMatchObject({
      ok: false,
      error: { code: 'opportunityTitle' },
    });
    expect(await logOpportunity(db, alice, 'big-org', form({ title: 'Upsell', estimatedValue: '-5' }), port)).toMatchObject({
      ok: false,
      error: { code: 'opportunityValue' },
    });
    expect(
      await logOpportunity(db, alice, 'big-org', form({ title: 'Upsell', estimatedValue: '1,500,000' }), port),
    ).toMatchObject({ ok: true });
    expect(calls).toEqual([
      { method: 'logVisit', args: ['big-org', { date: '2025-02-03', contactId: 'p3', note: 'Coffee', by: alice.id }] },
      {
        method: 'logOpportunity',
        args: ['big-org', { title: 'Upsell', estimatedValue: 1_500_000, owner: alice.id, by: alice.id }],
      },
    ]);
  });

  it('completes only actions of the account itself', async () => {
    const db = database.db;
    const other = all.find((a) => a.ownerId === bob.id)!;
    const otherPlan = await pendingPlanOf(other.id);
    await approvePlan(db, otherPlan.id, bob.id);
    const [otherAction] = await listActions(db, { accountId: other.id });
    const { port, calls } = stubPort();
    const cross = await completeAction(db, alice, 'big-org', form({ actionId: String(otherAction!.id) }), port);
    expect(cross).toMatchObject({ ok: false, error: { code: 'actionNotOpen' } });
    expect(calls).toEqual([]);
    const own = await completeAction(db, bob, other.id, form({ actionId: String(otherAction!.id) }), port);
    expect(own).toMatchObject({ ok: true, done: 'actionDone', params: { actionId: otherAction!.id } });
    expect(calls).toEqual([
      { method: 'completeAction', args: [other.id, { actionId: otherAction!.id, by: bob.id, note: null }] },
    ]);
  });

  it('sends a done note, and lets only the person who marked an action done undo it', async () => {
    const db = database.db;
    const other = all.find((a) => a.ownerId === bob.id)!;
    const [action] = await listActions(db, { accountId: other.id });
    const { port, calls } = stubPort();
    const long = await completeAction(db, bob, other.id, form({ actionId: String(action!.id), note: 'x'.repeat(2001) }), port);
    expect(long).toMatchObject({ ok: false, error: { code: 'actionNoteTooLong', params: { max: 2000 } } });
    expect(calls).toEqual([]);
    // The workflow's activity marks it done (the stub does not): done by Bob, with his note.
    await markActionDone(db, action!.id, new Date(), { by: bob.id, note: 'minutes signed' });
    const detail = await loadAccountDetail(db, bob, other.id);
    expect(detail.actions.done.find((a) => a.id === action!.id)).toMatchObject({ doneNote: 'minutes signed', canUndo: true });
    expect((await loadAccountDetail(db, admin, other.id)).actions.done.find((a) => a.id === action!.id)?.canUndo).toBe(false);
    // Someone else, even an admin, is refused before anything is sent; another account's id too.
    expect(await reopenAction(db, admin, other.id, form({ actionId: String(action!.id) }), port)).toMatchObject({
      ok: false,
      error: { code: 'actionUndoNotYours' },
    });
    expect(await reopenAction(db, alice, 'big-org', form({ actionId: String(action!.id) }), port)).toMatchObject({
      ok: false,
      error: { code: 'actionNotDone' },
    });
    expect(calls).toEqual([]);
    expect(await reopenAction(db, bob, other.id, form({ actionId: String(action!.id) }), port)).toMatchObject({
      ok: true,
      done: 'actionReopened',
    });
    expect(calls).toEqual([{ method: 'reopenAction', args: [other.id, { actionId: action!.id, by: bob.id }] }]);
    // Past the undo window the page no longer offers it.
    const later = new Date(Date.now() + 31 * 60 * 1000);
    expect((await loadAccountDetail(db, bob, other.id, later)).actions.done.find((a) => a.id === action!.id)?.canUndo).toBe(
      false,
    );
  });
});

describe('the portfolio', () => {
  it('counts within the scope, and its nine-box adds up to the classified accounts', async () => {
    const db = database.db;
    const p = await loadPortfolio(db, bob);
    const visible = all.filter((a) => bobSees(a.id));
    expect(p.total).toBe(visible.length);
    const classified = visible.filter((a) => decisions.has(a.id));
    expect(p.nineBox.evaluated).toBe(classified.length);
    expect(p.tiers.values.reduce((s, v) => s + v.count, 0) + p.tiers.unset).toBe(visible.length);
    expect(p.tiers.unset).toBe(visible.length - classified.length);
    for (const cell of p.nineBox.cells) {
      const expected = classified.filter((a) => {
        const d = decisions.get(a.id)!;
        return d.potentialLevel === cell.potential && d.contributionLevel === cell.contribution;
      });
      expect(cell.count, `${cell.potential}/${cell.contribution}`).toBe(expected.length);
      for (const c of cell.classes) expect(expected.filter((a) => decisions.get(a.id)!.class === c.class)).toHaveLength(c.count);
    }
    // Rows potential H→L, columns contribution L→H, as the method's table.
    expect(p.nineBox.cells.map((c) => `${c.potential}${c.contribution}${c.matrixClass}`)).toEqual([
      'HLC',
      'HMC',
      'HHA',
      'MLD',
      'MMB',
      'MHA',
      'LLD',
      'LMD',
      'LHB',
    ]);
    expect(p.isAdmin).toBe(false);
  });

  it('lists the plans waiting for the manager’s decision (not his own), all of them for an admin, and the manager’s stalled workflows', async () => {
    const db = database.db;
    const bobs = all.filter((a) => a.ownerId === bob.id);
    // Carol's account that Bob's team covers: Bob decides its plan; his own plan is another's to decide.
    const covered = all.find((a) => a.ownerId === carol.id && teamOf.get(a.id) === TEAM)!;
    const pending = (accountId: string) =>
      createPlan(db, {
        accountId,
        cycleYear: 2025,
        goal: 'g',
        objectives: {},
        strategy: 'grow',
        actions: [],
        resources: {},
        tests: [],
        needsApproval: true,
      });
    await pending(bobs[3]!.id);
    await pending(covered.id);
    // A stage that finished an hour ago and nothing since: stalled.
    await db
      .update(accounts)
      .set({ stage: 'relationship', waitingFor: null, updatedAt: sql`now() - interval '1 hour'` })
      .where(eq(accounts.id, bobs[4]!.id));
    const forBob = await loadPortfolio(db, bob);
    expect(forBob.pendingPlans.whose).toBe('yours');
    expect(forBob.pendingPlans.rows.map((r) => r.accountId)).toEqual([covered.id]);
    expect(forBob.pendingPlans.total).toBe(1);
    expect(forBob.stalled.rows.map((r) => r.id)).toEqual([bobs[4]!.id]);
    const forAlice = await loadPortfolio(db, alice);
    expect(forAlice.pendingPlans.whose).toBe('yours');
    expect(forAlice.pendingPlans.rows).toEqual([]);
    expect(forAlice.stalled.total).toBe(0);
    const forAdmin = await loadPortfolio(db, admin);
    expect(forAdmin.pendingPlans.whose).toBe('all');
    expect(forAdmin.pendingPlans.rows.map((r) => r.accountId)).toEqual(expect.arrayContaining([bobs[3]!.id, covered.id]));
    const [waiting] = await db.select({ n: count() }).from(plans).where(eq(plans.status, 'pending-approval'));
    expect(forAdmin.pendingPlans.total).toBe(waiting!.n);
  });

  it('adds what only Temporal knows, scoped, and degrades when it is down', async () => {
    const db = database.db;
    const alices = all.find((a) => a.ownerId === alice.id)!;
    const bobs = all.find((a) => a.ownerId === bob.id)!;
    const { port } = stubPort({
      closedAccountWorkflows: () => [
        { accountId: alices.id, status: 'FAILED', closedAt: new Date() },
        { accountId: bobs.id, status: 'TERMINATED', closedAt: null },
        // Its account is gone from the database (it ended AccountNotFound): admins only.
        { accountId: 'gone-from-db', status: 'FAILED', closedAt: null },
      ],
      accountState: () => ({ lastError: { stage: 'relationship', message: 'boom', at: 'x', resolvedAt: null } }),
      reviewSchedule: () => ({ nextRuns: [new Date('2027-01-15T02:00:00Z')], paused: false }),
    });
    const data = await loadPortfolio(db, bob);
    const live = await loadPortfolioLive(db, bob, data, port);
    expect(live.failed).toMatchObject({ status: 'ok', value: [{ accountId: bobs.id, status: 'TERMINATED' }] });
    expect(live.schedule).toBeNull();
    expect(live.errors.status).toBe('ok');
    const forAdmin = await loadPortfolioLive(db, admin, await loadPortfolio(db, admin), port);
    expect(forAdmin.schedule).toEqual({ status: 'ok', value: { nextRuns: ['2027-01-15T02:00:00.000Z'], paused: false } });
    expect(forAdmin.failed).toMatchObject({
      status: 'ok',
      value: [
        { accountId: alices.id },
        { accountId: bobs.id },
        { accountId: 'gone-from-db', name: 'gone-from-db', status: 'FAILED' },
      ],
    });
    const down = await loadPortfolioLive(db, admin, data, null);
    expect(down).toMatchObject({ failed: { status: 'unavailable' }, schedule: { status: 'unavailable' } });
  });

  it('lets only admins start a review', async () => {
    const { port, calls } = stubPort({ startReview: () => ({ workflowId: 'review:2025' }) });
    await expectStatus(runReviewNow(bob, port, 2025), 403);
    expect(calls).toEqual([]);
    expect(await runReviewNow(admin, port, 2025)).toEqual({ status: 'ok', value: { workflowId: 'review:2025' } });
  });
});

describe('the reviews page', () => {
  it('summarises like the engine, within the manager’s scope', async () => {
    const db = database.db;
    const run = await startReviewRun(db, { id: 'review:2025:run-1', year: 2025, total: 40 });
    const records: AccountReview[] = [];
    const tiers = ['T1', 'T2', 'T3', 'T4'] as const;
    const classes = ['A', 'B', 'C', 'D'] as const;
    for (const [i, a] of all.slice(0, 40).entries()) {
      const before =
        i % 5 === 0
          ? null
          : { score: 50, tier: tiers[i % 4]!, class: classes[i % 4]!, strategy: 'retain' as const, closeness: 40 };
      const after = {
        score: 55,
        tier: tiers[(i + (i % 3)) % 4]!,
        class: classes[(i + 1) % 4]!,
        strategy: i % 2 ? ('grow' as const) : ('retain' as const),
        closeness: 45,
      };
      const review: AccountReview = {
        accountId: a.id,
        attainment: i % 6 === 0 ? null : (i % 7) / 4,
        actionsDoneShare: 0.5,
        opportunities: { count: i % 3, value: (i % 3) * 1000 },
        closenessChange: before ? 5 : null,
        before,
        after,
      };
      records.push(review);
      await recordReview(db, {
        accountId: a.id,
        year: 2025,
        runId: run.id,
        attainment: review.attainment,
        actionsDoneShare: review.actionsDoneShare,
        opportunitiesCount: review.opportunities.count,
        opportunitiesValue: review.opportunities.value,
        closenessChange: review.closenessChange,
        scoreBefore: before?.score ?? null,
        scoreAfter: after.score,
        tierBefore: before?.tier ?? null,
        tierAfter: after.tier,
        classBefore: before?.class ?? null,
        classAfter: after.class,
        strategyBefore: before?.strategy ?? null,
        strategyAfter: after.strategy,
      });
    }
    await finishReviewRun(db, run.id);

    const forAdmin = await loadReviews(db, admin, new URLSearchParams());
    expect(forAdmin.year).toBe(2025);
    expect(forAdmin.runs[0]).toMatchObject({ id: run.id, year: 2025, status: 'completed', done: 40, workflowId: 'review:2025' });
    expect(forAdmin.summary).toEqual(summarizeReviews(records));

    const forBob = await loadReviews(db, bob, new URLSearchParams('changed=1'));
    expect(forBob.summary).toEqual(summarizeReviews(records.filter((r) => bobSees(r.accountId))));
    expect(forBob.records.rows.every((r) => bobSees(r.accountId))).toBe(true);
    expect(forBob.records.rows.length).toBeGreaterThan(0);
  });

  it('shows the latest run’s migrations and how many accounts started their next cycle, within the scope', async () => {
    const db = database.db;
    // Some accounts' next cycle (2026) has started: the workflow stamps the cycle year at its first stage.
    const started = all.filter((_, i) => i % 3 === 0);
    await updateComputedMany(
      db,
      started.map((a) => ({ id: a.id, cycleYear: 2026 })),
    );
    for (const [user, sees] of [
      [admin, () => true],
      [bob, bobSees],
    ] as const) {
      const p = await loadPortfolio(db, user);
      expect(p.review).toMatchObject({ year: 2025, status: 'completed' });
      const summary = (await loadReviews(db, user, new URLSearchParams('year=2025'))).summary!;
      expect(p.reviewOutcome).toEqual({
        nextYear: 2026,
        nextCycleStarted: started.filter((a) => sees(a.id)).length,
        migrations: { tier: summary.tierMigration, class: summary.classMigration },
      });
    }
  });

  it('asks an admin to confirm the year and the accounts the run will review; a manager may not ask', async () => {
    const db = database.db;
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(accounts);
    expect(await reviewConfirmation(admin, db, 2026)).toEqual({ year: 2026, accounts: row!.n });
    await expectStatus(reviewConfirmation(bob, db, 2026), 403);
  });
});
