/**
 * Issue 13 against the production build over HTTP, as the probe ran it: the return-path variants
 * on the sign-in page, the sign-in POST and the language switch; a burst of wrong passwords gets
 * 429 with Retry-After and the right password works once the lock ends; signed-in responses are
 * `no-store`; the studio's CSV export has no live formula; one 413 limit, whether the body's length
 * is declared or it is streamed in chunks; cross-site sign-out and
 * escaped admin paths are refused. No browser: each check is one HTTP exchange.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertAccounts } from '../../db/repositories/accounts.js';
import { accountSchema } from '../../engine/model.js';
import { E2E_PASSWORD, E2E_USERS, startStudio, type StudioServer } from '../helpers/browser.js';

const EVIL = ['/.//evil.example', '/..//evil.example', '/a/..//evil.example', '/%2e%2e//evil.example'];
const FORMULA = '=HYPERLINK("http://evil.example","x")';

let server: StudioServer;

beforeAll(async () => {
  server = await startStudio({
    demoAccounts: 0,
    seed: async (db) => {
      await upsertAccounts(db, [
        accountSchema.parse({ id: 'evil', name: FORMULA, industry: 'finance', ownerId: E2E_USERS.admin.id }),
      ]);
    },
  });
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

function post(
  path: string,
  fields: Record<string, string>,
  init: { cookie?: string; origin?: string; language?: string } = {},
): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      // A form posted without JavaScript: the page's own status and headers, not the JSON of an enhanced form.
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      origin: init.origin ?? server.url,
      ...(init.cookie ? { cookie: init.cookie } : {}),
      ...(init.language ? { 'accept-language': init.language } : {}),
    },
    body: new URLSearchParams(fields),
  });
}

function get(path: string, cookie?: string): Promise<Response> {
  return fetch(`${server.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
}

async function signIn(
  email: string,
  password = E2E_PASSWORD,
  next?: string,
  language?: string,
): Promise<{ response: Response; cookie: string }> {
  const response = await post(
    next === undefined ? '/signin' : `/signin?next=${encodeURIComponent(next)}`,
    { email, password },
    { language },
  );
  const session = response.headers.getSetCookie().find((c) => c.startsWith('esp_session='));
  return { response, cookie: session ? session.split(';')[0]! : '' };
}

describe('return paths', () => {
  it('never send a signed-in user to another host: the page, the sign-in POST and the language switch', async () => {
    for (const next of EVIL) {
      const { response, cookie } = await signIn(E2E_USERS.admin.email, E2E_PASSWORD, next);
      expect(response.status, next).toBe(303);
      expect(response.headers.get('location'), next).toBe('/portfolio');

      const page = await get(`/signin?next=${encodeURIComponent(next)}`, cookie);
      expect(page.status, next).toBe(303);
      expect(page.headers.get('location'), next).toBe('/portfolio');

      const locale = await post('/locale', { locale: 'en', next }, { cookie });
      expect(locale.status, next).toBe(303);
      expect(locale.headers.get('location'), next).toBe('/');
    }
  });
});

describe('signed-in responses', () => {
  it('are private, no-store: pages, their data and the CSV export', async () => {
    const { cookie } = await signIn(E2E_USERS.admin.email);
    for (const path of ['/accounts/evil', '/accounts/evil/__data.json', '/portfolio', '/accounts/export.csv']) {
      const response = await get(path, cookie);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control'), path).toBe('private, no-store');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('the studio CSV export has no live formula cell', async () => {
    const { cookie } = await signIn(E2E_USERS.admin.email);
    const csv = await (await get('/accounts/export.csv', cookie)).text();
    const row = csv.split('\r\n').find((l) => l.startsWith('evil,'));
    expect(row).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
  });
});

describe('refused requests', () => {
  it('a body over the one limit gets a coded 413 in the user’s language', async () => {
    const { cookie } = await signIn(E2E_USERS.admin.email);
    const response = await post('/accounts/evil?/visit', { note: 'x'.repeat(600 * 1024) }, { cookie });
    expect(response.status).toBe(413);
    expect(await response.text()).toBe('The request is too large: the studio accepts at most 512 KiB.');
  });

  it('a body streamed in chunks, with no content-length, gets the same coded 413 once it runs over', async () => {
    const { cookie } = await signIn(E2E_USERS.admin.email);
    const chunk = new TextEncoder().encode(`note=${'x'.repeat(64 * 1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 640 KiB in ten chunks, over the 512 KiB limit.
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${server.url}/accounts/evil?/visit`, {
      method: 'POST',
      redirect: 'manual',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', origin: server.url, cookie },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    const page = await response.text();
    expect(page).toContain('The request is too large: the studio accepts at most 512 KiB.');
    expect(page).not.toMatch(/error\.500|Internal error|Bad request/);
  });

  it('a cross-site sign-out, and a manager’s post to an escaped admin path', async () => {
    const { cookie } = await signIn(E2E_USERS.admin.email);
    const crossSite = await fetch(`${server.url}/signout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect((await get('/portfolio', cookie)).status).toBe(200);

    const manager = await signIn(E2E_USERS.manager.email);
    const escaped = await post('/%72ules/finance?/save', { document: '{}' }, { cookie: manager.cookie });
    expect(escaped.status).toBe(403);
  });
});

describe('sign-in throttling', () => {
  it('answers a burst of 40 wrong passwords with 429 and Retry-After, and lets the right password in after the lock', async () => {
    const statuses: number[] = [];
    let retryAfter = 0;
    let message = '';
    for (let i = 0; i < 40; i++) {
      const { response } = await signIn(E2E_USERS.manager.email, `wrong-${i}`);
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = Number(response.headers.get('retry-after'));
        message = await response.text();
      } else await response.body?.cancel();
    }
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(20);
    expect(retryAfter).toBeGreaterThan(0);
    expect(message).toMatch(/Too many sign-in attempts\. Try again in \d+ s\./);

    // Still locked: even the right password waits, and a Chinese browser is told so in Chinese.
    const early = await signIn(E2E_USERS.manager.email);
    expect(early.response.status).toBe(429);
    const zh = await signIn(E2E_USERS.manager.email, E2E_PASSWORD, undefined, 'zh-CN,zh;q=0.9,en;q=0.5');
    expect(zh.response.status).toBe(429);
    expect(await zh.response.text()).toMatch(/登录尝试次数过多，请在 \d+ 秒后重试。/);
    const wait = Number(early.response.headers.get('retry-after'));
    await new Promise((r) => setTimeout(r, wait * 1000 + 200));
    const after = await signIn(E2E_USERS.manager.email);
    expect(after.response.status).toBe(303);
    expect(after.cookie).not.toBe('');
  }, 120_000);
});
