/**
 * The studio's server-side auth: sessions stored hashed with a sliding 7-day expiry, credential
 * checks, role checks, the return-path guard, and which accounts a manager may see.
 */
import { isHttpError, type Cookies } from '@sveltejs/kit';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../db/auth/password.js';
import { openDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { accountSchema } from '../engine/model.js';
import { upsertAccounts } from '../db/repositories/accounts.js';
import { addMembers, upsertTeams } from '../db/repositories/teams.js';
import { upsertUsers } from '../db/repositories/users.js';
import { sessions } from '../db/schema.js';
import {
  checkCredentials,
  endSession,
  resumeSession,
  SESSION_TTL_MS,
  setUserLocale,
  startSession,
} from '../studio/src/lib/server/auth.js';
import { rememberSignInLocale, SIGN_IN_LOCALE_COOKIE, takeSignInLocale } from '../studio/src/lib/server/locale.js';
import { hasRole, isAdminPath, requireRole, requireUser, safeReturnPath } from '../studio/src/lib/server/guards.js';
import { accountScope, canSeeAccount, withinScope } from '../studio/src/lib/server/scope.js';
import { accounts } from '../db/schema.js';
import type { SessionUser } from '../studio/src/lib/user.js';

let database: Database;

const admin: SessionUser = { id: 'u-admin', email: 'admin@example.test', name: 'Ada', role: 'admin', locale: 'en' };
const manager: SessionUser = { id: 'u-mgr', email: 'Mgr@Example.test', name: 'Max', role: 'manager', locale: 'zh-CN' };

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://', url: '' });
  await migrate(database.db);
  const passwordHash = await hashPassword('right-password');
  await upsertUsers(database.db, [
    { ...admin, passwordHash },
    { ...manager, passwordHash },
  ]);
}, 60_000);

afterAll(async () => {
  await database?.close();
});

describe('sessions', () => {
  it('store only a hash of the token and resume with the user', async () => {
    const { token, expiresAt } = await startSession(database.db, admin.id);
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(SESSION_TTL_MS - 5_000);
    const rows = await database.db.select().from(sessions);
    expect(rows.map((r) => r.id)).not.toContain(token);

    const resumed = await resumeSession(database.db, token);
    expect(resumed?.user).toEqual(admin);
    expect(resumed?.renewed).toBe(false);
  });

  it('slide: a session in its second half is pushed out again', async () => {
    const start = new Date('2030-01-01T00:00:00Z');
    const { token } = await startSession(database.db, admin.id, start);
    const early = await resumeSession(database.db, token, new Date(start.getTime() + SESSION_TTL_MS * 0.25));
    expect(early?.renewed).toBe(false);
    const late = new Date(start.getTime() + SESSION_TTL_MS * 0.75);
    const renewed = await resumeSession(database.db, token, late);
    expect(renewed?.renewed).toBe(true);
    expect(renewed?.expiresAt.getTime()).toBe(late.getTime() + SESSION_TTL_MS);
    // Past the original expiry, but within the renewed one.
    expect(await resumeSession(database.db, token, new Date(start.getTime() + SESSION_TTL_MS * 1.5))).not.toBeNull();
  });

  it('expire, and end on sign-out', async () => {
    const start = new Date('2030-02-01T00:00:00Z');
    const { token } = await startSession(database.db, admin.id, start);
    expect(await resumeSession(database.db, token, new Date(start.getTime() + SESSION_TTL_MS + 1))).toBeNull();

    const live = await startSession(database.db, admin.id);
    await endSession(database.db, live.token);
    expect(await resumeSession(database.db, live.token)).toBeNull();
    expect(await resumeSession(database.db, 'not-a-token')).toBeNull();
  });

  it('follow the user’s language choice', async () => {
    const { token } = await startSession(database.db, manager.id);
    await setUserLocale(database.db, manager.id, 'en');
    expect((await resumeSession(database.db, token))?.user.locale).toBe('en');
    await setUserLocale(database.db, manager.id, 'zh-CN');
  });
});

describe('credentials', () => {
  it('accept the right password with the e-mail in any case', async () => {
    expect(await checkCredentials(database.db, 'MGR@example.TEST', 'right-password')).toEqual(manager);
  });

  it('refuse a wrong password and an unknown e-mail alike', async () => {
    expect(await checkCredentials(database.db, admin.email, 'wrong-password')).toBeNull();
    expect(await checkCredentials(database.db, 'nobody@example.test', 'right-password')).toBeNull();
  });
});

describe('guards', () => {
  const locals = (user: SessionUser | null) => ({ user });
  const status = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (isHttpError(e)) return e.status;
      throw e;
    }
    return 200;
  };

  it('let admins do everything and managers only manager things', () => {
    expect(hasRole(admin, 'admin')).toBe(true);
    expect(hasRole(admin, 'manager')).toBe(true);
    expect(hasRole(manager, 'manager')).toBe(true);
    expect(hasRole(manager, 'admin')).toBe(false);
    expect(hasRole(null, 'manager')).toBe(false);
    expect(status(() => requireRole(locals(manager), 'admin'))).toBe(403);
    expect(status(() => requireRole(locals(admin), 'admin'))).toBe(200);
    expect(status(() => requireUser(locals(null)))).toBe(401);
  });

  it('know the admin-only paths', () => {
    expect(isAdminPath('/rules')).toBe(true);
    expect(isAdminPath('/rules/finance/draft')).toBe(true);
    expect(isAdminPath('/rulesets')).toBe(false);
    expect(isAdminPath('/accounts')).toBe(false);
  });

  it('only return to paths on this site', () => {
    expect(safeReturnPath('/accounts?tier=T1#top')).toBe('/accounts?tier=T1#top');
    expect(safeReturnPath('https://evil.example/')).toBe('/');
    expect(safeReturnPath('//evil.example/x')).toBe('/');
    expect(safeReturnPath('/\\evil.example')).toBe('/');
    expect(safeReturnPath('javascript:alert(1)')).toBe('/');
    expect(safeReturnPath(null, '/portfolio')).toBe('/portfolio');
  });
});

describe('account scope', () => {
  beforeAll(async () => {
    const account = (id: string, ownerId: string) =>
      accountSchema.parse({ id, name: `${id} Co`, industry: 'finance', region: 'East', status: 'active', ownerId });
    await upsertAccounts(database.db, [
      account('owned', manager.id),
      account('covered', 'someone-else'),
      account('other', 'someone-else'),
    ]);
    await upsertTeams(database.db, [{ id: 'industry:finance', name: 'Finance', line: 'industry' }]);
    await addMembers(database.db, 'industry:finance', [manager.id]);
    await database.db.update(accounts).set({ coverageTeam: 'industry:finance' }).where(eq(accounts.id, 'covered'));
    await database.db.update(accounts).set({ coverageTeam: 'region:East' }).where(eq(accounts.id, 'other'));
  });

  it('is everything for an admin', async () => {
    const scope = await accountScope(database.db, admin);
    expect(scope).toEqual({ kind: 'all' });
    const rows = await database.db.select({ id: accounts.id }).from(accounts).where(withinScope(scope));
    expect(rows.map((r) => r.id).sort()).toEqual(['covered', 'other', 'owned']);
  });

  it('is owned or team-covered accounts for a manager', async () => {
    const scope = await accountScope(database.db, manager);
    expect(scope).toEqual({ kind: 'own', userId: manager.id, teamIds: ['industry:finance'] });
    const rows = await database.db.select({ id: accounts.id }).from(accounts).where(withinScope(scope));
    expect(rows.map((r) => r.id).sort()).toEqual(['covered', 'owned']);
    expect(canSeeAccount(scope, { ownerId: manager.id, coverageTeam: null })).toBe(true);
    expect(canSeeAccount(scope, { ownerId: 'x', coverageTeam: 'industry:finance' })).toBe(true);
    expect(canSeeAccount(scope, { ownerId: 'x', coverageTeam: 'region:East' })).toBe(false);
  });
});

describe('the language chosen before signing in', () => {
  it('is kept for the sign-in page only, used once, and only when it is a language the studio has', () => {
    const jar = new Map<string, { value: string; options: unknown }>();
    const cookies = {
      get: (name: string) => jar.get(name)?.value,
      set: (name: string, value: string, options: unknown) => void jar.set(name, { value, options }),
      delete: (name: string) => void jar.delete(name),
    } as unknown as Cookies;
    const url = new URL('https://studio.example.test/locale');
    rememberSignInLocale(cookies, url, 'zh-CN');
    expect(jar.get(SIGN_IN_LOCALE_COOKIE)?.options).toMatchObject({
      path: '/signin',
      httpOnly: true,
      sameSite: 'lax',
      secure: true,
    });
    expect(takeSignInLocale(cookies, url)).toBe('zh-CN');
    expect(takeSignInLocale(cookies, url)).toBeNull();
    // A forged value is dropped, not stored on the user.
    jar.set(SIGN_IN_LOCALE_COOKIE, { value: 'x"><script>', options: {} });
    expect(takeSignInLocale(cookies, url)).toBeNull();
    expect(jar.has(SIGN_IN_LOCALE_COOKIE)).toBe(false);
  });
});
