/**
 * The rule editor in a real browser against the production build: an admin makes the weights sum
 * wrong and sees the error at the weights, fixes it, runs the what-if, tries the test bench,
 * publishes with a comment, and the moved accounts' tiers change under the published rules. The
 * editor, what-if and test bench are photographed in English and Chinese. A manager gets 403 from
 * every rule page and every form action.
 *
 * The accounts' stored tiers are the workflows' to write (on `rulesPublished`); this harness runs
 * no Temporal, so the check is what the published rules now decide for each moved account (the
 * test bench's published column), and that publishing said the workflows could not be told.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldId } from '../../studio/src/lib/components/rules/paths.js';
import {
  E2E_PASSWORD,
  E2E_USERS,
  launchBrowser,
  newContext,
  rawKeysOn,
  screenshot,
  signIn,
  startStudio,
  trackErrors,
  type StudioServer,
} from '../helpers/browser.js';

const INDUSTRY = 'manufacturing';
const EDITOR = `/rules/${INDUSTRY}`;

let server: StudioServer;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
  // Enough accounts that a weight change surely moves some manufacturing tiers.
  server = await startStudio({ demoAccounts: 240, env: { TEMPORAL_ADDRESS: '127.0.0.1:9' } });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const byField = (page: Page, path: string) => page.locator(`#${fieldId(path)}`);
const issuesAt = (page: Page, path: string) => page.locator(`#${fieldId(path)}-issues`);

async function setLocale(context: BrowserContext, locale: 'en' | 'zh-CN') {
  const response = await context.request.post('/locale', {
    form: { locale, next: '/' },
    headers: { origin: server.url },
    maxRedirects: 0,
  });
  expect(response.status()).toBe(303);
}

async function noRawKeys(page: Page) {
  expect(await rawKeysOn(page)).toEqual([]);
}

describe('an admin', () => {
  it('edits the weights, sees the error at the field, runs what-if, publishes, and the tiers change', async () => {
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
    const json = JSON.parse(await page.locator('#document-json').inputValue()) as { grade: { weights: Record<string, number> } };
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

    // The test bench shows the draft and the published decision side by side.
    await page.goto(`${EDITOR}/test?account=${encodeURIComponent(moved[0]!.id)}`);
    await expect.poll(() => page.getByTestId('draft-tier').textContent()).toBe(moved[0]!.after);
    expect(await page.getByTestId('published-tier').textContent()).toBe(moved[0]!.before);
    await noRawKeys(page);
    await screenshot(page, 'rules-test-bench-en');

    // The same pages in Chinese.
    await setLocale(context, 'zh-CN');
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
    await setLocale(context, 'en');

    // Publish from the what-if, with a comment.
    await page.goto(`${EDITOR}/whatif`);
    await page.locator('#publish-comment').fill('Potential weighs more in manufacturing');
    await Promise.all([page.waitForURL(`**${EDITOR}/history?**`), page.getByRole('button', { name: 'Publish as v2' }).click()]);
    await expect.poll(() => page.getByTestId('publish-notice').textContent()).toContain('v2 is published.');
    // No Temporal here: published anyway, with the warning.
    expect(await page.getByTestId('publish-warning').textContent()).toContain('could not be reached');
    const rows = page.locator('table').first().locator('tbody tr');
    await expect.poll(() => rows.first().textContent()).toContain('Potential weighs more in manufacturing');
    await page.getByRole('button', { name: 'Compare' }).click();
    await expect.poll(() => page.getByTestId('diff').textContent()).toContain('$.grade.weights');
    await noRawKeys(page);
    await screenshot(page, 'rules-history-en');

    // The moved accounts' tiers changed: the published rules now decide the what-if's "after".
    for (const m of moved.slice(0, 3)) {
      await page.goto(`${EDITOR}/test?account=${encodeURIComponent(m.id)}`);
      await expect.poll(() => page.getByTestId('published-tier').textContent()).toBe(m.after);
    }
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
    const validate = await context.request.post(`${EDITOR}/validate`, { data: { industry: INDUSTRY }, headers, maxRedirects: 0 });
    expect(validate.status()).toBe(403);
    errors.assertNone();
    await context.close();
  }, 240_000);
});
