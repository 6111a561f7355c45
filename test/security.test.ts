/**
 * Issue 13, security hardening: each probe finding as the attack that found it. Return paths that
 * collapse into `//host`, admin paths spelled with escapes, sign-in throttling and password
 * hashing, formula cells in both CSV exports and back through the importer, impossible dates in the
 * studio and in the workflow's update validator, internal errors that must not reach the user,
 * reporting loops on every input path, one text limit, and `esp evaluate --rules` on bad paths.
 * The HTTP-level checks (429, headers, 413, cross-site sign-out) are in test/e2e/security.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerivationsBusy, hashPassword, MAX_CONCURRENT_DERIVATIONS, MAX_WAITING_DERIVATIONS, needsRehash, NO_PASSWORD, verifyPassword } from '../db/auth/password.js';
import { exportAccounts } from '../db/export/accounts.js';
import { importAccounts, importAccountsCsvText, parseAccountsCsv, parseAccountsJson } from '../db/import/accounts.js';
import { importContacts, parseContactsCsv } from '../db/import/contacts.js';
import { neutraliseFormula, restoreFormula } from '../db/import/formula-cells.js';
import { ImportError } from '../db/import/problems.js';
import { getAccount } from '../db/repositories/accounts.js';
import { ConflictError } from '../db/repositories/errors.js';
import { createDraft, editDraft, getDraft, getPublished, publish } from '../db/repositories/rule-sets.js';
import { upsertUsers } from '../db/repositories/users.js';
import { users, visits } from '../db/schema.js';
import { isCalendarDate } from '../engine/calendar-date.js';
import { accountSchema, MAX_TEXT_LENGTH, parseAccounts } from '../engine/index.js';
import { reportingLoops } from '../engine/reporting-loops.js';
import { timeSkippingEnvOptions } from '../scripts/temporal/binaries.js';
import { _logVisit as logVisitAction } from '../studio/src/routes/accounts/[id]/+page.server.js';
import { _exportAccountsCsv as exportAccountsCsv } from '../studio/src/routes/accounts/export.csv/+server.js';
import { checkCredentials } from '../studio/src/lib/server/auth.js';
import { _saveDraft as saveDraft } from '../studio/src/routes/rules/[industry]/+page.server.js';
import { isAdminPath, isSameOrigin, safeReturnPath } from '../studio/src/lib/server/guards.js';
import { ACCOUNT_POLICY, SignInThrottle } from '../studio/src/lib/server/sign-in-throttle.js';
import { describeWorkflowError, withoutInternalText } from '../studio/src/lib/server/temporal.js';
import type { AccountState } from '../workflows/types.js';
import type { SessionUser } from '../studio/src/lib/user.js';
import { accountWorkflow } from '../workflows/account-workflow.js';
import { logVisit } from '../workflows/client.js';
import { DRIVERS, openTestDatabase, useTestDatabase, type TestDatabase } from './helpers/databases.js';
import { keyAccount, registerSearchAttributes, seedAccount, startTestWorker, untilState } from './helpers/temporal.js';

const ROOT = join(import.meta.dirname, '..');
const admin: SessionUser = { id: 'u-admin', email: 'admin@example.test', name: 'Ada', role: 'admin', locale: 'en' };

describe('return paths after sign-in and a language switch', () => {
  it('refuse paths that normalise into another host', () => {
    for (const attack of ['/.//evil.example', '/..//x', '/a/..//x', '/%2e%2e//evil.example', '/\t/evil.example', '/./\n/evil.example'])
      expect(safeReturnPath(attack, '/portfolio'), attack).toBe('/portfolio');
    // What a browser would do with the old answer: leave the site.
    expect(new URL('//evil.example', 'http://studio.test').host).toBe('evil.example');
  });

  it('keep real paths, normalised', () => {
    expect(safeReturnPath('/accounts/./x?tier=T1#top')).toBe('/accounts/x?tier=T1#top');
    expect(safeReturnPath('/a/../accounts')).toBe('/accounts');
  });
});

describe('admin paths', () => {
  it('match the path the router will route, however it is escaped', () => {
    for (const spelled of ['/%72ules/finance/draft', '/%72%75%6c%65%73', '//rules/x', '/accounts/../rules/x', '/accounts/%2e%2e/rules/x'])
      expect(isAdminPath(spelled), spelled).toBe(true);
    expect(isAdminPath('/rulesets')).toBe(false);
    expect(isAdminPath('/accounts/%72ules')).toBe(false);
  });
});

describe('cross-site requests to endpoints that read no form', () => {
  const url = new URL('http://studio.test/signout');
  const post = (headers: Record<string, string>) => new Request(url, { method: 'POST', headers });
  it('are refused by Origin, or by Sec-Fetch-Site without one', () => {
    expect(isSameOrigin(post({ origin: 'http://evil.example' }), url)).toBe(false);
    expect(isSameOrigin(post({ 'sec-fetch-site': 'cross-site' }), url)).toBe(false);
    expect(isSameOrigin(post({ 'sec-fetch-site': 'same-site' }), url)).toBe(false);
    expect(isSameOrigin(post({ origin: 'http://studio.test' }), url)).toBe(true);
    expect(isSameOrigin(post({ 'sec-fetch-site': 'same-origin' }), url)).toBe(true);
  });
});

describe('sign-in throttling', () => {
  it('locks an account after the free failures, doubling, and lets it in again once the lock ends', () => {
    const throttle = new SignInThrottle();
    const t0 = Date.UTC(2030, 0, 1);
    for (let i = 0; i < ACCOUNT_POLICY.free; i++) {
      expect(throttle.retryAfterSeconds('Ada@Example.test', `10.0.0.${i}`, t0)).toBe(0);
      throttle.failed('Ada@Example.test', `10.0.0.${i}`, t0);
    }
    // One more failure locks the account (from any address, in any spelling of the e-mail).
    throttle.failed('ada@example.test', '10.0.1.1', t0);
    expect(throttle.retryAfterSeconds('ADA@example.test', '10.9.9.9', t0)).toBe(1);
    throttle.failed('ada@example.test', '10.0.1.1', t0 + 1000);
    expect(throttle.retryAfterSeconds('ada@example.test', '10.9.9.9', t0 + 1000)).toBe(2);
    // Another account is not locked by it.
    expect(throttle.retryAfterSeconds('bob@example.test', '10.9.9.9', t0 + 1000)).toBe(0);
    // After the lock: allowed again, and a success clears the count.
    expect(throttle.retryAfterSeconds('ada@example.test', '10.9.9.9', t0 + 3000)).toBe(0);
    throttle.succeeded('ada@example.test');
    throttle.failed('ada@example.test', '10.9.9.9', t0 + 3000);
    expect(throttle.retryAfterSeconds('ada@example.test', '10.9.9.9', t0 + 3000)).toBe(0);
  });

  it('locks an address that guesses across many accounts', () => {
    const throttle = new SignInThrottle();
    const t0 = Date.UTC(2030, 0, 1);
    for (let i = 0; i < 40; i++) throttle.failed(`user${i}@example.test`, '203.0.113.7', t0);
    expect(throttle.retryAfterSeconds('someone-new@example.test', '203.0.113.7', t0)).toBeGreaterThan(0);
    expect(throttle.retryAfterSeconds('someone-new@example.test', '203.0.113.8', t0)).toBe(0);
  });
});

describe('password hashing', () => {
  it('caps concurrent derivations: checks beyond the queue are refused at once', async () => {
    const cheap = await hashPassword('pw', { N: 1 << 12, r: 8, p: 1 });
    const n = MAX_CONCURRENT_DERIVATIONS + MAX_WAITING_DERIVATIONS + 5;
    const results = await Promise.allSettled(Array.from({ length: n }, () => verifyPassword('pw', cheap)));
    const busy = results.filter((r) => r.status === 'rejected' && r.reason instanceof DerivationsBusy);
    expect(busy).toHaveLength(5);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === true)).toHaveLength(n - 5);
  });

  it('uses OWASP parameters and costs a user without a password the same time', async () => {
    const stored = await hashPassword('right');
    expect(stored.split('$').slice(1, 4)).toEqual([String(1 << 17), '8', '1']);
    const time = async (hash: string) => {
      const start = performance.now();
      expect(await verifyPassword('wrong', hash)).toBe(false);
      return performance.now() - start;
    };
    const withPassword = await time(stored);
    const without = await time(NO_PASSWORD);
    // Before the fix the `!` of a user without a password returned in well under a millisecond.
    expect(without).toBeGreaterThan(withPassword * 0.5);
  });

  describe.each(DRIVERS)('rehash on sign-in (%s)', (driver) => {
    const suite = useTestDatabase(driver, { seed: false });
    it('replaces a weaker hash after a correct password, and only then', async () => {
      const weak = await hashPassword('right', { N: 1 << 14, r: 8, p: 1 });
      expect(needsRehash(weak)).toBe(true);
      await upsertUsers(suite.t.db, [{ ...admin, passwordHash: weak }]);
      expect(await checkCredentials(suite.t.db, admin.email, 'wrong')).toBeNull();
      const still = await suite.t.db.select({ h: users.passwordHash }).from(users).where(eq(users.id, admin.id));
      expect(still[0]!.h).toBe(weak);
      expect(await checkCredentials(suite.t.db, admin.email, 'right')).toMatchObject({ id: admin.id });
      const [row] = await suite.t.db.select({ h: users.passwordHash }).from(users).where(eq(users.id, admin.id));
      expect(needsRehash(row!.h)).toBe(false);
      expect(await verifyPassword('right', row!.h)).toBe(true);
    });
  });
});

describe('formula cells in CSV', () => {
  const FORMULAS = ['=HYPERLINK("http://evil.example","x")', '+cmd|/C calc!A0', '-2+3', '@SUM(A1)', '\t=1', '\r=1'];

  it('are neutralised with a quote, and the quote is taken off again; numbers stay numbers', () => {
    for (const f of FORMULAS) {
      expect(neutraliseFormula(f)).toBe(`'${f}`);
      expect(restoreFormula(neutraliseFormula(f))).toBe(f);
    }
    for (const plain of ['-5', '+0.25', 'Acme', "'quoted"]) expect(neutraliseFormula(plain)).toBe(plain);
  });

  describe.each(DRIVERS)('export and re-import (%s)', (driver) => {
    const suite = useTestDatabase(driver);
    const named = FORMULAS.filter((f) => f.trim() === f).map((name, i) => ({ id: `f${i}`, name, industry: 'finance', region: '=1+1' }));

    beforeAll(async () => {
      await importAccounts(suite.t.db, parseAccountsJson(JSON.stringify(named)), 'json');
      await upsertUsers(suite.t.db, [{ ...admin, passwordHash: NO_PASSWORD }]);
    });

    const liveFormula = (csv: string) =>
      csv
        .split('\r\n')
        .flatMap((line) => line.split(','))
        .some((cell) => /^"?[=+\-@\t\r]/.test(cell) && !/^"?[+-]?\d/.test(cell));

    it('esp export and the studio export contain no live formula, and the CLI export imports back unchanged', async () => {
      let csv = '';
      await exportAccounts(suite.t.db, 'csv', (chunk) => void (csv += chunk));
      expect(csv).toContain(`'=HYPERLINK`);
      expect(liveFormula(csv)).toBe(false);

      const stream = await exportAccountsCsv(suite.t.db, admin, new URLSearchParams());
      const studioCsv = await new Response(stream).text();
      expect(studioCsv).toContain(`'=HYPERLINK`);
      expect(liveFormula(studioCsv)).toBe(false);

      await importAccountsCsvText(suite.t.db, csv);
      for (const a of named) {
        const stored = await getAccount(suite.t.db, a.id);
        expect(stored?.name).toBe(a.name);
        expect(stored?.region).toBe('=1+1');
      }
    });
  });
});

describe('calendar dates', () => {
  it('must exist and fall in a sensible year range', () => {
    for (const ok of ['2026-02-28', '2024-02-29', '1900-01-01', '2999-12-31']) expect(isCalendarDate(ok), ok).toBe(true);
    for (const bad of ['2026-02-31', '2025-02-29', '0000-01-01', '1899-12-31', '3000-01-01', '2026-13-01', '2026-1-01', '2026-02-30x', 20260101])
      expect(isCalendarDate(bad), String(bad)).toBe(false);
    // What the old check let through: a regex and Date.parse both accept it.
    expect(Number.isNaN(Date.parse('2026-02-31'))).toBe(false);
  });

  describe.each(DRIVERS)('the studio visit form (%s)', (driver) => {
    const suite = useTestDatabase(driver, { seed: false });
    it('refuses an impossible date before anything is sent', async () => {
      await seedAccount(suite.t.db, keyAccount({ ownerId: admin.id }));
      for (const date of ['2026-02-31', '0000-01-01']) {
        const form = new FormData();
        form.set('date', date);
        // No Temporal port: a date that passed the check would come back as `temporalDown`.
        expect(await logVisitAction(suite.t.db, admin, 'acme', form, null)).toMatchObject({ ok: false, error: { code: 'visitDateInvalid' } });
      }
    });
  });
});

describe('internal errors shown to a user', () => {
  it('carry an id, never the database text', () => {
    const sql = 'Failed query: select "id" from "visits" where "account_id" = $1 params: acme';
    const shown = describeWorkflowError(new Error(sql));
    expect(shown.code).toBe('workflow');
    expect(shown.params['id']).toMatch(/^[0-9a-f]{8}$/);
    expect(JSON.stringify(shown)).not.toMatch(/select|visits|Failed query/);
  });
});

describe('a stage that failed on a database error', () => {
  it('is shown by a stable incident id, not by the database text', () => {
    const lastError = {
      stage: 'execute' as const,
      message: 'Failed query: insert into "visits" ("date") values ($1) params: 2026-02-31',
      type: 'SQLSTATE 22008',
      nonRetryable: true,
      at: '2026-03-01T00:00:00.000Z',
      resolvedAt: null,
    };
    const state = { accountId: 'acme', lastError } as unknown as AccountState;
    const first = withoutInternalText(state)!.lastError!;
    expect(first.type).toBe('incident');
    expect(first.message).toMatch(/^[0-9a-f]{8}$/);
    expect(withoutInternalText(state)!.lastError!.message).toBe(first.message);
    // A validation failure is the workflow's own wording and stays as it is.
    const own = { ...lastError, type: 'ValidationError', message: 'visit date "x" is not a YYYY-MM-DD date' };
    expect(withoutInternalText({ ...state, lastError: own } as AccountState)!.lastError).toEqual(own);
  });
});

describe('the logVisit update validator on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    [env, t] = await Promise.all([TestWorkflowEnvironment.createTimeSkipping(await timeSkippingEnvOptions()), openTestDatabase('pglite')]);
    await registerSearchAttributes(env.connection);
    await seedAccount(t.db);
    worker = await startTestWorker(env.nativeConnection, t.db, 'esp-security');
  });

  afterAll(async () => {
    await worker?.shutdown();
    await env?.teardown();
    await t?.close();
  });

  it('refuses impossible dates with a coded refusal, and nothing reaches the database', async () => {
    await env.client.workflow.start(accountWorkflow, { taskQueue: 'esp-security', workflowId: 'account:acme', args: [{ accountId: 'acme' }] });
    await untilState(env.client, 'acme', 'the plan to wait for approval', (s) => s.waitingFor === 'plan-approval', 60_000);
    for (const date of ['2026-02-31', '0000-01-01']) {
      const refused = await logVisit(env.client, 'acme', { date }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(describeWorkflowError(refused)).toMatchObject({ code: 'visitDateInvalid', params: { date } });
    }
    expect(await t.db.select().from(visits)).toEqual([]);
  });
});

describe('reporting loops', () => {
  const contacts = [
    { id: 'c1', name: 'One', influence: 5, stance: 1, reportsTo: 'c3' },
    { id: 'c2', name: 'Two', influence: 3, stance: 0, reportsTo: 'c1' },
    { id: 'c3', name: 'Three', influence: 3, stance: 0, reportsTo: 'c2' },
    { id: 'c4', name: 'Four', influence: 2, stance: 0, reportsTo: 'c3' },
  ];
  const account = { ...keyAccount(), contacts, influenceLinks: [], competitors: [] };
  const LOOP = 'c1 → c3 → c2 → c1';

  it('are found once each, named from their first member', () => {
    expect(reportingLoops(contacts)).toEqual([{ index: 0, chain: ['c1', 'c3', 'c2', 'c1'] }]);
    expect(reportingLoops([...contacts].reverse())).toEqual([{ index: 1, chain: ['c3', 'c2', 'c1', 'c3'] }]);
    expect(reportingLoops([{ id: 'a', reportsTo: 'b' }, { id: 'b', reportsTo: null }])).toEqual([]);
  });

  it('are refused by esp evaluate with exit 2, naming the loop', () => {
    expect(parseAccounts([account]).issues).toEqual([expect.objectContaining({ path: '$.contacts[0].reportsTo', message: expect.stringContaining(LOOP) })]);
    const dir = mkdtempSync(join(tmpdir(), 'esp-loop-'));
    try {
      writeFileSync(join(dir, 'accounts.json'), JSON.stringify([account]));
      const run = spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'evaluate', '--accounts', join(dir, 'accounts.json')], { encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(LOOP);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.each(DRIVERS)('imports (%s)', (driver) => {
    const suite = useTestDatabase(driver);
    const rejected = async (run: () => Promise<unknown>) => {
      const error = await run().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ImportError);
      return (error as ImportError).problems;
    };

    it('the JSON account import and the contacts CSV import refuse it with the same code', async () => {
      const json = await rejected(() => importAccounts(suite.t.db, parseAccountsJson(JSON.stringify([account])), 'json'));
      expect(json).toEqual([expect.objectContaining({ code: 'ref.reportingLoop', params: { chain: LOOP } })]);
      expect(await getAccount(suite.t.db, 'acme')).toBeUndefined();

      await importAccounts(suite.t.db, parseAccountsJson(JSON.stringify([{ ...account, contacts: contacts.map((c) => ({ ...c, reportsTo: null })) }])), 'json');
      const csv = ['accountId,id,name,influence,stance,reportsTo', ...contacts.map((c) => `acme,${c.id},${c.name},${c.influence},${c.stance},${c.reportsTo}`)].join('\n');
      const fromCsv = await rejected(() => importContacts(suite.t.db, parseContactsCsv(csv), 'csv'));
      expect(fromCsv).toEqual([expect.objectContaining({ code: 'ref.reportingLoop', params: { chain: LOOP }, line: 2, column: 'reportsTo' })]);
    });
  });
});

describe('text length', () => {
  it('one limit on every path: a JSON name over it is refused like an over-long CSV field', () => {
    const long = 'x'.repeat(200_000);
    expect(accountSchema.safeParse({ id: 'a', name: long }).success).toBe(false);
    expect(accountSchema.safeParse({ id: 'a', name: 'x'.repeat(MAX_TEXT_LENGTH) }).success).toBe(true);
    const parsed = parseAccountsJson(JSON.stringify([{ id: 'a', name: long }]));
    expect(parsed.problems.list).toEqual([expect.objectContaining({ column: '$[0].name', code: 'value.atMost' })]);
    const csv = parseAccountsCsv(`id,name\na,${'x'.repeat(MAX_TEXT_LENGTH + 1)}\n`);
    expect(csv.problems.list).toEqual([expect.objectContaining({ line: 2, code: 'csv.fieldTooLarge' })]);
  });
});

describe.each(DRIVERS)('rule set publishing races (%s)', (driver) => {
  const suite = useTestDatabase(driver);

  it('the loser of two publishes of one draft gets a conflict naming who published which version', async () => {
    const published = await getPublished(suite.t.db, 'finance');
    await createDraft(suite.t.db, 'finance', 'ada@example.test');
    const draft = await editDraft(suite.t.db, 'finance', { document: published!.document, baseRevision: 0, by: 'ada@example.test' });
    const results = await Promise.allSettled(
      ['ada@example.test', 'bob@example.test'].map((by) => publish(suite.t.db, 'finance', { comment: 'go', by, revision: draft.revision })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof publish>>>).value.published;
    expect((lost[0]!.reason as ConflictError).details).toMatchObject({ version: winner.version, by: winner.publishedBy });
    expect((lost[0]!.reason as Error).message).toContain(`version ${winner.version} by ${winner.publishedBy}`);
  });

  it('a save refused for a stale basedOn leaves no draft', async () => {
    const current = await getPublished(suite.t.db, 'retail');
    const refused = await saveDraft(suite.t.db, admin, 'retail', {
      document: JSON.stringify(current!.document),
      revision: null,
      basedOn: current!.version! - 1,
    });
    expect(refused).toMatchObject({ status: 409, data: { conflict: { kind: 'published', version: current!.version } } });
    expect(await getDraft(suite.t.db, 'retail')).toBeUndefined();
  });
});

describe('esp evaluate --rules', () => {
  const evaluate = (rules: string) =>
    spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'evaluate', '--accounts', join(dir, 'a.json'), '--rules', rules], { encoding: 'utf8' });
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'esp-rules-'));
    writeFileSync(join(dir, 'a.json'), '[]');
    mkdirSync(join(dir, 'empty'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a missing path, a file and an empty directory with exit 2 and no stack trace', () => {
    for (const [rules, reason] of [
      [join(dir, 'nope'), 'no such directory'],
      [join(ROOT, 'rules/defaults/base.json'), 'not a directory'],
      [join(dir, 'empty'), 'no rule sets'],
    ] as const) {
      const run = evaluate(rules);
      expect(run.status, rules).toBe(2);
      expect(run.stderr).toContain(reason);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
