/**
 * A manager's day, end to end, against the production build with a Temporal dev server and a
 * worker running the account workflows (as `npm start` runs them): sign in, see only one's own
 * accounts, open an account whose plan waits for approval, be refused approving it (four eyes: it is
 * their own account; an admin approves it through the workflow's `approvePlan`
 * update), log a visit (`logVisit`), see the workflow's refusals in one's language, and be refused
 * the rule editor. The main path runs once in English and once in Chinese, with screenshots.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertAccounts } from '../../db/repositories/accounts.js';
import { accountSchema, type Account, type AccountInput } from '../../engine/index.js';
import { approvePlan, type EspClient } from '../../workflows/client.js';
import {
  E2E_PASSWORD,
  E2E_USERS,
  launchBrowser,
  newContext,
  rawKeysOn,
  screenshot,
  SCREENSHOT_DIR,
  signedInPage,
  signIn,
  startStudio,
  startStudioWorkflows,
  type StudioServer,
  trackErrors,
} from '../helpers/browser.js';
import { keyAccount as baseKeyAccount, untilState } from '../helpers/temporal.js';

/** A second manager whose own language is Chinese: the zh-CN run of the main path. */
const ZH_MANAGER = { id: 'e2e-manager-zh', email: 'e2e-manager-zh@example.test', name: '王经理', role: 'manager' as const };

/**
 * A key account (score 81.5, T1: its plan needs approval). The industry has no team, so the
 * coverage stage keeps the owner and the manager's scope is exactly their own accounts.
 */
function keyAccount(id: string, ownerId: string, name: string, extra: Partial<AccountInput> = {}): Account {
  return accountSchema.parse({
    ...baseKeyAccount({ id, name, industry: 'aerospace', region: 'Orbit', ownerId }),
    contacts: [
      {
        id: 'c1',
        name: 'Chief Executive',
        title: 'CEO',
        influence: 5,
        stance: 2,
        interactions90d: 6,
        decisionRole: 'decision-maker',
        behavior: 'results',
        competitorStances: { rival: 0 },
      },
      {
        id: 'c2',
        name: 'Chief Information Officer',
        title: 'CIO',
        influence: 4,
        stance: 1,
        interactions90d: 4,
        reportsTo: 'c1',
        decisionRole: 'evaluator',
        competitorStances: { rival: 1 },
      },
      {
        id: 'c3',
        name: 'Purchasing Manager',
        title: 'Purchasing',
        influence: 3,
        stance: 0,
        interactions90d: 2,
        reportsTo: 'c2',
        decisionRole: 'gatekeeper',
        competitorStances: { rival: 1 },
      },
    ],
    competitors: [
      { id: 'rival', name: 'Rival Corp', share: 0.3, theirOffer: 'Lower licence price', ourEdge: 'Local delivery team' },
    ],
    influenceLinks: [{ from: 'c3', to: 'c1', weight: 2 }],
    ...extra,
  });
}

/** Thirty people: the relationship map must stay readable. */
function bigOrg(ownerId: string): Account {
  const contacts = Array.from({ length: 30 }, (_, i) => ({
    id: `p${i}`,
    name: `${['Li', 'Wang', 'Zhang', 'Liu', 'Chen', 'Yang'][i % 6]} ${['Wei', 'Fang', 'Min', 'Jing', 'Lei', 'Tao', 'Yan'][i % 7]}`,
    title: i === 0 ? 'Chief Executive Officer' : i < 5 ? `Vice President, Division ${i}` : `Department Manager ${i}`,
    reportsTo: i === 0 ? null : i < 5 ? 'p0' : `p${1 + (i % 4)}`,
    influence: i === 0 ? 5 : i < 5 ? 4 : 1 + (i % 3),
    decisionRole:
      i === 0 ? ('decision-maker' as const) : (['influencer', 'evaluator', 'user', 'gatekeeper', 'coach'] as const)[i % 5],
    behavior: (['results', 'relationship', 'innovation', 'risk-averse'] as const)[i % 4],
    stance: (i % 5) - 2,
    competitorStances: { rival: (i % 3) - 1, other: 1 - (i % 3) },
    interactions90d: i % 7,
  }));
  return keyAccount('e2e-big-org', ownerId, 'Big Org Holdings', {
    contacts,
    competitors: [
      { id: 'rival', name: 'Rival Corp', share: 0.3, theirOffer: 'Lower licence price', ourEdge: 'Local delivery team' },
      { id: 'other', name: 'Other Inc', share: 0.2 },
    ],
    influenceLinks: [
      { from: 'p7', to: 'p0', weight: 3 },
      { from: 'p12', to: 'p2', weight: 2 },
      { from: 'p20', to: 'p0', weight: 1 },
      { from: 'p9', to: 'p3', weight: 1 },
    ],
  });
}

const EN_ACCOUNT = 'e2e-key-en';
const ZH_ACCOUNT = 'e2e-key-zh';
const BIG = 'e2e-big-org';
const MINE = [EN_ACCOUNT, BIG];
const WITH_WORKFLOWS = [EN_ACCOUNT, ZH_ACCOUNT, BIG];

let server: StudioServer;
let browser: Browser;
let temporal: EspClient;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startStudio({
    demoAccounts: 20,
    temporal: true,
    users: [{ ...ZH_MANAGER, locale: 'zh-CN' }],
    seed: async (db) => {
      await upsertAccounts(db, [
        keyAccount(EN_ACCOUNT, E2E_USERS.manager.id, 'Acme Aerospace'),
        keyAccount(ZH_ACCOUNT, ZH_MANAGER.id, '华东航天科技'),
        bigOrg(E2E_USERS.manager.id),
      ]);
    },
  });
  temporal = await startStudioWorkflows(server, WITH_WORKFLOWS);
  for (const id of WITH_WORKFLOWS)
    await untilState(temporal.client, id, `${id} waiting for plan approval`, (s) => s.waitingFor === 'plan-approval', 90_000);
}, 400_000);

afterAll(async () => {
  await temporal?.close();
  await browser?.close();
  await server?.stop();
});

async function openAccount(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name, exact: true }).click();
  await page.waitForURL('**/accounts/**');
  await expect.poll(() => page.locator('h1').textContent()).toBe(name);
  // The streamed workflow state has arrived when the "asking" notice is gone.
  await page.locator('.live .notice').waitFor({ state: 'detached', timeout: 15_000 });
}

async function listedIds(page: Page): Promise<string[]> {
  return page.locator('main tbody th .id').allTextContents();
}

/** The page does not scroll sideways (wide content scrolls inside its own box). */
async function noPageOverflow(page: Page): Promise<boolean> {
  // A string, not a function: the tests compile without the DOM library.
  return (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) as boolean;
}

describe('a manager, in English', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await newContext(browser, server.url);
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
  });

  it('sees only their own accounts, is refused deciding their own plan, and logs a visit once an admin approved it', async () => {
    // The second tab's 404 (another's account) and the rule editor's 403 are the only errors allowed.
    const errors = trackErrors(page, [/status of 40[34]/]);
    await page.goto('/portfolio');
    await signIn(page, E2E_USERS.manager.email, E2E_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/portfolio');
    await expect.poll(() => page.locator('.kpi .value').first().textContent()).toBe(String(MINE.length));
    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'manager-portfolio-en');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
    await page.waitForURL('**/accounts');
    await expect.poll(() => listedIds(page).then((ids) => ids.sort())).toEqual([...MINE].sort());
    expect(await page.locator('main tbody td.owner').allTextContents()).toEqual(MINE.map(() => E2E_USERS.manager.name));
    await screenshot(page, 'manager-accounts-en');

    // The filters live in the URL.
    await page.locator('#f-waiting').selectOption('plan-approval');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/waiting=plan-approval/);
    await expect.poll(() => listedIds(page).then((ids) => ids.sort())).toEqual([...MINE].sort());

    // The CSV export holds the same accounts, and only those.
    const csv = await context.request.get('/accounts/export.csv?waiting=plan-approval');
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toContain('text/csv');
    const rows = (await csv.text())
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
      .slice(1);
    expect(rows.map((r) => r.split(',')[0]).sort()).toEqual([...MINE].sort());

    await openAccount(page, 'Acme Aerospace');
    const plan = page.locator('#plan');
    await expect.poll(() => plan.locator('.badge').first().textContent()).toBe('Waiting for approval');
    expect(await page.locator('#stages').textContent()).toContain('Waiting for: Plan approval');
    // Why T1: the dimension table sums to the score, with the rule set version.
    const decisions = page.locator('#decisions');
    expect(await decisions.textContent()).toContain('The score 81.5 reaches the T1 threshold 80.');
    expect(await decisions.textContent()).toContain('Decided by the workflow with Fallback (*) rules v1');
    expect(await decisions.getByRole('heading', { name: 'Strategy: why Retain?' }).count()).toBe(1);

    // A second tab on the same plan, to decide again after it has been decided.
    const stale = await context.newPage();
    const staleErrors = trackErrors(stale);
    await stale.goto(page.url());
    await stale.locator('.live .notice').waitFor({ state: 'detached' });

    // Four eyes: approving one's own account's plan (from the keyboard) is refused by the server.
    await plan.getByRole('button', { name: 'Approve the plan' }).focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => plan.locator('[role="alert"]').textContent(), { timeout: 30_000 })
      .toBe(`You own account ${EN_ACCOUNT}: the four-eyes rule lets someone else decide its plan.`);
    // An admin approves it.
    await approvePlan(temporal.client, EN_ACCOUNT, { approve: true, by: E2E_USERS.admin.id, role: 'admin' });
    await untilState(temporal.client, EN_ACCOUNT, 'execution after approval', (s) => s.plan?.status === 'approved');
    await page.reload();
    await page.locator('.live .notice').waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(() => plan.locator('.badge').first().textContent()).toBe('In force');
    const execution = page.locator('#execution');
    await expect.poll(() => execution.getByRole('button', { name: 'Mark done' }).count()).toBeGreaterThan(0);

    // The stale tab's approval: no plan is pending any more, so it reaches the workflow, whose validator refuses it.
    await stale.locator('#plan').getByRole('button', { name: 'Approve the plan' }).click();
    await expect
      .poll(() => stale.locator('#plan [role="alert"]').textContent(), { timeout: 30_000 })
      .toMatch(/^No plan is waiting for approval \(the account is at (Execute|Monitor|Plan)\)\.$/);
    staleErrors.assertNone();
    await stale.close();

    // Log a visit.
    await execution.locator('#visit-contact').selectOption('c2');
    await execution.locator('#visit-note').fill('Discussed the roadmap with the CIO');
    await execution.getByRole('button', { name: 'Log the visit' }).click();
    await expect.poll(() => execution.locator('[role="status"]').textContent(), { timeout: 30_000 }).toBe('The visit is logged.');
    await expect.poll(() => execution.textContent()).toContain('Discussed the roadmap with the CIO');
    await untilState(temporal.client, EN_ACCOUNT, 'the visit in the workflow', (s) => s.lastVisit !== null);

    // Complete an action of the plan now in force.
    const before = await execution.getByRole('button', { name: 'Mark done' }).count();
    await execution.getByRole('button', { name: 'Mark done' }).first().click();
    await expect
      .poll(() => execution.locator('[role="status"]').first().textContent(), { timeout: 30_000 })
      .toBe('The action is marked done.');
    await expect.poll(() => execution.getByRole('button', { name: 'Mark done' }).count()).toBe(before - 1);

    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'manager-account-en');

    // Another manager's account does not exist as far as this manager can tell.
    const other = await page.goto(`/accounts/${ZH_ACCOUNT}`);
    expect(other?.status()).toBe(404);
    const otherCsv = await context.request.get(`/accounts/export.csv?q=${ZH_ACCOUNT}`);
    expect((await otherCsv.text()).trim().split('\r\n')).toHaveLength(1);
    const otherPost = await context.request.post(`/accounts/${ZH_ACCOUNT}?/visit`, {
      form: { date: '2025-01-02', note: 'sneaky' },
      headers: { origin: server.url },
      maxRedirects: 0,
    });
    expect(otherPost.status()).toBe(404);
    errors.assertNone();
  }, 180_000);

  it('is refused the rule editor’s pages and actions', async () => {
    const errors = trackErrors(page, [/status of 403/]);
    for (const path of ['/rules', '/rules/finance', '/rules/finance/history']) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(403);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Error 403');
    }
    for (const path of ['/rules', '/rules/finance', '/rules/finance?/publish', '/rules/finance?/save']) {
      const post = await context.request.post(path, { form: { comment: 'x' }, headers: { origin: server.url }, maxRedirects: 0 });
      expect(post.status(), path).toBe(403);
    }
    errors.assertNone();
  });

  it('reads a 30-person relationship map, at desktop and at tablet width', async () => {
    const errors = trackErrors(page);
    await page.goto(`/accounts/${BIG}#relationships`);
    const map = page.locator('#relationships svg[role="img"]');
    await map.waitFor();
    expect(await map.locator('g.node').count()).toBe(30);
    expect(await map.locator('path.influence').count()).toBe(4);
    // No two cards overlap on screen.
    const boxes = await map.locator('g.node > rect.card').evaluateAll((rects) =>
      rects.map((r) => {
        const b = r.getBoundingClientRect();
        return { left: b.left, right: b.right, top: b.top, bottom: b.bottom };
      }),
    );
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1))
        expect(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top).toBe(true);
    await page.locator('#relationships').screenshot({ path: join(SCREENSHOT_DIR, 'manager-relationship-map-en.png') });
    expect(await noPageOverflow(page)).toBe(true);

    await page.setViewportSize({ width: 768, height: 1024 });
    await page.goto(`/accounts/${EN_ACCOUNT}`);
    await page.locator('.live .notice').waitFor({ state: 'detached' });
    expect(await noPageOverflow(page)).toBe(true);
    await screenshot(page, 'manager-account-tablet-en');
    await page.goto('/accounts');
    expect(await noPageOverflow(page)).toBe(true);
    await page.goto('/portfolio');
    expect(await noPageOverflow(page)).toBe(true);
    await screenshot(page, 'manager-portfolio-tablet-en');
    await page.setViewportSize({ width: 1280, height: 800 });
    errors.assertNone();
  }, 240_000);
});

describe('a manager, in Chinese', () => {
  it('sees only their own accounts, is refused deciding their own plan, and logs a visit, in their language', async () => {
    const { context, page, errors } = await signedInPage(browser, server, ZH_MANAGER.email, {
      locale: 'zh-CN',
      path: '/accounts',
    });
    expect(new URL(page.url()).pathname).toBe('/accounts');
    await expect.poll(() => page.locator('h1').textContent()).toBe('客户');
    await expect.poll(() => listedIds(page)).toEqual([ZH_ACCOUNT]);
    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'manager-accounts-zh-CN');

    await openAccount(page, '华东航天科技');
    const plan = page.locator('#plan');
    await expect.poll(() => plan.locator('.badge').first().textContent()).toBe('待审批');
    expect(await page.locator('#decisions').textContent()).toContain('综合积分 81.5 达到 T1 门槛 80。');

    // Four eyes: the owner may neither reject nor approve their own account's plan; the refusal reads in Chinese.
    await plan.locator('#reject-reason').fill('太保守');
    await plan.getByRole('button', { name: '驳回规划' }).click();
    const ownPlan = `您是客户 ${ZH_ACCOUNT} 的负责人：按四眼原则，其规划须由他人审批。`;
    await expect.poll(() => plan.locator('[role="alert"]').textContent(), { timeout: 30_000 }).toBe(ownPlan);
    await plan.getByRole('button', { name: '批准规划' }).click();
    await expect.poll(() => plan.locator('[role="alert"]').textContent(), { timeout: 30_000 }).toBe(ownPlan);
    await approvePlan(temporal.client, ZH_ACCOUNT, { approve: true, by: E2E_USERS.admin.id, role: 'admin' });
    await untilState(temporal.client, ZH_ACCOUNT, 'execution after approval', (s) => s.plan?.status === 'approved');
    await page.reload();
    await page.locator('.live .notice').waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(() => plan.locator('.badge').first().textContent()).toBe('已生效');

    // The workflow's validator refuses a visit dated in the future; its reason reads in Chinese.
    const execution = page.locator('#execution');
    await execution.locator('#visit-date').evaluate((el) => {
      el.removeAttribute('max');
      (el as unknown as { value: string }).value = '2999-01-01';
    });
    await execution.getByRole('button', { name: '记录拜访' }).click();
    await expect
      .poll(() => execution.locator('[role="alert"]').textContent(), { timeout: 30_000 })
      .toMatch(/^拜访日期 2999年1月1日 晚于今天（.+）。$/);

    await execution.locator('#visit-date').fill(new Date().toISOString().slice(0, 10));
    await execution.locator('#visit-note').fill('与首席信息官讨论路线图');
    await execution.getByRole('button', { name: '记录拜访' }).click();
    await expect.poll(() => execution.locator('[role="status"]').textContent(), { timeout: 30_000 }).toBe('拜访已记录。');
    await expect.poll(() => execution.textContent()).toContain('与首席信息官讨论路线图');

    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'manager-account-zh-CN');

    await page.goto('/portfolio');
    await expect.poll(() => page.locator('h1').textContent()).toBe('客户组合');
    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'manager-portfolio-zh-CN');
    errors.assertNone();
    await context.close();
  }, 240_000);
});

describe('a signed-out visitor', () => {
  it('is sent to sign-in from every page and endpoint of accounts, portfolio and reviews', async () => {
    const context = await newContext(browser, server.url);
    const page = await context.newPage();
    const errors = trackErrors(page);
    for (const path of [
      '/portfolio',
      '/accounts',
      '/accounts?tier=T1&potential=H',
      `/accounts/${EN_ACCOUNT}`,
      `/accounts/${EN_ACCOUNT}#plan`,
      '/accounts/export.csv?tier=T1',
      '/reviews',
      '/reviews?year=2025',
      '/approvals',
      '/approvals?tier=T1',
      `/accounts/${EN_ACCOUNT}/plan`,
    ]) {
      await page.goto(path);
      const url = new URL(page.url());
      expect(url.pathname, path).toBe('/signin');
      expect(url.searchParams.get('next'), path).toBe(path.replace(/#.*$/, ''));
    }
    const post = await context.request.post(`/accounts/${EN_ACCOUNT}?/decide`, {
      form: { decision: 'approve', planId: '1' },
      headers: { origin: server.url },
      maxRedirects: 0,
    });
    // SvelteKit answers an action request with its own redirect result rather than a bare 303.
    const location =
      post.status() === 303 ? post.headers()['location'] : ((await post.json()) as { type: string; location: string }).location;
    expect(location).toMatch(/^\/signin\?next=/);
    for (const action of ['/approvals?/decide', `/accounts/${EN_ACCOUNT}/plan?/submit`, `/accounts/${EN_ACCOUNT}/plan?/save`]) {
      const refused = await context.request.post(action, {
        form: { decision: 'approve', plan: `${EN_ACCOUNT}:1`, confirm: 'yes', planId: '1', goal: 'x' },
        headers: { origin: server.url },
        maxRedirects: 0,
      });
      const to =
        refused.status() === 303
          ? refused.headers()['location']
          : ((await refused.json()) as { type: string; location: string }).location;
      expect(to, action).toMatch(/^\/signin\?next=/);
    }
    errors.assertNone();
    await context.close();
  });
});
