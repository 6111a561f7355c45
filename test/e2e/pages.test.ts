/**
 * The account pages and tables as people read them, in both languages (issue 17): nothing in the
 * accounts table or the portfolio's "plans waiting" table is clipped or wrapped at 1280 and 1440 px;
 * a relationship map with three competitors shows every stance; a Chinese page of a sample account
 * shows no English identifier (facts, fields, strategies, tracks, lines, roles, rule names); and no
 * page reports a console error. Screenshots go to test-artifacts/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILE_FIELDS } from '../../db/profile-fields.js';
import { listAccountIds, updateComputedMany, upsertAccounts } from '../../db/repositories/accounts.js';
import { appendStageResult } from '../../db/repositories/stage-results.js';
import { createPlan } from '../../db/repositories/plans.js';
import { upsertTeams } from '../../db/repositories/teams.js';
import { FACTS } from '../../engine/json-rules/facts.js';
import {
  accountSchema,
  BEHAVIORS,
  DECISION_ROLES,
  FLAGS,
  LINES,
  PRESALES_TIERS,
  STRATEGIES,
  TRACKS,
  type Account,
} from '../../engine/index.js';
import { PROFILE_ITEMS } from '../../engine/ruleset-format/schema.js';
import {
  E2E_USERS,
  launchBrowser,
  pendingRetainPlan,
  rawKeysOn,
  screenshot,
  SCREENSHOT_DIR,
  signedInPage,
  startStudio,
  type StudioServer,
} from '../helpers/browser.js';

const ZH_ADMIN = { id: 'e2e-admin-zh', email: 'e2e-admin-zh@example.test', name: '李管理员', role: 'admin' as const };
const MAP_ACCOUNT = 'pg-map';
const SAMPLE_TEAM = { id: 'industry:retail', name: '零售大客户部' };
/** An account whose plan the workflow put in force without approval, under Retail v4. */
const AUTO_ACCOUNT = 'pg-auto';
const COMPETITORS = [
  { id: 'stark', name: 'Stark Solutions International', share: 0.3 },
  { id: 'wayne', name: 'Wayne Enterprise Systems', share: 0.2 },
  { id: 'tyrell', name: 'Tyrell Corporation Asia', share: 0.1 },
];

/** 30 contacts in a reporting tree, each with a stance toward every competitor. */
function mapAccount(): Account {
  const contacts = Array.from({ length: 30 }, (_, i) => ({
    id: `c${i + 1}`,
    name: `联系人${i + 1}`,
    title: i === 0 ? '总经理' : '经理',
    influence: i === 0 ? 5 : (i % 5) + 1,
    stance: (i % 5) - 2,
    interactions90d: i % 4,
    decisionRole: DECISION_ROLES[i % DECISION_ROLES.length],
    ...(i > 0 ? { reportsTo: `c${Math.floor((i - 1) / 4) + 1}` } : {}),
    competitorStances: { stark: ((i + 1) % 5) - 2, wayne: ((i + 2) % 5) - 2, tyrell: ((i + 3) % 5) - 2 },
  }));
  return accountSchema.parse({
    id: MAP_ACCOUNT,
    name: '华东智能制造集团',
    industry: 'retail',
    region: '华东',
    status: 'active',
    ownerId: E2E_USERS.manager.id,
    revenueWithUs: 12_000_000,
    potential: 60_000_000,
    demonstration: 70,
    winnability: 70,
    contacts,
    competitors: COMPETITORS,
  });
}

/** The identifiers a Chinese page must word: every fact, field, strategy, track, line, role and default rule name. */
const IDENTIFIERS = [
  ...new Set([
    ...FACTS.map((f) => f.name),
    ...PROFILE_FIELDS,
    ...PROFILE_ITEMS,
    ...STRATEGIES,
    ...TRACKS,
    ...LINES,
    ...PRESALES_TIERS,
    ...FLAGS,
    ...DECISION_ROLES,
    ...BEHAVIORS,
    'workflow',
    'presalesTier',
  ]),
];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const IDENTIFIER = new RegExp(`(?<![\\w-])(?:${IDENTIFIERS.map(escape).join('|')})(?![\\w-])`, 'g');

/** Each identifier found, with the words around it (so a failure says where). */
async function identifiersOn(page: Page): Promise<string[]> {
  const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
  return [
    ...new Set(
      [...text.matchAll(IDENTIFIER)].map(
        (m) => `${m[0]} in “${text.slice(Math.max(0, m.index - 30), m.index + m[0].length + 30)}”`,
      ),
    ),
  ];
}

/** Cells whose content is wider than the cell, and tables that need a horizontal scroll. */
async function overflowing(page: Page, table: string): Promise<string[]> {
  return page.locator(table).evaluateAll((tables) =>
    tables.flatMap((t) => {
      const out: string[] = [];
      const wrap = t.closest('.table-wrap');
      if (wrap && wrap.scrollWidth > wrap.clientWidth + 1) out.push(`table scrolls: ${wrap.scrollWidth} > ${wrap.clientWidth}`);
      for (const cell of t.querySelectorAll('th, td'))
        if (cell.scrollWidth > cell.clientWidth + 1) out.push(`cell overflows: ${(cell.textContent ?? '').trim().slice(0, 40)}`);
      return out;
    }),
  );
}

/** Cells marked as holding a date that wrap onto more than one line. */
async function wrappedDates(page: Page, table: string): Promise<string[]> {
  return page.locator(`${table} td.date`).evaluateAll((cells) =>
    cells
      .filter((cell) => {
        const range = cell.ownerDocument.createRange();
        range.selectNodeContents(cell);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        return tops.size > 1;
      })
      .map((cell) => (cell.textContent ?? '').trim()),
  );
}

let browser: Browser;
let server: StudioServer;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startStudio({
    demoAccounts: 40,
    users: [{ ...ZH_ADMIN, locale: 'zh-CN' }],
    seed: async (db) => {
      await upsertAccounts(db, [mapAccount()]);
      // A Chinese deployment names its teams in Chinese; the sample account is covered by one.
      await upsertTeams(db, [{ id: SAMPLE_TEAM.id, name: SAMPLE_TEAM.name, line: 'industry' }]);
      await updateComputedMany(db, [
        { id: MAP_ACCOUNT, coverageLine: 'industry', coverageTeam: SAMPLE_TEAM.id, coverageTrack: 'major-project' },
      ]);
      // The widest values every column can show, as if the workflows had decided them, and their
      // audit rows (the trend charts read those).
      const ids = (await listAccountIds(db)).filter((id) => id !== MAP_ACCOUNT);
      const HEALTH = ['green', 'amber', 'red'] as const;
      await updateComputedMany(
        db,
        ids.map((id, i) => ({
          id,
          stage: 'execute' as const,
          waitingFor: 'next-monitor' as const,
          tier: 'T2' as const,
          class: 'B' as const,
          score: 88.88,
          strategy: 'wait-and-watch' as const,
          health: HEALTH[i % 3]!,
        })),
      );
      for (const [i, id] of ids.entries()) {
        const common = { accountId: id, cycleYear: 2026, ruleSetIndustry: '*', ruleSetVersion: 1, input: {} };
        await appendStageResult(db, {
          ...common,
          stage: 'grade',
          output: { score: 88.88, tier: 'T2' },
          idempotencyKey: `pg-grade-${id}`,
        });
        await appendStageResult(db, {
          ...common,
          stage: 'monitor',
          output: { health: HEALTH[i % 3] },
          idempotencyKey: `pg-monitor-${id}`,
        });
      }
      await upsertAccounts(db, [
        accountSchema.parse({ id: AUTO_ACCOUNT, name: '自动规划客户', industry: 'retail', ownerId: E2E_USERS.manager.id }),
      ]);
      const auto = await createPlan(db, { ...pendingRetainPlan(AUTO_ACCOUNT, 2026, 'Keep it'), needsApproval: false });
      await appendStageResult(db, {
        accountId: AUTO_ACCOUNT,
        cycleYear: 2026,
        stage: 'plan',
        ruleSetIndustry: 'retail',
        ruleSetVersion: 4,
        input: {},
        output: { planId: auto.id, version: auto.version },
        idempotencyKey: `pg-plan-${AUTO_ACCOUNT}`,
      });
      await createPlan(
        db,
        pendingRetainPlan(
          MAP_ACCOUNT,
          2026,
          'Keep the relationship healthy and our share of wallet stable at a reasonable cost.',
        ),
      );
    },
  });
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await browser?.close();
});

const USERS = { en: E2E_USERS.admin, 'zh-CN': ZH_ADMIN } as const;

for (const lang of ['en', 'zh-CN'] as const) {
  describe(`in ${lang}`, () => {
    for (const width of [1280, 1440]) {
      it(`lays out the accounts and "plans waiting" tables at ${width} px without clipping`, async () => {
        const { context, page, errors } = await signedInPage(browser, server, USERS[lang].email, {
          locale: lang,
          width,
          height: 900,
          path: '/accounts?size=50',
        });
        await page.goto('/accounts?size=50');
        await expect.poll(() => page.locator('main tbody tr').count()).toBeGreaterThan(20);
        await screenshot(page, `pages-accounts-${lang}-${width}`);
        expect(await overflowing(page, 'main table')).toEqual([]);

        await page.goto('/portfolio');
        const waiting = 'section[aria-labelledby="h-approvals"] table';
        await expect.poll(() => page.locator(`${waiting} tbody tr`).count()).toBeGreaterThan(0);
        // An admin sees every waiting plan, and the heading says so.
        expect(await page.locator('#h-approvals').innerText()).toBe(lang === 'en' ? 'All plans waiting' : '全部待审批的规划');
        await screenshot(page, `pages-portfolio-${lang}-${width}`);
        expect(await overflowing(page, waiting)).toEqual([]);
        expect(await wrappedDates(page, waiting)).toEqual([]);
        expect(await rawKeysOn(page)).toEqual([]);
        errors.assertNone();
        await context.close();
      }, 120_000);
    }

    it('shows every competitor’s stance on the relationship map, at desktop and tablet width', async () => {
      for (const width of [1280, 820]) {
        const { context, page, errors } = await signedInPage(browser, server, USERS[lang].email, {
          locale: lang,
          width,
          height: 1000,
          path: `/accounts/${MAP_ACCOUNT}`,
        });
        await page.goto(`/accounts/${MAP_ACCOUNT}#relationships`);
        const map = page.locator('#relationships');
        await expect.poll(() => map.locator('[data-contact]').count()).toBe(30);
        // Every card names every competitor's stance in text a reader can see (not cut off).
        const cards = await map.locator('[data-contact]').evaluateAll((nodes) =>
          nodes.map((n) => ({
            id: n.getAttribute('data-contact'),
            stances: [...n.querySelectorAll('[data-competitor]')].map((s) => ({
              competitor: s.getAttribute('data-competitor'),
              text: s.textContent ?? '',
            })),
          })),
        );
        for (const card of cards)
          expect(card.stances.map((s) => s.competitor).sort(), card.id ?? '').toEqual(['stark', 'tyrell', 'wayne']);
        expect(cards.flatMap((c) => c.stances).filter((s) => s.text.includes('…'))).toEqual([]);
        // The legend names all three competitors in full.
        const legend = await map.locator('.legend').innerText();
        for (const c of COMPETITORS) expect(legend).toContain(c.name);
        await map.screenshot({ path: join(SCREENSHOT_DIR, `pages-map-${lang}-${width}.png`) });
        errors.assertNone();
        await context.close();
      }
    }, 180_000);
  });
}

describe('every page', () => {
  it('reports no console error, in either language', async () => {
    for (const [lang, user] of Object.entries(USERS)) {
      const { context, page, errors } = await signedInPage(browser, server, user.email, {
        locale: lang,
        width: 1280,
        height: 900,
        path: '/portfolio',
      });
      for (const path of [
        '/portfolio',
        '/accounts',
        `/accounts/${MAP_ACCOUNT}`,
        '/reviews',
        '/glossary',
        '/rules',
        '/rules/retail',
        '/rules/retail/history',
        '/rules/retail/whatif',
        '/rules/retail/test',
      ]) {
        const response = await page.goto(path);
        expect(response?.status(), path).toBe(200);
        expect(await rawKeysOn(page), path).toEqual([]);
      }
      errors.assertNone();
      await context.close();
    }
  }, 180_000);
});

describe('a plan the workflow put in force', () => {
  it('names the rule set it was made under, in words, on the account and in the version list', async () => {
    const said = {
      en: { card: 'in force automatically under Retail rules v4', version: 'automatically, under Retail rules v4' },
      'zh-CN': { card: '依据零售规则 v4 自动生效', version: '依据零售规则 v4 自动生成' },
    } as const;
    for (const [lang, user] of Object.entries(USERS) as [keyof typeof USERS, (typeof USERS)[keyof typeof USERS]][]) {
      const { context, page, errors } = await signedInPage(browser, server, user.email, {
        locale: lang,
        path: `/accounts/${AUTO_ACCOUNT}`,
      });
      await page.goto(`/accounts/${AUTO_ACCOUNT}#plan`);
      const card = await page.locator('#plan').innerText();
      expect(card).toContain(said[lang].card);
      expect(card).not.toMatch(/workflow|流程批准/);
      await page.goto(`/accounts/${AUTO_ACCOUNT}/plan`);
      expect(await page.locator('ol.versions').innerText()).toContain(said[lang].version);
      expect(await rawKeysOn(page)).toEqual([]);
      errors.assertNone();
      await context.close();
    }
  }, 120_000);
});

describe('the account filters', () => {
  it('apply as they change, debounced, with the URL as the state', async () => {
    const { context, page, errors } = await signedInPage(browser, server, E2E_USERS.admin.email, {
      width: 1280,
      height: 900,
      path: '/accounts',
    });
    await page.goto('/accounts');
    await page.locator('#f-health').selectOption('red');
    await page.waitForURL((u) => u.searchParams.get('health') === 'red');
    await expect.poll(() => page.locator('main tbody td .badge.red').count()).toBeGreaterThan(0);
    expect(await page.locator('main tbody td .badge.green').count()).toBe(0);
    // Typing waits for a pause, then searches; focus stays in the field.
    await page.locator('#f-q').pressSequentially('华东智能', { delay: 30 });
    await page.waitForURL((u) => u.searchParams.get('q') === '华东智能' && u.searchParams.get('health') === 'red');
    expect(await page.evaluate('document.activeElement?.id')).toBe('f-q');
    // Back to the list as it was, from the URL alone.
    await page.goto('/accounts?health=red');
    expect(await page.locator('#f-health').inputValue()).toBe('red');
    errors.assertNone();
    await context.close();
  }, 120_000);
});

describe('a Chinese page of a sample account', () => {
  it('words every identifier (the why traces, missing fields, decision sources)', async () => {
    const { context, page, errors } = await signedInPage(browser, server, ZH_ADMIN.email, {
      locale: 'zh-CN',
      width: 1440,
      height: 900,
      path: `/accounts/${MAP_ACCOUNT}`,
    });
    await page.goto(`/accounts/${MAP_ACCOUNT}`);
    await expect.poll(() => page.locator('#decisions').innerText()).toContain('策略');
    for (const d of await page.locator('#decisions details').all()) await d.evaluate((n) => n.setAttribute('open', ''));
    expect(await identifiersOn(page)).toEqual([]);
    expect(await rawKeysOn(page)).toEqual([]);
    // Admins still find the identifier on hover.
    expect(
      await page.locator('#decisions [title="wait-and-watch"], #decisions [title="retain"], #decisions [title="grow"]').count(),
    ).toBeGreaterThan(0);
    // The covering team by the name the teams table gives it (the id on hover, for admins), also in the why trace.
    expect(await page.locator(`.summary [title="${SAMPLE_TEAM.id}"]`).innerText()).toBe(SAMPLE_TEAM.name);
    expect(await page.locator('#decisions').innerText()).toContain(SAMPLE_TEAM.name);
    await screenshot(page, 'pages-account-zh-CN');
    await page.locator('#decisions').screenshot({ path: join(SCREENSHOT_DIR, 'pages-account-decisions-zh-CN.png') });
    errors.assertNone();
    await context.close();
  }, 120_000);
});
