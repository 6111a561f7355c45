/**
 * The annual review end to end, on the stack exactly as `npm start` runs it: the compiled start
 * script with its Temporal dev server, in-process worker and the studio's node server, on PGlite
 * and a small demo. An admin asks to run the review now and is asked to confirm, in a modal dialog
 * naming the year and how many accounts it will review (Escape cancels; in Chinese too); confirms
 * with the keyboard, watches the progress until the run is done, reads the tier and class
 * migration matrices on the portfolio, and sees every account start its next cycle (on the
 * portfolio and on an account's page).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type EspClient } from '../../workflows/client.js';
import type { AccountState } from '../../workflows/types.js';
import {
  DEMO_CREDENTIALS,
  ensureStudioBuild,
  launchBrowser,
  newContext,
  rawKeysOn,
  screenshot,
  signIn,
  trackErrors,
} from '../helpers/browser.js';
import {
  ctrlC,
  freeStartPorts,
  killGroup,
  npmStart,
  runningAccountWorkflows,
  startEnv,
  waitForReady,
  type Launched,
} from '../helpers/start.js';
import { until } from '../helpers/temporal.js';

const ACCOUNTS = 12;

let scratch: string;
let started: Launched | undefined;
let url: string;
let temporal: EspClient;
let browser: Browser;
/** Each account's state once onboarding settled, before the review. */
let before: AccountState[];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'esp-e2e-review-'));
  const ports = await freeStartPorts();
  await ensureStudioBuild();
  started = npmStart(startEnv({ dataDir: scratch, ports, demoAccounts: ACCOUNTS }));
  url = await waitForReady(started);
  temporal = await connectClient({ address: `127.0.0.1:${ports.temporal}`, namespace: 'default' });
  // Onboarding settles: every account waits somewhere (for data, an approval, its next monitor).
  before = await until(
    'every account workflow settled in a wait',
    async () => {
      const ids = [...(await runningAccountWorkflows(temporal.client)).keys()];
      return Promise.all(ids.map((id) => temporal.client.workflow.getHandle(id).query<AccountState>('state')));
    },
    (states) => states.length === ACCOUNTS && states.every((s) => s.waitingFor !== null),
    240_000,
    1000,
  );
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await temporal?.close();
  if (started) {
    const stopped = await ctrlC(started);
    if (stopped.left.length) killGroup(started);
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function setLocale(page: Page, locale: 'en' | 'zh-CN'): Promise<void> {
  const response = await page.context().request.post('/locale', {
    form: { locale, next: '/portfolio' },
    headers: { origin: url },
    maxRedirects: 0,
  });
  expect(response.status()).toBe(303);
  await page.goto('/portfolio');
}

describe('the annual review, as npm start runs it', () => {
  it('confirm, progress, migration matrices, the next cycle for every account', { timeout: 600_000 }, async () => {
    const year = new Date().getUTCFullYear();
    const context = await newContext(browser, url);
    const page = await context.newPage();
    const errors = trackErrors(page);
    await page.goto('/portfolio');
    await signIn(page, DEMO_CREDENTIALS.email, DEMO_CREDENTIALS.password);
    const panel = page.locator('#h-review').locator('..');
    await expect.poll(() => panel.textContent()).toContain('No review has run yet.');

    // ---- in Chinese: the dialog names the year and the count; Escape cancels, nothing starts ----
    await setLocale(page, 'zh-CN');
    await panel.locator('#review-year').fill(String(year));
    await panel.getByRole('button', { name: '立即开始评估' }).click();
    const zhDialog = page.getByRole('dialog', { name: `现在开始 ${year} 年度评估？` });
    await expect.poll(() => zhDialog.isVisible()).toBe(true);
    expect(await zhDialog.textContent()).toContain(`将评估 ${ACCOUNTS} 个客户`);
    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'portfolio-review-confirm-zh-CN');
    await page.keyboard.press('Escape');
    await expect.poll(() => zhDialog.isVisible()).toBe(false);
    expect(await panel.textContent()).toContain('尚未进行过评估。');
    expect(
      await temporal.client.workflow
        .getHandle(`review:${year}`)
        .describe()
        .catch(() => null),
    ).toBeNull();

    // ---- in English: confirmed with the keyboard --------------------------------------------------
    await setLocale(page, 'en');
    await panel.locator('#review-year').fill(String(year));
    await panel.getByRole('button', { name: 'Run the review now' }).click();
    const dialog = page.getByRole('dialog', { name: `Run the review of ${year} now?` });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.textContent()).toContain(
      `It reviews ${ACCOUNTS} accounts (every account, as of now), then starts each reviewed account's ${year + 1} cycle.`,
    );
    // Modal, the focus on Cancel (a stray Enter starts nothing); the confirmation is one Shift+Tab away.
    const focused = (name: string) => dialog.getByRole('button', { name }).evaluate((b) => b.matches(':focus'));
    await expect.poll(() => focused('Cancel')).toBe(true);
    await screenshot(page, 'portfolio-review-confirm-en');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(`Start the review of ${year}`)).toBe(true);
    await page.keyboard.press('Enter');
    await expect
      .poll(() => panel.locator('[role="status"]').textContent(), { timeout: 60_000 })
      .toBe(`The review of ${year} has started.`);

    // ---- live progress until it is done ------------------------------------------------------------
    const bar = panel.getByRole('progressbar', { name: 'Review progress' });
    await expect.poll(() => bar.getAttribute('aria-valuemax'), { timeout: 60_000 }).toBe(String(ACCOUNTS));
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await panel.locator('.figures').textContent())?.trim() ?? '');
          return panel.locator('.badge').textContent();
        },
        { timeout: 240_000, interval: 500 },
      )
      .toBe('Completed');
    expect(await panel.locator('.figures').textContent()).toContain(`${ACCOUNTS} of ${ACCOUNTS} done, 0 failed`);
    expect(
      [...seen].every((s) => s === '' || /^\d+ of \d+ done, \d+ failed/.test(s)),
      [...seen].join(' | '),
    ).toBe(true);

    // ---- the migration matrices, on the portfolio ----------------------------------------------------
    const tiers = panel.locator('table', { has: page.locator('caption', { hasText: 'Tier migration (before → after)' }) });
    const classes = panel.locator('table', { has: page.locator('caption', { hasText: 'Class migration (before → after)' }) });
    // Every account graded before the review has a "before": the matrices count exactly those.
    const graded = before.filter((s) => s.tier !== null).length;
    expect(graded).toBeGreaterThan(0);
    const sum = async (table: typeof tiers) =>
      (await table.locator('tbody td').allTextContents()).reduce((s, v) => s + Number(v.trim() || 0), 0);
    await expect.poll(() => sum(tiers), { timeout: 30_000 }).toBe(graded);
    expect(await sum(classes)).toBe(graded);

    // ---- the next cycle starts for every account -------------------------------------------------------
    await expect
      .poll(() => panel.getByTestId('next-cycle').textContent(), { timeout: 240_000, interval: 1000 })
      .toBe(`Next cycle (${year + 1}) started: ${ACCOUNTS} of ${ACCOUNTS} accounts`);
    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'portfolio-review-next-cycle-en');
    const after = await Promise.all(
      before.map((s) => temporal.client.workflow.getHandle(`account:${s.accountId}`).query<AccountState>('state')),
    );
    expect(after.map((s) => s.cycleYear)).toEqual(before.map(() => year + 1));

    // The account's page says so too.
    await panel.getByRole('link', { name: `Results and migration matrices of ${year}` }).click();
    await page.waitForURL(`**/reviews?year=${year}`);
    await expect.poll(() => page.locator('#h-year').textContent()).toBe(`Results of ${year}`);
    await page.goto(`/accounts/${encodeURIComponent(before[0]!.accountId)}`);
    await expect.poll(() => page.getByTestId('cycle-year').textContent()).toBe(String(year + 1));
    errors.assertNone();
    await context.close();
  });
});
