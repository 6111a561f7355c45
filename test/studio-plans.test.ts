/**
 * Who may decide which plan, on both database drivers: the approval queue lists only plans in the
 * user's scope, not of their own accounts, and of industries whose `plan.approverRole` the user's
 * role meets; a decision (one or many) is refused per account before anything reaches the
 * workflow: four eyes (`ownPlan`), the approver role, a plan the user cannot see, a stale version.
 * Past one page of the queue, the counts (queue and portfolio) are of every plan the user may decide.
 * Plan drafts: a save from an editor opened before someone else's save is refused with theirs.
 */
import { describe, expect, it } from 'vitest';
import { updateComputedMany, upsertAccounts } from '../db/repositories/accounts.js';
import { getPlanDraft, savePlanDraft } from '../db/repositories/plan-drafts.js';
import { createPlan, listPlans, withdrawPendingPlans } from '../db/repositories/plans.js';
import { publishDocument } from '../db/repositories/rule-sets.js';
import { accounts, plans } from '../db/schema.js';
import { addMembers, upsertTeams } from '../db/repositories/teams.js';
import { upsertUsers } from '../db/repositories/users.js';
import { accountSchema } from '../engine/index.js';
import {
  accountDecisionRefusal,
  approvalQueue,
  decidePlans,
  matchesQueueFilter,
  parseQueueFilter,
} from '../studio/src/lib/server/plan-decisions.js';
import type { SessionUser } from '../studio/src/lib/user.js';
import { errorText, stageSummary } from '../studio/src/lib/components/accounts/format.js';
import { createI18n } from '../studio/src/lib/i18n/index.js';
import type { TemporalPort } from '../studio/src/lib/server/temporal.js';
import { _decidePlan as decideOnAccountPage } from '../studio/src/routes/accounts/[id]/+page.server.js';
import { _loadApprovals as loadApprovals } from '../studio/src/routes/approvals/+page.server.js';
import { _loadPortfolio as loadPortfolio } from '../studio/src/routes/portfolio/+page.server.js';
import { refusal } from '../workflows/refusals.js';
import { DRIVERS, useTestDatabase } from './helpers/databases.js';
import { readDefaultDocument } from './helpers/accounts.js';

const admin: SessionUser = { id: 'u-admin', email: 'admin@example.test', name: 'Ada', role: 'admin', locale: 'en' };
const alice: SessionUser = { id: 'u-alice', email: 'alice@example.test', name: 'Alice', role: 'manager', locale: 'en' };
const bob: SessionUser = { id: 'u-bob', email: 'bob@example.test', name: 'Bob', role: 'manager', locale: 'zh-CN' };
const carol: SessionUser = { id: 'u-carol', email: 'carol@example.test', name: 'Carol', role: 'manager', locale: 'en' };
const TEAM = 'region:East';

/** acct id → [owner, industry, covering team] */
const ACCOUNTS: Record<string, [string, string, string | null]> = {
  'a-team': ['u-alice', 'manufacturing', TEAM],
  'b-own': ['u-bob', 'manufacturing', TEAM],
  'g-admin-only': ['u-alice', 'government', TEAM],
  'x-out-of-scope': ['u-carol', 'manufacturing', null],
};
const planIds = new Map<string, number>();

/** The users, and Bob in the East team that covers the accounts. */
async function seedUsersAndTeam(db: Parameters<typeof upsertUsers>[0], users: SessionUser[]): Promise<void> {
  await upsertUsers(
    db,
    users.map((u) => ({ id: u.id, email: u.email, name: u.name, role: u.role, locale: u.locale, passwordHash: 'x' })),
  );
  await upsertTeams(db, [{ id: TEAM, name: 'East', line: 'regional' }]);
  await addMembers(db, TEAM, [bob.id]);
}

async function setup(t: { db: Parameters<typeof upsertUsers>[0] }): Promise<void> {
  const db = t.db;
  await seedUsersAndTeam(db, [admin, alice, bob, carol]);
  await upsertAccounts(
    db,
    Object.entries(ACCOUNTS).map(([id, [ownerId, industry]]) =>
      accountSchema.parse({ id, name: `Account ${id}`, industry, ownerId }),
    ),
  );
  await updateComputedMany(
    db,
    Object.entries(ACCOUNTS).map(([id, [, , team]]) => ({ id, coverageTeam: team, tier: 'T1' as const })),
  );
  // Government plans are decided by admins only.
  await publishDocument(
    db,
    'government',
    { ...readDefaultDocument('government.json'), plan: { approverRole: 'admin' } },
    { comment: 'admins decide government plans', by: admin.id },
  );
  for (const id of Object.keys(ACCOUNTS)) {
    const plan = await createPlan(db, {
      accountId: id,
      cycleYear: 2026,
      goal: 'Grow',
      objectives: {},
      strategy: 'grow',
      actions: [],
      resources: {},
      tests: [],
      needsApproval: true,
      createdBy: 'workflow',
    });
    planIds.set(id, plan.id);
  }
}

describe.each(DRIVERS)('plan decisions (%s)', (driver) => {
  const ctx = useTestDatabase(driver, { setup });

  it('queues only plans the user may decide', async () => {
    const ids = async (u: SessionUser) => (await approvalQueue(ctx.t.db, u)).rows.map((p) => p.accountId).sort();
    // Bob: his team's account; not his own, not an admin-only industry, not outside his scope.
    expect(await ids(bob)).toEqual(['a-team']);
    // Alice sees only her own accounts, so she decides none of them.
    expect(await ids(alice)).toEqual([]);
    expect(await ids(admin)).toEqual(['a-team', 'b-own', 'g-admin-only', 'x-out-of-scope']);
  });

  it('filters the queue by tier, industry, owner and waiting time', async () => {
    const { rows: queue } = await approvalQueue(ctx.t.db, admin);
    const match = (q: string, now = new Date()) =>
      queue.filter((p) => matchesQueueFilter(p, parseQueueFilter(new URLSearchParams(q)), now)).map((p) => p.accountId);
    expect(match('industry=government')).toEqual(['g-admin-only']);
    expect(match('owner=u-bob')).toEqual(['b-own']);
    expect(match('tier=T2')).toEqual([]);
    expect(match('tier=nonsense')).toHaveLength(4);
    expect(match('minDays=3')).toEqual([]);
    expect(match('minDays=3', new Date(Date.now() + 4 * 86_400_000))).toHaveLength(4);
  });

  it('refuses each plan the user may not decide, before the workflow is asked', async () => {
    const results = await decidePlans(
      ctx.t.db,
      bob,
      [
        { accountId: 'a-team', planId: planIds.get('a-team')! + 1000 },
        { accountId: 'b-own', planId: planIds.get('b-own')! },
        { accountId: 'g-admin-only', planId: planIds.get('g-admin-only')! },
        { accountId: 'x-out-of-scope', planId: planIds.get('x-out-of-scope')! },
      ],
      { approve: true, reason: '' },
      null,
    );
    expect(results.map((r) => [r.accountId, r.ok ? 'ok' : r.error.code])).toEqual([
      ['a-team', 'planChanged'],
      ['b-own', 'ownPlan'],
      ['g-admin-only', 'roleMayNotApprove'],
      ['x-out-of-scope', 'noPendingPlan'],
    ]);
    // The one he may decide goes to the workflow: with Temporal down, it says so.
    const [sent] = await decidePlans(
      ctx.t.db,
      bob,
      [{ accountId: 'a-team', planId: planIds.get('a-team')! }],
      { approve: false, reason: 'why' },
      null,
    );
    expect(sent).toMatchObject({ ok: false, error: { code: 'temporalDown' } });
  });

  it('refuses the owner on the account page too', async () => {
    expect(await accountDecisionRefusal(ctx.t.db, alice, 'a-team')).toMatchObject({
      code: 'ownPlan',
      params: { account: 'a-team' },
    });
    expect(await accountDecisionRefusal(ctx.t.db, bob, 'g-admin-only')).toMatchObject({ code: 'roleMayNotApprove' });
    expect(await accountDecisionRefusal(ctx.t.db, bob, 'a-team')).toBeNull();
    expect(await accountDecisionRefusal(ctx.t.db, admin, 'g-admin-only')).toBeNull();
  });

  it('keeps a draft from being overwritten by an editor opened before the last save', async () => {
    const db = ctx.t.db;
    const draft = (by: string, goal: string) => ({
      accountId: 'a-team',
      basedOnPlanId: planIds.get('a-team')!,
      content: { goal },
      updatedBy: by,
    });
    const first = await savePlanDraft(db, draft(bob.id, 'first'), null);
    if (!first.ok) throw new Error('the first draft was refused');
    // Alice opened the editor before Bob's save: her save without a draft meets his.
    expect(await savePlanDraft(db, draft(alice.id, 'hers'), null)).toMatchObject({
      ok: false,
      current: { updatedBy: bob.id, updatedAt: first.draft.updatedAt, content: { goal: 'first' } },
    });
    const second = await savePlanDraft(db, draft(bob.id, 'second'), first.draft.updatedAt);
    if (!second.ok) throw new Error('a save from the standing draft was refused');
    expect(await savePlanDraft(db, draft(alice.id, 'hers'), first.draft.updatedAt)).toMatchObject({
      ok: false,
      current: { updatedBy: bob.id, content: { goal: 'second' } },
    });
    expect((await getPlanDraft(db, 'a-team'))?.content).toEqual({ goal: 'second' });
    // Two saves from the same draft at once: one wins, the other gets the winner's draft.
    const raced = await Promise.all([
      savePlanDraft(db, draft(alice.id, 'a'), second.draft.updatedAt),
      savePlanDraft(db, draft(bob.id, 'b'), second.draft.updatedAt),
    ]);
    expect(raced.filter((r) => r.ok)).toHaveLength(1);
    const stored = await getPlanDraft(db, 'a-team');
    expect(raced.find((r) => !r.ok)).toMatchObject({ current: { content: stored!.content } });
  });
  it("refuses a decision on a plan the review withdrew, and one sent while the review runs, in the user's language", async () => {
    const db = ctx.t.db;
    const asked: unknown[] = [];
    // The workflow's answer while the review runs; the studio's own checks come first.
    const port = {
      approvePlan: async (_id: string, input: unknown) => {
        asked.push(input);
        throw refusal('reviewInProgress', { year: '2026' }, 'the 2026 review of account "a-team" is in progress');
      },
    } as unknown as TemporalPort;
    const decision = (planId: number) => {
      const f = new FormData();
      f.set('decision', 'approve');
      f.set('planId', String(planId));
      return f;
    };
    const en = createI18n(() => ({ locale: 'en', currency: 'CNY', timeZone: 'UTC' }));
    const zh = createI18n(() => ({ locale: 'zh-CN', currency: 'CNY', timeZone: 'UTC' }));

    // While the review runs: the workflow refuses; the plan id the user read goes with the decision.
    const during = await decideOnAccountPage(db, bob, 'a-team', decision(planIds.get('a-team')!), port);
    expect(during).toMatchObject({ ok: false, error: { code: 'reviewInProgress', params: { year: '2026' } } });
    expect(asked).toEqual([{ approve: true, by: bob.id, role: 'manager', planId: planIds.get('a-team')! }]);
    const reviewError = (during as { error: Parameters<typeof errorText>[1] }).error;
    expect(errorText(en, reviewError)).toBe(
      'The 2026 annual review of this account is in progress: plan decisions wait for the next cycle. Try again once the review is done.',
    );
    expect(errorText(zh, reviewError)).toBe('该客户的 2026 年度回顾正在进行：规划决定需等到下一周期。请在回顾完成后重试。');

    // The review closed the 2026 cycle: its pending plans are withdrawn.
    for (const id of ['a-team', 'x-out-of-scope']) expect(await withdrawPendingPlans(db, id, 2026)).toHaveLength(1);
    asked.length = 0;
    const after = await decideOnAccountPage(db, bob, 'a-team', decision(planIds.get('a-team')!), port);
    expect(after).toMatchObject({ ok: false, error: { code: 'planWithdrawn', params: { version: 1, year: '2026' } } });
    const withdrawnError = (after as { error: Parameters<typeof errorText>[1] }).error;
    expect(errorText(en, withdrawnError)).toBe(
      'Version 1 of the 2026 plan was withdrawn when the annual review closed its cycle: it can no longer be decided. The next cycle builds a new plan.',
    );
    expect(errorText(zh, withdrawnError)).toBe(
      '2026 年规划第 1 版已在年度回顾结束该周期时撤回，不能再作决定。下一周期将制定新规划。',
    );
    // The approvals page says the same; a plan out of the user's scope stays as unknown as before.
    const queued = await decidePlans(
      db,
      bob,
      [
        { accountId: 'a-team', planId: planIds.get('a-team')! },
        { accountId: 'x-out-of-scope', planId: planIds.get('x-out-of-scope')! },
      ],
      { approve: true, reason: '' },
      port,
    );
    expect(queued.map((r) => [r.accountId, r.ok ? 'ok' : r.error.code])).toEqual([
      ['a-team', 'planWithdrawn'],
      ['x-out-of-scope', 'noPendingPlan'],
    ]);
    // Refused on the server: nothing reached the workflow.
    expect(asked).toEqual([]);
    // The review's audit row says which plan it withdrew.
    const reviewed = {
      attainment: 1,
      after: { tier: 'T1', class: 'A' },
      withdrawnPlans: [{ id: 7, version: 2, cycleYear: 2026 }],
    };
    expect(stageSummary(en, 'review', reviewed)).toMatch(
      / · plan v2 of 2026 withdrawn: still waiting for approval when the cycle closed$/,
    );
    expect(stageSummary(zh, 'review', reviewed)).toMatch(/ · 2026 年规划 v2 已撤回：周期结束时仍在等待审批$/);
    expect((await approvalQueue(db, admin)).rows).not.toContainEqual(expect.objectContaining({ accountId: 'a-team' }));
  });

  it('answers a plan id it cannot hold, and a withdrawn plan beside a newer one, with the same codes as the account page', async () => {
    const db = ctx.t.db;
    const port = {
      approvePlan: async () => {
        throw new Error('the workflow is not asked');
      },
    } as unknown as TemporalPort;
    // Past the plans table's integer ids (the approvals form takes any digits): a coded refusal, not a database error.
    const huge = await decidePlans(
      db,
      bob,
      [{ accountId: 'a-team', planId: 99_999_999_999 }],
      { approve: true, reason: '' },
      port,
    );
    expect(huge.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['noPendingPlan']);

    // The next cycle's plan waits; the user read the one the review withdrew.
    const withdrawnId = planIds.get('a-team')!;
    expect((await listPlans(db, 'a-team')).find((p) => p.id === withdrawnId)?.status).toBe('withdrawn');
    await createPlan(db, {
      accountId: 'a-team',
      cycleYear: 2027,
      goal: 'Grow',
      objectives: {},
      strategy: 'grow',
      actions: [],
      resources: {},
      tests: [],
      needsApproval: true,
      createdBy: 'workflow',
    });
    const form = new FormData();
    form.set('decision', 'approve');
    form.set('planId', String(withdrawnId));
    const onAccountPage = await decideOnAccountPage(db, bob, 'a-team', form, port);
    expect(onAccountPage).toMatchObject({ ok: false, error: { code: 'planWithdrawn' } });
    const queued = await decidePlans(
      db,
      bob,
      [{ accountId: 'a-team', planId: withdrawnId }],
      { approve: true, reason: '' },
      port,
    );
    expect(queued.map((r) => (r.ok ? 'ok' : r.error))).toEqual([(onAccountPage as { error: unknown }).error]);
  });
});

/** Carol's accounts that Bob's team covers, by industry (none: the fallback rule set's approver role), and two of Bob's own. */
const MANY = { manufacturing: 505, none: 5, government: 20, bobsOwn: 2 };

async function setupMany(t: { db: Parameters<typeof upsertUsers>[0] }): Promise<void> {
  const db = t.db;
  await seedUsersAndTeam(db, [admin, bob, carol]);
  await publishDocument(
    db,
    'government',
    { ...readDefaultDocument('government.json'), plan: { approverRole: 'admin' } },
    { comment: 'admins decide government plans', by: admin.id },
  );
  // The government plans are the oldest: a limit applied before the approver role would spend itself on them.
  const made = [
    ...Array.from({ length: MANY.government }, (_, i) => ({ id: `g-${i}`, industry: 'government', ownerId: carol.id })),
    ...Array.from({ length: MANY.manufacturing }, (_, i) => ({ id: `m-${i}`, industry: 'manufacturing', ownerId: carol.id })),
    ...Array.from({ length: MANY.none }, (_, i) => ({ id: `n-${i}`, industry: undefined, ownerId: carol.id })),
    ...Array.from({ length: MANY.bobsOwn }, (_, i) => ({ id: `b-${i}`, industry: 'manufacturing', ownerId: bob.id })),
  ];
  await upsertAccounts(
    db,
    made.map((a) => accountSchema.parse({ ...a, name: `Account ${a.id}` })),
  );
  await db.update(accounts).set({ coverageTeam: TEAM, tier: 'T1' });
  const start = Date.UTC(2026, 0, 1);
  await db.insert(plans).values(
    made.map((a, i) => ({
      accountId: a.id,
      cycleYear: 2026,
      version: 1,
      status: 'pending-approval' as const,
      goal: 'Grow',
      objectives: {},
      strategy: 'grow' as const,
      actions: [],
      resources: {},
      tests: [],
      needsApproval: true,
      createdBy: 'workflow',
      createdAt: new Date(start + i * 60_000),
    })),
  );
}

describe.each(DRIVERS)('plan decisions past one page of the queue (%s)', (driver) => {
  const ctx = useTestDatabase(driver, { setup: setupMany });

  it('pages and counts only the plans the user may decide, approver role included, on the queue and the portfolio', async () => {
    const db = ctx.t.db;
    const decidable = MANY.manufacturing + MANY.none;
    // The portfolio's "All … plans waiting for your decision": every one, past the queue's page of 500.
    const portfolio = await loadPortfolio(db, bob);
    expect(portfolio.pendingPlans).toMatchObject({ whose: 'yours', total: decidable });
    expect(portfolio.pendingPlans.rows.map((r) => r.accountId)).toEqual(Array.from({ length: 8 }, (_, i) => `m-${i}`));

    // One page of 500, every one Bob's to decide (the approver role applies before the limit), oldest first.
    const queue = await approvalQueue(db, bob);
    expect(queue.rows).toHaveLength(500);
    expect(queue.rows.every((p) => p.ownerId === carol.id && p.industry !== 'government')).toBe(true);
    expect(queue.rows[0]!.accountId).toBe('m-0');
    expect(queue.total).toBe(decidable);
    // The industry-less accounts (the fallback rules) are his too: the last ones created.
    expect((await approvalQueue(db, bob, decidable)).rows.slice(-MANY.none).map((p) => p.accountId)).toEqual(
      Array.from({ length: MANY.none }, (_, i) => `n-${i}`),
    );
    // An admin decides every plan but none of his own (he owns none).
    expect((await approvalQueue(db, admin)).total).toBe(MANY.government + MANY.manufacturing + MANY.none + MANY.bobsOwn);
  });

  it('the approvals page says it shows one page of the waiting plans, and its filters work on that page', async () => {
    const page = await loadApprovals(ctx.t.db, bob, new URLSearchParams());
    expect(page).toMatchObject({ shown: 500, total: MANY.manufacturing + MANY.none });
    expect(page.plans).toHaveLength(500);
    // The industry-less plans are the newest: past the page, so a filter cannot reach them yet.
    const filtered = await loadApprovals(ctx.t.db, bob, new URLSearchParams({ industry: 'manufacturing' }));
    expect(filtered.plans).toHaveLength(500);
    expect(filtered.shown).toBeLessThan(filtered.total);
  });
});
