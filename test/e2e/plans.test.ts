/**
 * Plan revision and the approval queue, end to end against the production build with a Temporal
 * dev server and a worker: the owner (a manager working in Chinese) is refused when approving
 * their own plan; an admin rejects it from the queue with a reason; the owner reads the reason
 * beside the plan, revises it (an action, the strategy with an override and its reason), saves a
 * draft (a second, stale editor's save is refused, naming who saved when) and resubmits it as
 * version 2; the admin approves it from the queue and execution starts.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertAccounts } from '../../db/repositories/accounts.js';
import { accountSchema } from '../../engine/index.js';
import type { EspClient } from '../../workflows/client.js';
import {
  E2E_USERS,
  launchBrowser,
  rawKeysOn,
  screenshot,
  signedInPage,
  startStudio,
  startStudioWorkflows,
  type StudioServer,
  trackErrors,
} from '../helpers/browser.js';
import { keyAccount, untilState } from '../helpers/temporal.js';

const OWNER = { id: 'e2e-owner-zh', email: 'e2e-owner-zh@example.test', name: '李经理', role: 'manager' as const };
const ACCOUNT = 'e2e-plan-zh';
const NAME = '西部航空装备';

let server: StudioServer;
let browser: Browser;
let temporal: EspClient;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startStudio({
    demoAccounts: 0,
    temporal: true,
    users: [{ ...OWNER, locale: 'zh-CN' }],
    seed: async (db) => {
      // A key account (T1: its plan needs approval) of an industry without a team: its owner stays.
      await upsertAccounts(db, [
        accountSchema.parse(keyAccount({ id: ACCOUNT, name: NAME, industry: 'aerospace', region: 'West', ownerId: OWNER.id })),
      ]);
    },
  });
  temporal = await startStudioWorkflows(server, [ACCOUNT]);
  await untilState(temporal.client, ACCOUNT, 'the plan waiting for approval', (s) => s.waitingFor === 'plan-approval', 90_000);
}, 400_000);

afterAll(async () => {
  await temporal?.close();
  await browser?.close();
  await server?.stop();
});

const signedIn = (user: { email: string }, locale: string) =>
  signedInPage(browser, server, user.email, { locale, path: '/approvals' });

/** Selects the account's row in the queue, decides with the reason, confirms, and returns the result line. */
async function decideFromQueue(page: Page, decision: 'approve' | 'reject', reason: string): Promise<string> {
  await page.goto('/approvals?tier=T1');
  await page.getByRole('checkbox', { name: `Select the plan of ${NAME}` }).check();
  await page.locator('#bulk-reason').fill(reason);
  await page.getByRole('button', { name: decision === 'approve' ? 'Approve selected (1)' : 'Reject selected (1)' }).click();
  const confirm = page.getByRole('alertdialog');
  expect(await confirm.textContent()).toContain(decision === 'approve' ? 'Approve 1 plan(s)?' : `“${reason}”`);
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  const results = page.getByTestId('decision-results');
  await results.waitFor({ timeout: 60_000 });
  return (await results.locator('li').textContent())!.replace(/\s+/g, ' ').trim();
}

describe('plan revision and approvals', () => {
  it('revises a rejected plan and has it approved by someone else from the queue', async () => {
    const owner = await signedIn(OWNER, 'zh-CN');
    const admin = await signedIn(E2E_USERS.admin, 'en-US');
    const ownerErrors = trackErrors(owner.page);
    const adminErrors = trackErrors(admin.page);

    // The owner's queue does not hold their own account's plan, and approving it is refused.
    await expect.poll(() => owner.page.locator('h1').textContent()).toBe('待您审批的规划');
    expect(await owner.page.getByRole('status').textContent()).toContain('没有待您审批的规划。');
    await owner.page.goto(`/accounts/${ACCOUNT}`);
    await owner.page.locator('.live .notice').waitFor({ state: 'detached', timeout: 15_000 });
    const plan = owner.page.locator('#plan');
    await plan.getByRole('button', { name: '批准规划' }).click();
    await expect
      .poll(() => plan.locator('[role="alert"]').textContent(), { timeout: 30_000 })
      .toBe(`您是客户 ${ACCOUNT} 的负责人：按四眼原则，其规划须由他人审批。`);
    // Posting the queue's form directly is refused for that account too.
    const v1 = (await untilState(temporal.client, ACCOUNT, 'v1', (s) => s.plan?.version === 1)).plan!.id;
    const direct = await owner.context.request.post('/approvals?/decide', {
      form: { plan: `${ACCOUNT}:${v1}`, decision: 'approve', confirm: 'yes' },
      headers: { origin: server.url, accept: 'application/json', 'x-sveltekit-action': 'true' },
    });
    expect(await direct.text()).toContain('ownPlan');
    expect((await untilState(temporal.client, ACCOUNT, 'still pending', () => true)).plan?.status).toBe('pending-approval');

    // Another user rejects it from the queue.
    expect(await decideFromQueue(admin.page, 'reject', 'No plant-wide ambition')).toBe(`${NAME}: Rejected`);
    await untilState(temporal.client, ACCOUNT, 'the revision wait', (s) => s.waitingFor === 'plan-revision');

    // The owner reads the reason beside the plan and revises it.
    await owner.page.goto(`/accounts/${ACCOUNT}/plan`);
    await expect.poll(() => owner.page.getByTestId('rejection').textContent()).toContain('No plant-wide ambition');
    const editor = owner.page.locator('form.plan-editor');
    await editor.locator('#plan-strategy').selectOption('grow');
    await editor.getByRole('button', { name: '提交审批' }).click();
    // An override without its reason is refused at its field; nothing is submitted.
    await expect
      .poll(() => editor.locator('.field-error').first().textContent(), { timeout: 30_000 })
      .toBe('选择与规则不同的策略时必须填写理由。');
    await editor.locator('#plan-strategy-reason').fill('新工厂三季度投产，应争取提升份额');
    await editor.locator('input[name="action.title"]').first().fill('与工厂总监召开需求研讨会');
    // A second editor, opened before this save, must not overwrite it unseen.
    const stale = await owner.context.newPage();
    await stale.goto(`/accounts/${ACCOUNT}/plan`);
    await editor.getByRole('button', { name: '保存草稿' }).click();
    await expect.poll(() => owner.page.getByRole('status').first().textContent()).toBe('草稿已保存，尚未提交。');
    await stale.locator('#plan-goal').fill('过时的目标');
    await stale.getByRole('button', { name: '保存草稿' }).click();
    await expect
      .poll(() => stale.getByRole('alert').first().textContent(), { timeout: 30_000 })
      .toMatch(/^\s*未保存：在您打开此规划后，李经理 于 .+ 保存了草稿。/);
    await stale.close();
    // The draft is kept across a reload, as its first editor saved it.
    await owner.page.reload();
    expect(await editor.locator('#plan-goal').inputValue()).not.toBe('过时的目标');
    expect(await editor.locator('input[name="action.title"]').first().inputValue()).toBe('与工厂总监召开需求研讨会');
    expect(await editor.locator('#plan-strategy-reason').inputValue()).toBe('新工厂三季度投产，应争取提升份额');
    await editor.getByRole('button', { name: '提交审批' }).click();
    await expect
      .poll(() => owner.page.getByRole('status').first().textContent(), { timeout: 60_000 })
      .toBe('已提交：规划第 2 版已进入审批流程。');
    await untilState(
      temporal.client,
      ACCOUNT,
      'version 2 waiting',
      (s) => s.waitingFor === 'plan-approval' && s.plan?.version === 2,
    );
    // Both versions are listed; the first opens read-only.
    await owner.page.reload();
    const versions = owner.page.locator('.versions li');
    await expect.poll(() => versions.count()).toBe(2);
    expect(await versions.nth(1).textContent()).toContain('已驳回');
    expect(await rawKeysOn(owner.page)).toEqual([]);
    await screenshot(owner.page, 'plan-revision-zh-CN');

    // The admin sees the override's reason in the queue and approves; execution starts.
    await admin.page.goto('/approvals');
    expect(await admin.page.locator('.queue').textContent()).toContain('新工厂三季度投产，应争取提升份额');
    await screenshot(admin.page, 'approvals-en');
    expect(await decideFromQueue(admin.page, 'approve', '')).toBe(`${NAME}: In force`);
    const s = await untilState(temporal.client, ACCOUNT, 'execution', (s) => s.waitingFor === 'next-monitor', 60_000);
    expect(s.openActions.map((a) => a.title)).toContain('与工厂总监召开需求研讨会');
    expect(s.strategy).toBe('grow');

    await owner.page.goto(`/accounts/${ACCOUNT}`);
    await expect.poll(() => owner.page.locator('#plan .badge').first().textContent()).toBe('已生效');
    expect(await owner.page.getByTestId('strategy-override').textContent()).toContain('新工厂三季度投产，应争取提升份额');

    // A manager outside the account's scope finds neither its plan page, nor its actions, nor it in the queue.
    const outsider = await signedIn(E2E_USERS.manager, 'en-US');
    expect(await outsider.page.getByRole('status').textContent()).toContain('No plan waits for your decision.');
    expect((await outsider.page.goto(`/accounts/${ACCOUNT}/plan`))?.status()).toBe(404);
    for (const action of ['save', 'submit']) {
      const post = await outsider.context.request.post(`/accounts/${ACCOUNT}/plan?/${action}`, {
        form: { planId: '1', goal: 'hijacked' },
        headers: { origin: server.url },
        maxRedirects: 0,
      });
      expect(post.status(), action).toBe(404);
    }
    await outsider.context.close();

    ownerErrors.assertNone();
    adminErrors.assertNone();
    await owner.context.close();
    await admin.context.close();
  }, 300_000);
});
