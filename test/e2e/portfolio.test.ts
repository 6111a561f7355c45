/**
 * The portfolio and reviews pages end to end. With the workflows running, an admin reads the
 * nine-box and follows a cell to the filtered account list, sees the review schedule, runs the
 * annual review now and watches it finish, then reads its migration matrices. With Temporal down,
 * the pages still render from the database and actions say why they cannot be sent.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertAccounts } from '../../db/repositories/accounts.js';
import { createPlan } from '../../db/repositories/plans.js';
import { accountSchema, type Account } from '../../engine/index.js';
import { connectClient, startAccountWorkflows, type EspClient } from '../../workflows/client.js';
import { applyReviewSchedule } from '../../workflows/schedule.js';
import {
  E2E_USERS,
  launchBrowser,
  pendingRetainPlan,
  rawKeysOn,
  screenshot,
  signedInPage,
  startStudio,
  type StudioServer,
  trackErrors,
} from '../helpers/browser.js';
import { untilState } from '../helpers/temporal.js';

/** Class A, T1 (score 81.5): potential high, contribution high. Its plan waits for approval. */
function keyAccount(id: string, name: string): Account {
  return accountSchema.parse({
    id,
    name,
    industry: 'aerospace',
    region: 'Orbit',
    status: 'active',
    ownerId: E2E_USERS.manager.id,
    revenueWithUs: 12_000_000,
    potential: 60_000_000,
    demonstration: 70,
    winnability: 70,
    contacts: [
      { id: 'c1', name: 'Chief Executive', influence: 5, stance: 2, interactions90d: 6, decisionRole: 'decision-maker' },
      { id: 'c2', name: 'Chief Information Officer', influence: 4, stance: 1, interactions90d: 4, reportsTo: 'c1' },
    ],
    competitors: [{ id: 'rival', name: 'Rival Corp', share: 0.3 }],
  });
}

const KEY = ['pf-key-1', 'pf-key-2', 'pf-key-3'];
const DEMO = 12;

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
});

async function signedIn(server: StudioServer, email: string, path = '/portfolio'): Promise<Page> {
  return (await signedInPage(browser, server, email, { path })).page;
}

describe('an admin, with the workflows running', () => {
  let server: StudioServer;
  let temporal: EspClient;

  beforeAll(async () => {
    server = await startStudio({
      demoAccounts: DEMO,
      temporal: true,
      seed: (db) =>
        upsertAccounts(
          db,
          KEY.map((id, i) => keyAccount(id, `Portfolio Key ${i + 1}`)),
        ).then(() => undefined),
    });
    const t = server.temporal!;
    temporal = await connectClient({ address: t.address, namespace: t.namespace, taskQueue: t.taskQueue });
    expect((await startAccountWorkflows(temporal.client, KEY, { taskQueue: t.taskQueue })).failed).toEqual([]);
    for (const id of KEY)
      await untilState(temporal.client, id, `${id} waiting for approval`, (s) => s.waitingFor === 'plan-approval', 90_000);
    await applyReviewSchedule(temporal.client, { month: 1, day: 15, taskQueue: t.taskQueue });
  }, 400_000);

  afterAll(async () => {
    await temporal?.close();
    await server?.stop();
  });

  it('follows a nine-box cell to exactly its accounts, and sees the review schedule', async () => {
    const page = await signedIn(server, E2E_USERS.admin.email);
    const errors = trackErrors(page);
    await expect.poll(() => page.locator('.kpi .value').first().textContent()).toBe(String(DEMO + KEY.length));
    await expect.poll(() => page.locator('.kpi .value').nth(1).textContent()).toBe(String(KEY.length));
    await expect
      .poll(() => page.locator('#h-review').locator('..').textContent(), { timeout: 15_000 })
      .toContain('Next scheduled review:');

    const cell = page.getByRole('link', { name: 'Potential High, contribution High (Class A): 3 accounts' });
    expect(await cell.textContent()).toContain('3');
    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'portfolio-admin-en');

    await cell.click();
    await page.waitForURL('**/accounts?potential=H&contribution=H');
    await expect
      .poll(() =>
        page
          .locator('main tbody th .id')
          .allTextContents()
          .then((ids) => ids.sort()),
      )
      .toEqual(KEY);
    expect(await page.getByRole('list', { name: 'Active filters' }).textContent()).toContain('Potential: High');
    await page.getByRole('link', { name: 'Remove filter Potential' }).click();
    await page.waitForURL((u) => u.searchParams.get('contribution') === 'H' && !u.searchParams.has('potential'));

    // The funnel's links filter the list too.
    await page.goto('/portfolio');
    await page.locator('#h-stages').locator('..').getByRole('link', { name: 'Plan' }).click();
    await page.waitForURL('**/accounts?stage=plan');
    await expect.poll(() => page.locator('main tbody tr').count()).toBe(KEY.length);
    errors.assertNone();
    await page.context().close();
  }, 240_000);

  it('runs the annual review now and watches it finish', async () => {
    const page = await signedIn(server, E2E_USERS.admin.email);
    const errors = trackErrors(page);
    const year = new Date().getUTCFullYear();
    const review = page.locator('#h-review').locator('..');
    await review.locator('#review-year').fill(String(year));
    await review.getByRole('button', { name: 'Run the review now' }).click();
    // Confirmed first: the year and every account (the demo's have no workflow, the key ones do).
    const dialog = page.getByRole('dialog', { name: `Run the review of ${year} now?` });
    expect(await dialog.textContent()).toContain(`It reviews ${DEMO + KEY.length} accounts`);
    await dialog.getByRole('button', { name: `Start the review of ${year}` }).click();
    await expect
      .poll(() => review.locator('[role="status"]').textContent(), { timeout: 60_000 })
      .toBe(`The review of ${year} has started.`);
    // Live: the page reloads the run's progress until it is done. Accounts without a workflow (the
    // demo's) fail at once; the key accounts are reviewed and start their next cycle.
    await expect.poll(() => review.locator('.badge').textContent(), { timeout: 120_000, interval: 1000 }).toBe('Completed');
    expect(await review.textContent()).toContain(`${KEY.length} of ${DEMO + KEY.length} done, ${DEMO} failed`);
    await screenshot(page, 'portfolio-review-done-en');

    // The key accounts (the only ones with a workflow) start their next cycle.
    await expect
      .poll(() => review.getByTestId('next-cycle').textContent(), { timeout: 120_000, interval: 1000 })
      .toBe(`Next cycle (${year + 1}) started: ${KEY.length} of ${DEMO + KEY.length} accounts`);
    expect(await review.textContent()).toContain('Tier migration (before → after)');
    await page.getByRole('link', { name: `Results and migration matrices of ${year}` }).click();
    await page.waitForURL(`**/reviews?year=${year}`);
    await expect.poll(() => page.locator('#h-year').textContent()).toBe(`Results of ${year}`);
    expect(await page.locator('main').textContent()).toContain('Tier migration (before → after)');
    await expect.poll(() => page.locator('section[aria-labelledby="h-records"] tbody tr').count()).toBe(KEY.length);
    expect(await rawKeysOn(page)).toEqual([]);
    await screenshot(page, 'reviews-admin-en');
    errors.assertNone();
    await page.context().close();
  }, 180_000);

  it('does not let a manager start a review', async () => {
    const page = await signedIn(server, E2E_USERS.manager.email);
    expect(await page.getByRole('button', { name: 'Run the review now' }).count()).toBe(0);
    // Neither the confirmation (which counts the accounts) nor the confirmed start.
    for (const form of [{ year: '2025' }, { year: '2025', confirm: '1' }] as Record<string, string>[]) {
      const post = await page.context().request.post('/portfolio?/review', {
        form,
        headers: { origin: server.url },
        maxRedirects: 0,
      });
      // A form action's refusal: a 403 page, or SvelteKit's error result for an enhanced request.
      const body = await post.text();
      expect(post.status() === 403 || /"status":403/.test(body)).toBe(true);
    }
    await page.context().close();
  });
});

describe('when Temporal is down', () => {
  let server: StudioServer;

  beforeAll(async () => {
    server = await startStudio({
      demoAccounts: 5,
      seed: async (db) => {
        await upsertAccounts(db, [keyAccount('down-key', 'Offline Holdings')]);
        await createPlan(db, pendingRetainPlan('down-key', 2025, 'Keep the relationship healthy'));
      },
    });
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('renders every page from the database and says why actions cannot be sent', async () => {
    const page = await signedIn(server, E2E_USERS.manager.email, '/accounts/down-key');
    const errors = trackErrors(page);
    expect(new URL(page.url()).pathname).toBe('/accounts/down-key');
    await expect
      .poll(() => page.locator('.live .alert').textContent())
      .toBe('The workflow engine is not reachable: the page shows the audit trail, and actions wait until it is back.');
    // Not yet decided by a workflow: the decisions are a preview with the current rules.
    expect(await page.locator('#decisions').textContent()).toContain(
      'Not yet decided by the workflow: a preview with the current Fallback (*) rules v1.',
    );
    // The owner may not decide their own plan (four eyes): refused before anything is sent.
    const plan = page.locator('#plan');
    await plan.getByRole('button', { name: 'Approve the plan' }).click();
    await expect.poll(() => plan.locator('[role="alert"]').textContent()).toContain('four-eyes');
    // Another approver's decision would be sent, and the page says why it cannot be.
    const adminPage = await signedIn(server, E2E_USERS.admin.email, '/accounts/down-key');
    const adminPlan = adminPage.locator('#plan');
    await adminPlan.getByRole('button', { name: 'Approve the plan' }).click();
    await expect
      .poll(() => adminPlan.locator('[role="alert"]').textContent())
      .toBe('The workflow engine is not reachable; nothing was sent. Try again later.');
    expect(await adminPlan.locator('.badge').first().textContent()).toBe('Waiting for approval');
    await adminPage.context().close();

    await page.goto('/portfolio');
    await expect
      .poll(() => page.locator('#h-stalled').locator('..').textContent())
      .toContain('The workflow engine is not reachable right now.');
    expect(await rawKeysOn(page)).toEqual([]);
    await page.goto('/reviews');
    await expect.poll(() => page.locator('main').textContent()).toContain('No review has run yet.');
    errors.assertNone();
    await page.context().close();
  }, 240_000);
});
