/**
 * The rule editor's typed sections in a real browser, in English and in Chinese: the profile
 * checklist and its minimum, the interaction factors, the plan (growth, tactic templates, approval
 * tiers), the monitor interval and visit cadence, and the review schedule. An admin overrides a
 * value in each, sees a field-level error where the value is out of range, saves, and after a reload
 * sees each one marked as set for the industry. Leaving with unsaved edits asks first (in the app
 * and when the tab closes); the version diff reads as labelled sentences with the JSON path on
 * hover; the what-if's changed accounts download as CSV; every nine-box shows each box's strategy.
 * Screenshots go to test-artifacts/screenshots.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translate, type Locale, type MessageKey } from '../../i18n/catalog.js';
import { fieldId } from '../../studio/src/lib/components/rules/paths.js';
import {
  E2E_USERS,
  launchBrowser,
  rawKeysOn,
  screenshot,
  SCREENSHOT_DIR,
  setLocale,
  signedInPage,
  startStudio,
  type StudioServer,
  trackErrors,
} from '../helpers/browser.js';

let browser: Browser;
let server: StudioServer;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startStudio({ demoAccounts: 60 });
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await browser?.close();
});

/** A screenshot of one part of the page (beside the full-page ones `screenshot` takes). */
async function shoot(page: Page, selector: string, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.locator(selector).scrollIntoViewIfNeeded();
  await page.locator(selector).screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

const byField = (page: Page, path: string) => page.locator(`#${fieldId(path)}`);
const issuesAt = (page: Page, path: string) => page.locator(`#${fieldId(path)}-issues`);
/** The inherited / overridden mark of the field (or field group) at `path`. */
const markOf = (page: Page, path: string) =>
  page
    .locator('.scalar, fieldset.choices, section.row-list')
    .filter({ has: byField(page, path) })
    .or(byField(page, path))
    .locator('.own-toggle .badge')
    .first();

async function adminPage(
  locale: Locale,
): Promise<{ context: BrowserContext; page: Page; errors: ReturnType<typeof trackErrors> }> {
  const session = await signedInPage(browser, server, E2E_USERS.admin.email, { width: 1440, height: 900, path: '/rules' });
  await setLocale(session.context, server.url, locale);
  return session;
}

async function openEditor(page: Page, industry: string) {
  await page.goto(`/rules/${industry}`);
  await page.waitForLoadState('networkidle');
}

/** One edit per new section: [the field's path, how to change it]. */
const EDITS: [string, (page: Page) => Promise<void>][] = [
  ['$.profile.checklist', (p) => p.locator(`#${fieldId('$.profile.checklist')} input[value="competitors"]`).uncheck()],
  ['$.profile.minCompleteness', (p) => byField(p, '$.profile.minCompleteness').fill('0.6')],
  ['$.relationship.interactionLevels', (p) => byField(p, '$.relationship.interactionLevels[0].factor').fill('0.95')],
  ['$.relationship.competitorFactor', (p) => byField(p, '$.relationship.competitorFactor').fill('0.9')],
  ['$.plan.approvalTiers', (p) => p.locator(`#${fieldId('$.plan.approvalTiers')} input[value="T3"]`).check()],
  ['$.plan.approverRole', async (p) => void (await byField(p, '$.plan.approverRole').selectOption('admin'))],
  ['$.plan.objectiveGrowth.grow', (p) => byField(p, '$.plan.objectiveGrowth.grow').fill('0.4')],
  ['$.plan.templates.grow', (p) => byField(p, '$.plan.templates.grow[0].dueInDays').fill('20')],
  ['$.monitor.intervalDays', (p) => byField(p, '$.monitor.intervalDays').fill('14')],
  ['$.execute.visitCadenceDays.T1', (p) => byField(p, '$.execute.visitCadenceDays.T1').fill('21')],
  ['$.review.schedule.month', async (p) => void (await byField(p, '$.review.schedule.month').selectOption('2'))],
  ['$.review.schedule.day', (p) => byField(p, '$.review.schedule.day').fill('1')],
];

describe.each([
  ['en', 'manufacturing'],
  ['zh-CN', 'retail'],
] as const)('the typed sections in %s', (locale, industry) => {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(locale, key, params);

  it('override a value in each section, show a field-level error, save, and see each marked', async () => {
    const { context, page, errors } = await adminPage(locale);
    await openEditor(page, industry);
    for (const [path] of EDITS) expect(await markOf(page, path).textContent(), path).toBe(t('rules.inherited'));

    // Out of range: the error shows at the field itself, in the user's language.
    await byField(page, '$.profile.minCompleteness').fill('1.5');
    await expect.poll(() => issuesAt(page, '$.profile.minCompleteness').count(), { timeout: 10_000 }).toBe(1);
    expect(await byField(page, '$.profile.minCompleteness').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, `rules-forms-error-${locale}`);

    for (const [, edit] of EDITS) await edit(page);
    await byField(page, '$.grade.tierPolicy.thresholds.T1').fill('75');
    await expect.poll(() => issuesAt(page, '$.profile.minCompleteness').count(), { timeout: 10_000 }).toBe(0);
    for (const [path] of EDITS) expect(await markOf(page, path).textContent(), path).toBe(t('rules.overridden'));

    await page.getByRole('button', { name: t('rules.editor.save'), exact: true }).click();
    await expect.poll(() => page.getByTestId('save-state').textContent()).toContain(t('rules.editor.saved', { revision: 1 }));
    await page.reload();
    await page.waitForLoadState('networkidle');
    for (const [path] of EDITS) expect(await markOf(page, path).textContent(), path).toBe(t('rules.overridden'));
    expect(await byField(page, '$.monitor.intervalDays').inputValue()).toBe('14');
    expect(await page.locator(`#${fieldId('$.profile.checklist')} input[value="competitors"]`).isChecked()).toBe(false);
    expect(await page.locator(`#${fieldId('$.plan.approvalTiers')} input[value="T3"]`).isChecked()).toBe(true);
    expect(await byField(page, '$.review.schedule.month').inputValue()).toBe('2');
    expect(await byField(page, '$.plan.approverRole').inputValue()).toBe('admin');
    expect(await byField(page, '$.plan.approverRole').locator('option:checked').textContent()).toBe(t('role.admin'));
    // Back to inherited, from the mark.
    await page
      .locator('.scalar')
      .filter({ has: byField(page, '$.review.schedule.day') })
      .getByRole('button', { name: t('rules.resetField', { field: t('rules.form.review.day') }) })
      .click();
    expect(await markOf(page, '$.review.schedule.day').textContent()).toBe(t('rules.inherited'));
    expect(await byField(page, '$.review.schedule.day').inputValue()).toBe('15');

    await screenshot(page, `rules-forms-${locale}`);
    for (const id of ['sec-profile', 'sec-interaction', 'sec-plan', 'sec-cadence', 'sec-review'])
      await shoot(page, `#${id}`, `rules-forms-${locale}-${id}`);
    expect(await rawKeysOn(page)).toEqual([]);
    errors.assertNone();
    await context.close();
  }, 240_000);

  it('asks before unsaved edits are lost, in the app and when the tab closes', async () => {
    const { context, page, errors } = await adminPage(locale);
    await openEditor(page, industry);
    await byField(page, '$.monitor.intervalDays').fill('7');
    await expect.poll(() => page.getByTestId('save-state').textContent()).toContain(t('rules.editor.unsaved'));

    const history = page
      .locator('main nav')
      .getByRole('link', { name: t('rules.nav.history'), exact: true })
      .first();
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    await history.click();
    await expect.poll(() => asked).toEqual([`confirm: ${t('rules.form.unsavedLeave')}`]);
    // Stayed, with the edit.
    expect(new URL(page.url()).pathname).toBe(`/rules/${industry}`);
    expect(await byField(page, '$.monitor.intervalDays').inputValue()).toBe('7');

    page.once('dialog', (d) => {
      asked.push(d.type());
      void d.dismiss();
    });
    await page.close({ runBeforeUnload: true });
    await expect.poll(() => asked.at(-1)).toBe('beforeunload');
    expect(page.isClosed()).toBe(false);

    page.once('dialog', (d) => void d.accept());
    await Promise.all([page.waitForURL(`**/rules/${industry}/history`), history.click()]);
    errors.assertNone();
    await context.close();
  }, 120_000);

  it('reads the diff as labelled sentences, with the JSON path on hover', async () => {
    const { context, page, errors } = await adminPage(locale);
    await page.goto(`/rules/${industry}/history?a=published&b=draft`);
    const sentences = page.getByTestId('diff-sentences');
    const threshold = sentences.locator('li[data-path="$.grade.tierPolicy.thresholds.T1"]');
    expect(await threshold.textContent()).toBe(
      t('rules.diff.changed', { setting: t('rules.path.threshold', { tier: 'T1' }), before: '80', after: '75' }),
    );
    expect(await threshold.getAttribute('title')).toBe('$.grade.tierPolicy.thresholds.T1');
    expect(await sentences.locator('li[data-path="$.monitor.intervalDays"]').textContent()).toBe(
      t('rules.diff.changed', { setting: t('rules.form.cadence.interval'), before: '30', after: '14' }),
    );
    expect(await sentences.locator('li[data-path="$.plan.approvalTiers[2]"]').textContent()).toBe(
      t('rules.diff.added', { setting: t('rules.form.plan.approvalTiers'), after: 'T3' }),
    );
    // The raw paths and values are one click away.
    expect(await page.getByTestId('diff').isVisible()).toBe(false);
    await page.locator('.diff-details summary').click();
    expect(await page.getByTestId('diff').textContent()).toContain('$.grade.tierPolicy.thresholds.T1');
    expect(await sentences.textContent()).not.toContain('$.');
    await screenshot(page, `rules-forms-diff-${locale}`);
    expect(await rawKeysOn(page)).toEqual([]);
    errors.assertNone();
    await context.close();
  }, 120_000);

  it('downloads the what-if changed accounts as CSV', async () => {
    const { context, page, errors } = await adminPage(locale);
    // Tiers from far lower scores: many accounts move up, and with them their coverage.
    await openEditor(page, industry);
    await byField(page, '$.grade.tierPolicy.thresholds.T1').fill('40');
    await byField(page, '$.grade.tierPolicy.thresholds.T2').fill('30');
    await byField(page, '$.grade.tierPolicy.thresholds.T3').fill('20');
    await Promise.all([
      page.waitForURL(`**/rules/${industry}/whatif`),
      page.getByRole('button', { name: t('rules.editor.saveWhatIf'), exact: true }).click(),
    ]);
    const changed = Number((await page.getByTestId('count-changed').textContent())?.replace(/\D/g, ''));
    expect(changed).toBeGreaterThan(0);
    for (const key of ['investment', 'line', 'presalesTier', 'track', 'health'])
      expect(await page.getByTestId(`count-${key}`).count(), key).toBe(1);
    const presales = Number((await page.getByTestId('count-presalesTier').textContent())?.replace(/\D/g, ''));
    expect(presales).toBeGreaterThan(0);
    await page
      .getByTestId('other-changes')
      .filter({ hasText: t('rules.whatif.field.presalesTier') })
      .first()
      .waitFor();
    await screenshot(page, `rules-forms-whatif-${locale}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('whatif-csv').click()]);
    const csv = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'id,name,industry,changed,scoreBefore,scoreAfter,tierBefore,tierAfter,classBefore,classAfter,strategyBefore,strategyAfter,' +
        'investmentBefore,investmentAfter,lineBefore,lineAfter,presalesTierBefore,presalesTierAfter,trackBefore,trackAfter,healthBefore,healthAfter',
    );
    expect(lines.length - 1).toBe(changed);
    // The rows shown on the page are in the file, with the tier change the page shows.
    const first = page.locator('[data-testid="changed-accounts"] tr.summary-row').first();
    const id = await first.getAttribute('data-account');
    const row = lines.find((l) => l.startsWith(`${id},`));
    expect(row).toBeDefined();
    errors.assertNone();
    await context.close();
  }, 120_000);

  it('shows each nine-box box with its strategy, on the portfolio and in the editor', async () => {
    const { context, page, errors } = await adminPage(locale);
    const grow = t('nineBox.pairing', { strategy: t('strategy.grow'), investment: t('investment.high') });
    await page.goto('/portfolio');
    const cells = page.locator('.ninebox tbody td');
    await expect.poll(() => cells.count()).toBe(9);
    // Potential H, contribution L is a C box: grow.
    expect(await cells.nth(0).locator('[data-strategy]').textContent()).toBe(grow);
    await shoot(page, '.ninebox', `rules-forms-portfolio-ninebox-${locale}`);
    await openEditor(page, industry);
    expect(await page.locator('[data-cell="HL"] [data-strategy]').textContent()).toBe(grow);
    expect(await page.locator('[data-cell="HH"] [data-strategy]').getAttribute('data-strategy')).toBe('retain');
    await shoot(page, '#sec-ninebox', `rules-forms-editor-ninebox-${locale}`);
    errors.assertNone();
    await context.close();
  }, 120_000);
});
