/**
 * A manager edits accounts in the studio, end to end against the production build with a Temporal
 * dev server and a worker: an account below the profile gate shows what it misses, the manager
 * fills it in and the workflow leaves the profile stage and grades it; a reporting line that would
 * loop is refused at its field, in Chinese, with nothing saved; two browsers edit one account and
 * the second gets the conflict, naming who changed what.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/auth/password.js';
import { openDatabase, type Database } from '../../db/client.js';
import { getAccountWithState, upsertAccounts } from '../../db/repositories/accounts.js';
import { upsertUsers } from '../../db/repositories/users.js';
import { accountSchema, type Account, type AccountInput } from '../../engine/index.js';
import { connectClient, startAccountWorkflows, type EspClient } from '../../workflows/client.js';
import {
  E2E_PASSWORD,
  E2E_USERS,
  launchBrowser,
  newContext,
  signIn,
  startStudio,
  trackErrors,
  type StudioServer,
} from '../helpers/browser.js';
import { untilState } from '../helpers/temporal.js';

const ZH_MANAGER = { id: 'e2e-edit-zh', email: 'e2e-edit-zh@example.test', name: '王经理', role: 'manager' as const };
const BELOW = 'e2e-below-gate';
const LOOP = 'e2e-loop';
const SHARED = 'e2e-shared';

/** Known people and one competitor; only what the grade weighs and the size are missing. */
function account(id: string, ownerId: string, extra: Partial<AccountInput> = {}): Account {
  return accountSchema.parse({
    id,
    name: `Account ${id}`,
    industry: 'aerospace',
    region: 'Orbit',
    status: 'active',
    ownerId,
    revenueWithUs: 12_000_000,
    contacts: [
      { id: 'c1', name: 'Chief Executive', influence: 5, stance: 2, decisionRole: 'decision-maker' },
      { id: 'c2', name: 'Chief Information Officer', influence: 4, stance: 1, reportsTo: 'c1' },
      { id: 'c3', name: 'Purchasing Manager', influence: 3, stance: 0, reportsTo: 'c2' },
    ],
    competitors: [{ id: 'rival', name: 'Rival Corp', share: 0.3 }],
    ...extra,
  });
}

let server: StudioServer;
let browser: Browser;
let temporal: EspClient;
let database: Database;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startStudio({
    demoAccounts: 5,
    temporal: true,
    seed: async (db) => {
      await upsertUsers(db, [{ ...ZH_MANAGER, passwordHash: await hashPassword(E2E_PASSWORD), locale: 'zh-CN' }]);
      await upsertAccounts(db, [
        account(BELOW, E2E_USERS.manager.id),
        account(LOOP, ZH_MANAGER.id),
        account(SHARED, E2E_USERS.manager.id),
      ]);
    },
  });
  database = await openDatabase({ url: server.databaseUrl!, max: 2 });
  temporal = await connectClient({
    address: server.temporal!.address,
    namespace: server.temporal!.namespace,
    taskQueue: server.temporal!.taskQueue,
  });
  expect((await startAccountWorkflows(temporal.client, [BELOW], { taskQueue: server.temporal!.taskQueue })).failed).toEqual([]);
  await untilState(temporal.client, BELOW, 'the profile wait', (s) => s.waitingFor === 'profile-data', 90_000);
}, 400_000);

afterAll(async () => {
  await temporal?.close();
  await database?.close();
  await browser?.close();
  await server?.stop();
});

async function signedIn(email: string, locale?: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, server.url, locale ? { locale } : {});
  const page = await context.newPage();
  await signIn(page, email, E2E_PASSWORD);
  return { context, page };
}

const stored = async (id: string) => (await getAccountWithState(database.db, id))!;

describe('editing accounts', () => {
  it('a manager fills the missing profile of an account below the gate, and the workflow grades it', async () => {
    const { context, page } = await signedIn(E2E_USERS.manager.email);
    const errors = trackErrors(page);
    try {
      await page.goto(`/accounts/${BELOW}`);
      const panel = page.getByTestId('profile-panel');
      await expect.poll(() => panel.textContent()).toContain('Complete: 62%');
      // The missing items link to their inputs.
      await panel.locator('.missing-list').getByRole('link', { name: 'Potential (3 years)' }).click();
      await page.waitForURL(`**/accounts/${BELOW}/edit#field-potential`);
      await page.getByLabel('Potential (3 years)').fill('60000000');
      await page.getByLabel('Demonstration value (0–100)').fill('70');
      await page.getByLabel('Winnability (0–100)').fill('70');
      await page.getByLabel('Employees').fill('5000');
      await page.getByLabel('Company revenue').fill('2000000000');
      await page.locator('form[action="?/profile"]').getByRole('button', { name: 'Save' }).click();
      const notice = page.locator('#profile [role="status"]');
      await expect.poll(() => notice.textContent()).toContain('Saved (version 1)');
      expect(await notice.textContent()).toContain("The account's workflow was told.");
      await expect.poll(() => page.getByTestId('profile-panel').textContent()).toContain('Complete: 100%');

      const graded = await untilState(
        temporal.client,
        BELOW,
        'the grade',
        (s) => s.tier !== null && s.stage !== 'profile',
        30_000,
      );
      expect(graded.history.map((h) => h.stage)).toEqual(expect.arrayContaining(['profile', 'grade']));
      // The edit is in the account's history, who and what, before and after.
      await page.reload();
      const history = await page.locator('#history').textContent();
      expect(history).toContain('Version 1: Mika Manager');
      expect(history).toContain('potential: null → 60000000');
      // And in the account page's audit trail.
      await page.goto(`/accounts/${BELOW}`);
      const trail = await page.locator('#trail').textContent();
      expect(trail).toContain('Edit history');
      expect(trail).toContain('Version 1: Mika Manager');
      expect(trail).toContain('potential: null → 60000000');
      errors.assertNone();
    } finally {
      await context.close();
    }
  });

  it('refuses a looping reporting line at its field, in Chinese, and saves nothing (opened from the relationship map)', async () => {
    const { context, page } = await signedIn(ZH_MANAGER.email, 'zh-CN');
    const errors = trackErrors(page, [/status of 400/]);
    try {
      await page.goto(`/accounts/${LOOP}`);
      // Clicking a person on the map opens their contact form.
      await page.locator(`svg a[href*="contact=c1"]`).click();
      await page.waitForURL(`**/accounts/${LOOP}/edit?contact=c1#contact-form`);
      await page.getByLabel('汇报给').selectOption('c3');
      await page.locator('#contact-form').getByRole('button', { name: '保存' }).click();
      const fieldError = page.locator('#contact-reportsTo-error');
      await expect.poll(() => fieldError.textContent()).toBe('汇报关系形成了环：c1 → c3 → c2 → c1');
      expect(await page.locator('#people [role="alert"]').first().textContent()).toContain('未保存任何内容');
      const after = await stored(LOOP);
      expect(after.account.contacts.find((c) => c.id === 'c1')!.reportsTo).toBeNull();
      expect(after.state.version).toBe(0);
      errors.assertNone();
    } finally {
      await context.close();
    }
  });

  it('two browsers edit one account: the second save gets the conflict with who changed what, and the current values', async () => {
    const first = await signedIn(E2E_USERS.manager.email);
    const second = await signedIn(E2E_USERS.manager.email);
    try {
      for (const { page } of [first, second]) await page.goto(`/accounts/${SHARED}/edit`);
      await first.page.getByLabel('Region').fill('North');
      await first.page.locator('form[action="?/profile"]').getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => first.page.locator('#profile [role="status"]').textContent()).toContain('Saved (version 1)');

      await second.page.getByLabel('Region').fill('South');
      await second.page.locator('form[action="?/profile"]').getByRole('button', { name: 'Save' }).click();
      const conflict = second.page.getByTestId('edit-conflict');
      await expect.poll(() => conflict.textContent()).toContain('the account changed after you opened it (now version 1)');
      const text = (await conflict.textContent())!;
      expect(text).toContain('Mika Manager changed region at');
      expect(text).toMatch(/region\s*North/);
      expect((await stored(SHARED)).account.region).toBe('North');
      // The typed value is kept in the form, not silently replaced.
      expect(await second.page.getByLabel('Region').inputValue()).toBe('South');
    } finally {
      await first.context.close();
      await second.context.close();
    }
  });
});
