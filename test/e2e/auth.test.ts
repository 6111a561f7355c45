/**
 * Signing in and out through a real browser against the production build: signed-out visitors are
 * sent to sign-in from every page (and come back after signing in); a signed-in user sees the app
 * shell, switches to Chinese and sees Chinese everywhere, and signs out. No page may log an error
 * or show a raw message key.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const PAGES = ['/', '/portfolio', '/accounts', '/accounts?page=2', '/rules', '/reviews', '/glossary', '/no-such-page'];

let server: StudioServer;
let browser: Browser;

beforeAll(async () => {
  // Launch first: a missing Chromium should fail fast, before a build and a seed.
  browser = await launchBrowser();
  server = await startStudio();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * How the page draws each character of an element's text in the element's own font: its advance
 * in em, how many pixels it inks, and those pixels. A character no font has is drawn as the same
 * blank or boxed .notdef glyph, whatever the character.
 */
async function drawnGlyphs(el: Locator): Promise<{ char: string; em: number; ink: number; pixels: string }[]> {
  return el.evaluate((node) => {
    // The DOM as far as this uses it (the tests compile without the DOM library).
    interface Canvas2d {
      font: string;
      clearRect(x: number, y: number, w: number, h: number): void;
      fillText(text: string, x: number, y: number): void;
      measureText(text: string): { width: number };
      getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
    }
    const dom = globalThis as unknown as {
      getComputedStyle(n: unknown): { fontStyle: string; fontWeight: string; fontSize: string; fontFamily: string };
      document: { createElement(tag: 'canvas'): { width: number; height: number; getContext(kind: '2d', o: object): Canvas2d } };
    };
    const style = dom.getComputedStyle(node);
    const size = parseFloat(style.fontSize);
    const canvas = dom.document.createElement('canvas');
    canvas.width = canvas.height = Math.ceil(size * 2);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    return [...((node as { textContent: string | null }).textContent ?? '')].map((char) => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.fillText(char, size / 2, size * 1.5);
      const alpha = Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data).filter((_, i) => i % 4 === 3);
      return { char, em: ctx.measureText(char).width / size, ink: alpha.filter((a) => a > 0).length, pixels: alpha.join(',') };
    });
  });
}

async function expectShellIn(page: Page, lang: 'en' | 'zh-CN') {
  await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(lang);
  expect(await rawKeysOn(page)).toEqual([]);
}

describe('signed out', () => {
  it('is sent to sign-in from every page, with the way back', async () => {
    const context = await newContext(browser, server.url);
    const page = await context.newPage();
    const errors = trackErrors(page);
    for (const path of PAGES) {
      await page.goto(path);
      const url = new URL(page.url());
      expect(url.pathname, path).toBe('/signin');
      expect(url.searchParams.get('next'), path).toBe(path === '/' ? null : path);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in');
    }
    expect(await rawKeysOn(page)).toEqual([]);
    errors.assertNone();
    await context.close();
  });

  it('sees the sign-in page in the browser’s language', async () => {
    const context = await newContext(browser, server.url, { locale: 'zh-CN' });
    const page = await context.newPage();
    const errors = trackErrors(page);
    await page.goto('/portfolio');
    await expectShellIn(page, 'zh-CN');
    expect(await page.locator('h1').textContent()).toBe('登录');
    errors.assertNone();
    await context.close();
  });

  it('draws Chinese characters as themselves, not as empty boxes', async () => {
    // The run's Chromium may be the npm-shipped one, which brings no CJK font of its own: the test
    // helper gives it one (helpers/components.ts).
    const context = await newContext(browser, server.url, { locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto('/signin');
    const drawn = await drawnGlyphs(page.locator('h1'));
    expect(drawn.map((g) => g.char)).toEqual(['登', '录']);
    for (const g of drawn) {
      // An ideograph is one em wide; a missing glyph is narrower (Open Sans's blank is 0.6 em).
      expect(g.em, `${g.char} is drawn ${g.em.toFixed(2)} em wide`).toBeCloseTo(1, 1);
      expect(g.ink, `${g.char} is drawn without ink`).toBeGreaterThan(0);
    }
    expect(drawn[0]!.pixels, 'both characters are drawn as the same glyph').not.toBe(drawn[1]!.pixels);
    await context.close();
  });

  it('is refused form posts and endpoint calls', async () => {
    const signout = await fetch(`${server.url}/signout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(signout.status).toBe(303);
    expect(signout.headers.get('location')).toMatch(/^\/signin/);
    const json = await fetch(`${server.url}/rules`, {
      method: 'POST',
      headers: { origin: server.url, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(401);
  });
});

describe('a signed-in user', () => {
  it('gets a clear message for a wrong password', async () => {
    const context = await newContext(browser, server.url);
    const page = await context.newPage();
    const errors = trackErrors(page);
    await page.goto('/signin');
    await page.locator('input[name="email"]').fill(E2E_USERS.admin.email);
    await page.locator('input[name="password"]').fill('not-the-password');
    await page.locator('main form button[type="submit"]').click();
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toBe('The e-mail or password is not correct.');
    expect(new URL(page.url()).pathname).toBe('/signin');
    expect(await page.locator('input[name="email"]').inputValue()).toBe(E2E_USERS.admin.email);
    errors.assertNone();
    await context.close();
  });

  it('signs in, sees the shell, switches to Chinese and signs out', async () => {
    const context = await newContext(browser, server.url);
    const page = await context.newPage();
    const errors = trackErrors(page);

    // Deep link: signing in returns to the page asked for.
    await page.goto('/glossary');
    await screenshot(page, 'signin-en');
    await signIn(page, E2E_USERS.admin.email, E2E_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/glossary');

    const cookie = (await context.cookies()).find((c) => c.name === 'esp_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });

    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect
      .poll(() => nav.getByRole('link').allTextContents())
      .toEqual(['Portfolio', 'Accounts', 'Approvals', 'Rules', 'Reviews', 'Glossary']);
    expect(await nav.getByRole('link', { name: 'Glossary' }).getAttribute('aria-current')).toBe('page');
    expect(await page.locator('header').textContent()).toContain('Key Account Management');
    await expectShellIn(page, 'en');

    for (const [path, heading] of [
      ['/portfolio', 'Portfolio'],
      ['/accounts', 'Accounts'],
      ['/rules', 'Rules'],
      ['/reviews', 'Reviews'],
    ] as const) {
      await nav.getByRole('link', { name: heading }).click();
      await page.waitForURL(`**${path}`);
      await expect.poll(() => page.locator('h1').textContent()).toBe(heading);
      expect(await page.title()).toBe(`${heading} · ESP+ Studio`);
      expect(await rawKeysOn(page)).toEqual([]);
      await screenshot(page, `${path.slice(1)}-en`);
    }

    // The language switch lives in the user menu; the choice is stored on the user.
    await page.locator('summary[aria-label="User menu"]').click();
    await Promise.all([page.waitForURL('**/reviews'), page.getByRole('button', { name: '简体中文' }).click()]);
    await expectShellIn(page, 'zh-CN');
    expect(await page.locator('h1').textContent()).toBe('评估和考核');
    const zhNav = page.getByRole('navigation', { name: '主导航' });
    expect(await zhNav.getByRole('link').allTextContents()).toEqual(['客户组合', '客户', '审批', '规则', '评估和考核', '术语表']);
    expect(await page.locator('header').textContent()).toContain('大客户管理');

    await zhNav.getByRole('link', { name: '术语表' }).click();
    await page.waitForURL('**/glossary');
    expect(await page.locator('h1').textContent()).toBe('术语表');
    expect(await page.locator('main').textContent()).toContain('九宫格');
    await screenshot(page, 'glossary-zh-CN');
    await zhNav.getByRole('link', { name: '客户组合' }).click();
    await page.waitForURL('**/portfolio');
    await expectShellIn(page, 'zh-CN');
    await screenshot(page, 'portfolio-zh-CN');

    // A reload (and so a new server render) keeps the language: it is on the user, not the page.
    await page.reload();
    await expectShellIn(page, 'zh-CN');

    await page.locator('summary').click();
    await Promise.all([page.waitForURL('**/signin?signedout'), page.getByRole('button', { name: '退出登录' }).click()]);
    await expect.poll(() => page.locator('[role="status"]').first().textContent()).toBe('您已退出登录。');
    expect((await context.cookies()).find((c) => c.name === 'esp_session')).toBeUndefined();

    // Signed out means signed out: the old pages send to sign-in again.
    await page.goto('/portfolio');
    expect(new URL(page.url()).pathname).toBe('/signin');
    errors.assertNone();
    await context.close();

    // Another browser, in English: after signing in, the user's own language wins.
    const other = await newContext(browser, server.url, { locale: 'en-GB' });
    const otherPage = await other.newPage();
    const otherErrors = trackErrors(otherPage);
    await otherPage.goto('/signin');
    await expectShellIn(otherPage, 'en');
    await signIn(otherPage, E2E_USERS.admin.email, E2E_PASSWORD);
    await expectShellIn(otherPage, 'zh-CN');
    expect(await otherPage.locator('h1').textContent()).toBe('客户组合');
    // Back to English, so that the other tests find the user as seeded.
    await otherPage.locator('summary').click();
    await Promise.all([otherPage.waitForURL('**/portfolio'), otherPage.getByRole('button', { name: 'English' }).click()]);
    await expectShellIn(otherPage, 'en');
    otherErrors.assertNone();
    await other.close();
  }, 240_000);

  it('keeps the language chosen on the sign-in page once signed in, and only a language chosen there', async () => {
    const context = await newContext(browser, server.url, { locale: 'en-GB' });
    const page = await context.newPage();
    const errors = trackErrors(page);
    await page.goto('/signin');
    await expectShellIn(page, 'en');
    await Promise.all([page.waitForURL('**/signin'), page.getByRole('button', { name: '简体中文' }).click()]);
    await expectShellIn(page, 'zh-CN');
    await signIn(page, E2E_USERS.manager.email, E2E_PASSWORD);
    await expectShellIn(page, 'zh-CN');
    expect(await page.locator('h1').textContent()).toBe('客户组合');
    await page.reload();
    await expectShellIn(page, 'zh-CN');

    // Stored on the user: another English browser opens in Chinese after signing in.
    const other = await newContext(browser, server.url, { locale: 'en-GB' });
    const otherPage = await other.newPage();
    const otherErrors = trackErrors(otherPage);
    await otherPage.goto('/signin');
    await expectShellIn(otherPage, 'en');
    await signIn(otherPage, E2E_USERS.manager.email, E2E_PASSWORD);
    await expectShellIn(otherPage, 'zh-CN');

    // Signed out, the first browser still shows the sign-in page in Chinese; meanwhile the manager
    // goes back to English elsewhere. Signing in without choosing again keeps the user's English.
    await page.locator('summary').click();
    await Promise.all([page.waitForURL('**/signin?signedout'), page.getByRole('button', { name: '退出登录' }).click()]);
    await expectShellIn(page, 'zh-CN');
    await otherPage.locator('summary').click();
    await Promise.all([otherPage.waitForURL('**/portfolio'), otherPage.getByRole('button', { name: 'English' }).click()]);
    await expectShellIn(otherPage, 'en');
    await signIn(page, E2E_USERS.manager.email, E2E_PASSWORD);
    await expectShellIn(page, 'en');
    expect(await page.locator('h1').textContent()).toBe('Portfolio');

    errors.assertNone();
    otherErrors.assertNone();
    await other.close();
    await context.close();
  }, 240_000);

  it('as a manager, works from the keyboard at tablet width and is refused the rules', async () => {
    const context = await newContext(browser, server.url, { width: 820, height: 1100 });
    const page = await context.newPage();
    // The refused page's own status is the only error allowed.
    const errors = trackErrors(page, [/status of 403/]);
    await page.goto('/signin');
    await signIn(page, E2E_USERS.manager.email, E2E_PASSWORD);

    // Managers do not see the rule editor in the menu (and the server refuses it anyway).
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect
      .poll(() => nav.getByRole('link').allTextContents())
      .toEqual(['Portfolio', 'Accounts', 'Approvals', 'Reviews', 'Glossary']);

    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('Skip to main content');
    await page.keyboard.press('Enter');
    // The client router updates the URL after the key press returns: wait for it, not a fixed time.
    await expect.poll(() => new URL(page.url()).hash).toBe('#main');

    const summary = page.locator('summary[aria-label="User menu"]');
    await summary.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('details.user-menu').getAttribute('open')).not.toBeNull();
    await page.keyboard.press('Escape');
    expect(await page.locator('details.user-menu').getAttribute('open')).toBeNull();
    expect(await page.locator(':focus').evaluate((el) => el.tagName)).toBe('SUMMARY');

    await screenshot(page, 'portfolio-tablet-en');

    const refused = await page.goto('/rules');
    expect(refused?.status()).toBe(403);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Error 403');
    expect(await page.locator('main').textContent()).toContain('You do not have access to this page.');
    const post = await context.request.post('/rules', {
      form: { industry: 'finance' },
      headers: { origin: server.url },
      maxRedirects: 0,
    });
    expect(post.status()).toBe(403);

    errors.assertNone();
    await context.close();
  }, 240_000);
});
