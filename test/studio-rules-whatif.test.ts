/**
 * What-if over 10,000 accounts: a weight change moves exactly the accounts whose tier the engine,
 * asked account by account, says should move; nothing else moves. The time is printed, not
 * asserted (the machine running the tests is not the one the 2 s are promised on: `npm run bench`
 * measures it with `runWhatIf`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/client.js';
import { generateAccounts } from '../db/demo/generate.js';
import { migrate } from '../db/migrate.js';
import { upsertAccounts } from '../db/repositories/accounts.js';
import { getPublished, seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import { compileRuleSet, type EspRules } from '../engine/compiled-rule-set.js';
import type { Account } from '../engine/model.js';
import { decideAccount } from '../engine/pipeline.js';
import { resolveRuleSet } from '../engine/ruleset-format/validate.js';
import { runWhatIf, type ChangedAccount } from '../studio/src/routes/rules/[industry]/whatif/what-if.server.js';

const N = 10_000;
let database: Database;
let accounts: Account[];

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://', url: '' });
  await migrate(database.db);
  await seedDefaultRuleSets(database.db);
  accounts = generateAccounts(N, 2025);
  await upsertAccounts(database.db, accounts);
}, 300_000);

afterAll(async () => {
  await database?.close();
});

/** Each industry's effective set with `base` as the fallback, compiled: the engine's own answer. */
async function rulesPerIndustry(base: unknown): Promise<(industry: string | null | undefined) => EspRules> {
  const industries = ['finance', 'energy', 'government', 'manufacturing', 'healthcare', 'retail'];
  const compiled = new Map<string, EspRules>();
  const fallback = resolveRuleSet(base);
  if (!fallback.ok) throw new Error('invalid base');
  compiled.set('*', compileRuleSet(fallback.ruleSet, { industry: '*', version: null, baseVersion: null }));
  for (const industry of industries) {
    const v = resolveRuleSet(base, (await getPublished(database.db, industry))!.document);
    if (!v.ok) throw new Error(`invalid ${industry}`);
    compiled.set(industry, compileRuleSet(v.ruleSet, { industry, version: null, baseVersion: null }));
  }
  return (industry) => compiled.get(industry ?? '*') ?? compiled.get('*')!;
}

/** Every listed changed account of a what-if, page by page (the evaluation itself is reused). */
async function allChanged(industry: string, draft: unknown, change: 'tier' | 'class' | 'strategy'): Promise<ChangedAccount[]> {
  const out: ChangedAccount[] = [];
  for (let page = 1; ; page++) {
    const r = await runWhatIf(database.db, industry, draft, {
      page,
      pageSize: 200,
      filter: { kind: change },
      cacheKey: `test|${industry}|${JSON.stringify(draft)}`,
    });
    if (!r.ok) throw new Error('invalid draft');
    out.push(...r.changed.rows);
    if (page * r.changed.pageSize >= r.changed.total) return out;
  }
}

function timed(label: string, r: Awaited<ReturnType<typeof runWhatIf>>, wall: number) {
  if (!r.ok) return;
  const t = r.timings;
  console.log(
    `what-if ${label} over ${r.counts.accounts} accounts: ${wall.toFixed(0)} ms ` +
      `(load ${t.loadMs.toFixed(0)}, compile ${t.compileMs.toFixed(0)}, evaluate ${t.evaluateMs.toFixed(0)}, explain ${t.explainMs.toFixed(0)} ms); ` +
      `${r.counts.changed} changed, ${r.counts.tier} tiers (${r.counts.tierUp} up, ${r.counts.tierDown} down)`,
  );
}

describe(`what-if over ${N.toLocaleString('en')} accounts`, () => {
  it('a fallback weight change moves exactly the tiers the engine moves, account by account', async () => {
    const published = (await getPublished(database.db, '*'))!.document as { grade: { weights: Record<string, number> } };
    const draft = structuredClone(published);
    draft.grade.weights = { revenue: 0.25, potential: 0.4, demonstration: 0.15, winnability: 0.2 };

    for (const label of ['cold', 'warm']) {
      const started = performance.now();
      const r = await runWhatIf(database.db, '*', draft);
      timed(`(fallback weights, ${label})`, r, performance.now() - started);
      expect(r.ok).toBe(true);
    }

    const [before, after] = await Promise.all([rulesPerIndustry(published), rulesPerIndustry(draft)]);
    const expected = new Map<string, [string, string]>();
    const tierCount = new Map<string, number>();
    for (const a of accounts) {
      const b = decideAccount(a, before(a.industry)).tier;
      const d = decideAccount(a, after(a.industry)).tier;
      if (b !== d) expected.set(a.id, [b, d]);
      tierCount.set(`${b}>${d}`, (tierCount.get(`${b}>${d}`) ?? 0) + 1);
    }
    expect(expected.size).toBeGreaterThan(100);

    const r = await runWhatIf(database.db, '*', draft);
    if (!r.ok) throw new Error('invalid');
    expect(r.scope).toMatchObject({ all: true, accounts: N });
    expect(r.counts.tier).toBe(expected.size);
    // A weight moves scores, not dimension scores: no class changes.
    expect(r.counts.class).toBe(0);
    for (const [from, row] of Object.entries(r.tierMatrix))
      for (const [to, n] of Object.entries(row)) expect(n, `${from}→${to}`).toBe(tierCount.get(`${from}>${to}`) ?? 0);

    const listed = await allChanged('*', draft, 'tier');
    expect(listed.length).toBe(expected.size);
    for (const row of listed) expect([row.before.tier, row.after.tier], row.id).toEqual(expected.get(row.id));
    // The explanation of a moved account is the weight change.
    const first = listed[0]!;
    expect(first.before.why?.dimensions['potential']?.weight).toBe(0.3);
    expect(first.after.why?.dimensions['potential']?.weight).toBe(0.4);
  }, 120_000);

  it('an industry change moves only that industry’s accounts', async () => {
    const published = (await getPublished(database.db, 'finance'))!.document as Record<string, unknown>;
    const draft = {
      ...published,
      grade: {
        ...(published['grade'] as object),
        weights: { revenue: 0.5, potential: 0.2, demonstration: 0.1, winnability: 0.2 },
      },
    };
    const started = performance.now();
    const r = await runWhatIf(database.db, 'finance', draft);
    timed('(finance weights)', r, performance.now() - started);
    if (!r.ok) throw new Error('invalid');
    const finance = accounts.filter((a) => a.industry === 'finance');
    expect(r.scope).toEqual({ all: false, accounts: finance.length, industries: ['finance'] });

    const base = (await getPublished(database.db, '*'))!.document;
    const compile = (doc: unknown) => {
      const v = resolveRuleSet(base, doc);
      if (!v.ok) throw new Error('invalid');
      return compileRuleSet(v.ruleSet, { industry: 'finance', version: null, baseVersion: null });
    };
    const [before, after] = [compile(published), compile(draft)];
    const moved = finance.filter((a) => decideAccount(a, before).tier !== decideAccount(a, after).tier).map((a) => a.id);
    expect(r.counts.tier).toBe(moved.length);
    expect((await allChanged('finance', draft, 'tier')).map((x) => x.id).sort()).toEqual(moved.sort());
  }, 120_000);
});
