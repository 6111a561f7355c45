/**
 * The rule editor in a real browser against the production build, with what `npm start` runs beside
 * it: the Temporal dev server, the worker and one workflow per account. An admin makes the weights
 * sum wrong and sees the error at the weights, fixes it, runs the what-if, tries the test bench,
 * publishes with a comment, and the moved accounts' stored tiers change: the workflows hear
 * `rulesPublished`, re-grade, and the accounts list shows what the what-if promised. An account
 * whose plan waits for approval re-grades once the plan is decided (the admin approves it on the
 * account page). The editor, what-if and test bench are photographed in English and Chinese.
 * Another admin's earlier save is a conflict, not an overwrite; a manager gets 403 from every rule
 * page and every form action. Without Temporal, publishing still publishes and says the workflows
 * could not be told.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client.js';
import { listAccountIds } from '../../db/repositories/accounts.js';
import { accounts } from '../../db/schema.js';
import { fieldId } from '../../studio/src/lib/components/rules/paths.js';
import { connectClient, startAccountWorkflows, type EspClient } from '../../workflows/client.js';
import {
  E2E_PASSWORD,
  E2E_USERS,
  launchBrowser,
  newContext,
  rawKeysOn,
  screenshot,
  setLocale,
  signIn,
  startStudio,
  type StudioServer,
  trackErrors,
} from '../helpers/browser.js';
import { until } from '../helpers/temporal.js';

const INDUSTRY = 'manufacturing';
const EDITOR = `/rules/${INDUSTRY}`;
// Enough that the weight change surely moves some manufacturing tiers (13 of 32, two of them with
// a plan waiting for approval), few enough that 150 workflows settle in well under a minute.
const DEMO_ACCOUNTS = 150;

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const byField = (page: Page, path: string) => page.locator(`#${fieldId(path)}`);
const issuesAt = (page: Page, path: string) => page.locator(`#${fieldId(path)}-issues`);

async function noRawKeys(page: Page) {
  expect(await rawKeysOn(page)).toEqual([]);
}

interface Listed {
  tier: string;
  stage: string;
}

/** Each account on the accounts list page as it shows them: the stored tier and stage (with its wait). */
async function listedAccounts(page: Page, query: string): Promise<Map<string, Listed>> {
  await page.goto(`/accounts?${query}`);
  const rows = page.locator('main tbody tr');
  const [ids, tiers, stages] = await Promise.all([
    rows.locator('th .id').allTextContents(),
    rows.locator('td:nth-of-type(2)').allTextContents(),
    rows.locator('td:nth-of-type(6)').allTextContents(),
  ]);
  return new Map(ids.map((id, i) => [id, { tier: tiers[i]!.trim(), stage: stages[i]!.replace(/\s+/g, ' ').trim() }]));
}

/** Accounts not yet at rest with a stored tier (at rest: executing, or with a plan waiting for approval). */
async function unsettled(database: Database): Promise<string[]> {
  const rows = await database.db
    .select({ id: accounts.id, tier: accounts.tier, stage: accounts.stage, waitingFor: accounts.waitingFor })
    .from(accounts);
  return rows
    .filter((r) => !r.tier || !(r.stage === 'execute' || r.waitingFor === 'plan-approval'))
    .map((r) => `${r.id}@${r.stage ?? 'none'}${r.waitingFor ? `/${r.waitingFor}` : ''}`);
}

describe('with the workflows running', () => {
  let server: StudioServer;
  let temporal: EspClient;
  let database: Database;

  beforeAll(async () => {
    server = await startStudio({ demoAccounts: DEMO_ACCOUNTS, temporal: true });
    const t = server.temporal!;
    temporal = await connectClient({ address: t.address, namespace: t.namespace, taskQueue: t.taskQueue });
    database = await openDatabase({ url: server.databaseUrl!, max: 2 });
    // As `npm start` does: a workflow for every account, 20 start calls in flight (its default window).
    const ids = await listAccountIds(database.db);
    expect(ids.length).toBe(DEMO_ACCOUNTS);
    const started = await startAccountWorkflows(temporal.client, ids, { taskQueue: t.taskQueue });
    expect(started.failed).toEqual([]);
    expect(started.started.length).toBe(DEMO_ACCOUNTS);
    await until(
      'every account graded and at rest',
      () => unsettled(database),
      (left) => left.length === 0,
      240_000,
      1000,
    );
  }, 400_000);

  afterAll(async () => {
    await database?.close();
    await temporal?.close();
    await server?.stop();
  });

  describe('an admin', () => {
    it('edits the weights, sees the error at the field, runs what-if, publishes, and the stored tiers change', async () => {
      const context = await newContext(browser, server.url);
      const page = await context.newPage();
      const errors = trackErrors(page);
      // Signing in from the rules index comes back to it.
      await page.goto('/rules');
      await signIn(page, E2E_USERS.admin.email, E2E_PASSWORD);

      // The index lists the fallback and each industry; open one.
      await page.getByRole('link', { name: 'Manufacturing', exact: true }).click();
      await page.waitForURL(`**${EDITOR}`);
      expect(await page.locator('h1').textContent()).toBe('Rules: Manufacturing');
      await expect.poll(() => page.getByTestId('draft-status').textContent()).toContain('No draft');
      await noRawKeys(page);

      // Keyboard: a nine-box cell changes class with Enter; the matrix is then the industry's own,
      // and "Reset to inherited" (also by keyboard) brings the inherited one back.
      const cell = page.locator('button[data-cell="HL"]');
      const inherited = (await cell.textContent())!.trim();
      await cell.focus();
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await cell.textContent())!.trim()).not.toBe(inherited);
      const resetMatrix = page.getByRole('button', { name: 'Reset Class matrix to the inherited value' });
      await resetMatrix.focus();
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await cell.textContent())!.trim()).toBe(inherited);

      // Weights that do not sum to 1: the live sum says so as it is typed, and the validator's
      // message (that of `esp rules validate`) appears at the weights.
      const revenue = byField(page, '$.grade.weights.revenue');
      await revenue.fill('0.5');
      await expect.poll(() => page.getByTestId('weights-sum').textContent()).toBe('Sum of weights: 1.15. It must be 1.');
      await expect
        .poll(() => issuesAt(page, '$.grade.weights').textContent(), { timeout: 10_000 })
        .toContain('The weights must sum to 1; they sum to 1.15.');
      expect(await revenue.getAttribute('aria-invalid')).toBe('false');
      await expect
        .poll(() => page.locator('#issue-summary').textContent())
        .toContain('The weights must sum to 1; they sum to 1.15.');
      // Saving keeps the draft (drafts may be invalid); publishing is not offered until it is fixed.
      await page.getByRole('button', { name: 'Save draft' }).click();
      await expect.poll(() => page.getByTestId('save-state').textContent()).toContain('Saved (revision 1)');
      await expect.poll(() => issuesAt(page, '$.grade.weights').textContent()).toContain('they sum to 1.15');
      expect(await page.getByRole('button', { name: 'Publish as v2' }).isDisabled()).toBe(true);
      await screenshot(page, 'rules-editor-error-en');

      // Fixed: potential now weighs most (0.1 + 0.55 + 0.15 inherited + 0.2 inherited = 1).
      await revenue.fill('0.1');
      await byField(page, '$.grade.weights.potential').fill('0.55');
      await expect.poll(() => page.getByTestId('weights-sum').textContent()).toBe('Sum of weights: 1 ✓');
      await expect.poll(() => issuesAt(page, '$.grade.weights').count(), { timeout: 10_000 }).toBe(0);
      await expect.poll(() => page.locator('#issue-summary').count(), { timeout: 10_000 }).toBe(0);
      // The JSON view is the same override document: only what differs from the fallback.
      await page.getByRole('button', { name: 'JSON', exact: true }).click();
      const json = JSON.parse(await page.locator('#document-json').inputValue()) as {
        grade: { weights: Record<string, number> };
      };
      expect(json.grade.weights).toEqual({ revenue: 0.1, potential: 0.55 });
      await page.getByRole('button', { name: 'Form', exact: true }).click();
      await screenshot(page, 'rules-editor-en');

      // Save and run the what-if.
      await Promise.all([
        page.waitForURL(`**${EDITOR}/whatif`),
        page.getByRole('button', { name: 'Save and run what-if' }).click(),
      ]);
      await expect.poll(() => page.locator('h1').textContent()).toBe('What-if: Manufacturing');
      const tierChanges = Number(await page.getByTestId('count-tier').textContent());
      expect(tierChanges).toBeGreaterThan(0);
      const moved: { id: string; before: string; after: string }[] = [];
      for (const row of await page.locator('tr.summary-row').all()) {
        const text = (await row.getByTestId('tier-change').textContent())!;
        if (!text.includes('→')) continue;
        const [before, after] = text.split('→').map((s) => s.trim()) as [string, string];
        moved.push({ id: (await row.getAttribute('data-account'))!, before, after });
      }
      expect(moved.length).toBe(Math.min(tierChanges, 25));
      // Why: the explanation of the first account names the new weight.
      await page.locator('tr.why-row details summary').first().click();
      await expect.poll(() => page.locator('tr.why-row details').first().textContent()).toContain('0.55');
      await noRawKeys(page);
      await screenshot(page, 'rules-whatif-en');

      // The what-if's "before" is what the workflows decided and stored: the accounts list shows it.
      // Moved accounts that are executing re-grade when told; one whose plan waits for approval does
      // so once the plan is decided (the demo data is deterministic: both kinds are among them).
      const listQuery = `industry=${INDUSTRY}&size=100`;
      const before = await listedAccounts(page, listQuery);
      expect(Object.fromEntries(moved.map((m) => [m.id, before.get(m.id)?.tier]))).toEqual(
        Object.fromEntries(moved.map((m) => [m.id, m.before])),
      );
      const awaitingApproval = moved.filter((m) => before.get(m.id)!.stage.includes('Plan approval'));
      const executing = moved.filter((m) => before.get(m.id)!.stage.startsWith('Execute'));
      expect(awaitingApproval.length).toBeGreaterThan(0);
      expect(executing.length).toBeGreaterThan(0);
      expect(awaitingApproval.length + executing.length).toBe(moved.length);

      // The test bench shows the draft and the published decision side by side.
      await page.goto(`${EDITOR}/test?account=${encodeURIComponent(moved[0]!.id)}`);
      await expect.poll(() => page.getByTestId('draft-tier').textContent()).toBe(moved[0]!.after);
      expect(await page.getByTestId('published-tier').textContent()).toBe(moved[0]!.before);
      await noRawKeys(page);
      await screenshot(page, 'rules-test-bench-en');

      // The same pages in Chinese.
      await setLocale(context, server.url, 'zh-CN');
      for (const [path, name] of [
        [EDITOR, 'rules-editor-zh-CN'],
        [`${EDITOR}/whatif`, 'rules-whatif-zh-CN'],
        [`${EDITOR}/test?account=${encodeURIComponent(moved[0]!.id)}`, 'rules-test-bench-zh-CN'],
      ] as const) {
        await page.goto(path);
        await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('zh-CN');
        expect(await page.locator('h1').textContent()).toMatch(/制造|Manufacturing|manufacturing/);
        await noRawKeys(page);
        await screenshot(page, name);
      }
      await setLocale(context, server.url, 'en');

      // Publish from the what-if, with a comment.
      const targets = (await listAccountIds(database.db, { industry: INDUSTRY })).length;
      await page.goto(`${EDITOR}/whatif`);
      await page.locator('#publish-comment').fill('Potential weighs more in manufacturing');
      await Promise.all([page.waitForURL(`**${EDITOR}/history?**`), page.getByRole('button', { name: 'Publish as v2' }).click()]);
      // Every manufacturing account's workflow was told, and nothing is left to warn about.
      await expect
        .poll(async () => (await page.getByTestId('publish-notice').textContent())?.replace(/\s+/g, ' ').trim())
        .toBe(`v2 is published. ${targets} of ${targets} account workflows were told to re-evaluate.`);
      expect(await page.getByTestId('publish-warning').count()).toBe(0);
      const rows = page.locator('table').first().locator('tbody tr');
      await expect.poll(() => rows.first().textContent()).toContain('Potential weighs more in manufacturing');
      await page.getByRole('button', { name: 'Compare' }).click();
      await expect.poll(() => page.getByTestId('diff').textContent()).toContain('$.grade.weights');
      await noRawKeys(page);
      await screenshot(page, 'rules-history-en');

      // The workflows heard `rulesPublished` and re-graded: the stored tiers, as the accounts list
      // shows them, are now the what-if's "after" for every executing moved account.
      const tiersOf = (list: Map<string, Listed>, ms: typeof moved) =>
        Object.fromEntries(ms.map((m) => [m.id, list.get(m.id)?.tier]));
      await expect
        .poll(async () => tiersOf(await listedAccounts(page, listQuery), executing), { timeout: 90_000, interval: 1000 })
        .toEqual(Object.fromEntries(executing.map((m) => [m.id, m.after])));
      await screenshot(page, 'rules-published-accounts-en');
      // A plan waiting for approval is re-graded at once too: its tier moved, so the pending plan is
      // rebuilt under v2 (and waits for a decision again, unless its new tier needs none).
      await expect
        .poll(async () => tiersOf(await listedAccounts(page, listQuery), awaitingApproval), { timeout: 90_000, interval: 1000 })
        .toEqual(Object.fromEntries(awaitingApproval.map((m) => [m.id, m.after])));

      // The admin approves a rebuilt plan on the account page: it is in force, decided under v2.
      const tierShown = page
        .locator('.summary div')
        .filter({ has: page.locator('dt', { hasText: /^Tier$/ }) })
        .locator('dd');
      const gradeSource = page.locator('#decisions article').first().locator('.source');
      const stillWaiting = [...(await listedAccounts(page, listQuery))].filter(
        ([id, l]) => awaitingApproval.some((m) => m.id === id) && l.stage.includes('Plan approval'),
      );
      for (const [id] of stillWaiting) {
        const m = awaitingApproval.find((a) => a.id === id)!;
        await page.goto(`/accounts/${encodeURIComponent(m.id)}`);
        await page.locator('.live .notice').waitFor({ state: 'detached', timeout: 15_000 });
        const plan = page.locator('#plan');
        await plan.getByRole('button', { name: 'Approve the plan' }).click();
        await expect
          .poll(() => plan.locator('[role="status"]').textContent(), { timeout: 30_000 })
          .toBe('The plan is approved and in force; its actions are now tracked.');
        await expect
          .poll(
            async () => {
              await page.reload();
              return [await tierShown.textContent(), await gradeSource.textContent()];
            },
            { timeout: 60_000, interval: 1000 },
          )
          .toEqual([m.after, expect.stringContaining('Decided by the workflow with Manufacturing rules v2')]);
      }
      expect(tiersOf(await listedAccounts(page, listQuery), moved)).toEqual(
        Object.fromEntries(moved.map((m) => [m.id, m.after])),
      );

      // Nothing left to compare: the draft is published.
      await page.goto(`${EDITOR}/whatif`);
      await expect.poll(() => page.locator('main').textContent()).toContain('There is no draft');

      errors.assertNone();
      await context.close();
    }, 240_000);

    it('sees a conflict, not an overwrite, when someone else saved first', async () => {
      const context = await newContext(browser, server.url);
      const first = await context.newPage();
      const second = await context.newPage();
      const errors = [trackErrors(first), trackErrors(second)];
      await first.goto('/rules');
      await signIn(first, E2E_USERS.admin.email, E2E_PASSWORD);
      for (const p of [first, second]) await p.goto('/rules/retail');

      await byField(first, '$.grade.tierPolicy.thresholds.T1').fill('82');
      await first.getByRole('button', { name: 'Save draft' }).click();
      await expect.poll(() => first.getByTestId('save-state').textContent()).toContain('Saved (revision 1)');

      await byField(second, '$.grade.tierPolicy.thresholds.T1').fill('90');
      await second.getByRole('button', { name: 'Save draft' }).click();
      await expect.poll(() => second.getByTestId('conflict').textContent()).toContain('Erin Admin saved the draft');
      expect(await second.getByTestId('conflict').textContent()).toContain('Nothing was overwritten');
      // The second tab's edit is still there to copy.
      expect(await byField(second, '$.grade.tierPolicy.thresholds.T1').inputValue()).toBe('90');
      await second.reload();
      expect(await byField(second, '$.grade.tierPolicy.thresholds.T1').inputValue()).toBe('82');
      for (const e of errors) e.assertNone();
      await context.close();
    }, 240_000);
  });

  describe('a manager', () => {
    it('gets 403 from every rule page and every form action', async () => {
      const context = await newContext(browser, server.url);
      const page = await context.newPage();
      const errors = trackErrors(page, [/status of 403/]);
      await page.goto('/glossary');
      await signIn(page, E2E_USERS.manager.email, E2E_PASSWORD);

      for (const path of ['/rules', EDITOR, `${EDITOR}/history`, `${EDITOR}/whatif`, `${EDITOR}/test`, '/rules/*']) {
        const response = await page.goto(path);
        expect(response?.status(), path).toBe(403);
        expect(await page.locator('main').textContent(), path).toContain('You do not have access to this page.');
      }
      await noRawKeys(page);

      const headers = { origin: server.url };
      const posts: [string, Record<string, string>][] = [
        [`${EDITOR}?/save`, { document: '{"industry":"manufacturing"}', revision: '' }],
        [`${EDITOR}?/publish`, { comment: 'sneaky', revision: '0' }],
        [`${EDITOR}?/discard`, { revision: '0' }],
        [`${EDITOR}/history?/rollback`, { version: '1', comment: 'sneaky' }],
        [`${EDITOR}/whatif?/publish`, { comment: 'sneaky', revision: '0' }],
        [`${EDITOR}/test?/paste`, { account: '{}' }],
      ];
      for (const [url, form] of posts) {
        const response = await context.request.post(url, { form, headers, maxRedirects: 0 });
        expect(response.status(), url).toBe(403);
      }
      const validate = await context.request.post(`${EDITOR}/validate`, {
        data: { industry: INDUSTRY },
        headers,
        maxRedirects: 0,
      });
      expect(validate.status()).toBe(403);
      errors.assertNone();
      await context.close();
    }, 240_000);
  });
});

describe('without Temporal', () => {
  let server: StudioServer;

  beforeAll(async () => {
    // The studio's Temporal address is a closed port: publishing cannot reach any workflow.
    server = await startStudio({ demoAccounts: 20 });
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('an admin publishes all the same and is told the workflows could not be reached', async () => {
    const context = await newContext(browser, server.url);
    const page = await context.newPage();
    const errors = trackErrors(page);
    await page.goto(EDITOR);
    await signIn(page, E2E_USERS.admin.email, E2E_PASSWORD);
    await byField(page, '$.grade.tierPolicy.thresholds.T1').fill('82');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect.poll(() => page.getByTestId('save-state').textContent()).toContain('Saved (revision 1)');
    await page.locator('#publish-comment').fill('T1 from 82');
    await Promise.all([page.waitForURL(`**${EDITOR}/history?**`), page.getByRole('button', { name: 'Publish as v2' }).click()]);
    await expect.poll(() => page.getByTestId('publish-notice').textContent()).toContain('v2 is published.');
    expect(await page.getByTestId('publish-warning').textContent()).toContain('could not be reached');
    await expect.poll(() => page.locator('table').first().locator('tbody tr').first().textContent()).toContain('T1 from 82');
    errors.assertNone();
    await context.close();
  }, 120_000);
});
