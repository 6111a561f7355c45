/**
 * The rule pages' server logic: where each validation issue shows in the editor, the editor's own
 * merge against the engine's, the condition builder's vocabulary against the validator, saving
 * with optimistic concurrency (a stale edit is a conflict, never an overwrite), publishing,
 * rolling back, signalling the workflows, the test bench, a small what-if checked account by
 * account, and the admin role on every load and action.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { isActionFailure, isHttpError, isRedirect } from '@sveltejs/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/client.js';
import { generateAccounts } from '../db/demo/generate.js';
import { migrate } from '../db/migrate.js';
import { loadAccountsBulk } from '../db/repositories/accounts-bulk.js';
import { getAccounts, listAccountIds, upsertAccounts } from '../db/repositories/accounts.js';
import {
  createDraft,
  editDraft,
  getDraft,
  getEffective,
  getPublished,
  getVersion,
  history,
  seedDefaultRuleSets,
  validateDraft,
} from '../db/repositories/rule-sets.js';
import { compileRuleSet } from '../engine/compiled-rule-set.js';
import { decideAccount } from '../engine/pipeline.js';
import { factsFor, RULE_SECTIONS } from '../engine/json-rules/facts.js';
import { applyOverride } from '../engine/ruleset-format/override.js';
import { resolveRuleSet, validateRuleSet } from '../engine/ruleset-format/validate.js';
import { clone, deleteAt, mergeOverride, ruleEntries, setAt, type Json } from '../studio/src/lib/components/rules/doc.js';
import { fieldFor, fieldId, jsonPath, parsePath } from '../studio/src/lib/components/rules/paths.js';
import { changeSentence, settingLabel, type Wording } from '../studio/src/lib/components/rules/setting-labels.js';
import { isMessageKey, translate, type Locale } from '../i18n/catalog.js';
import { diffRuleSets } from '../engine/ruleset-format/diff.js';
import { _indexLoad as indexLoad } from '../studio/src/routes/rules/+page.server.js';
import {
  _editorActions as editorActions,
  _editorLoad as editorLoad,
  _ruleVocabulary as ruleVocabulary,
} from '../studio/src/routes/rules/[industry]/+page.server.js';
import {
  _historyActions as historyActions,
  _historyLoad as historyLoad,
} from '../studio/src/routes/rules/[industry]/history/+page.server.js';
import {
  _benchActions as benchActions,
  _benchLoad as benchLoad,
} from '../studio/src/routes/rules/[industry]/test/+page.server.js';
import { _validateHandler as validateHandler } from '../studio/src/routes/rules/[industry]/validate/+server.js';
import {
  _whatIfActions as whatIfActions,
  _whatIfLoad as whatIfLoad,
} from '../studio/src/routes/rules/[industry]/whatif/+page.server.js';
import { issueViews, type RulesEvent, type Signaller } from '../studio/src/lib/server/rule-set-pages.js';
import { runWhatIf } from '../studio/src/routes/rules/[industry]/whatif/what-if.server.js';
import { _whatIfCsvGet as whatIfCsvGet } from '../studio/src/routes/rules/[industry]/whatif/changes.csv/+server.js';
import { signalRulesPublished } from '../workflows/rules-published.js';
import type { SignalClient } from '../workflows/signal-accounts.js';
import type { SessionUser } from '../studio/src/lib/user.js';

const ROOT = resolve(import.meta.dirname, '..');
const admin: SessionUser = { id: 'u-admin', email: 'ada@example.test', name: 'Ada Admin', role: 'admin', locale: 'en' };
const other: SessionUser = { id: 'u-other', email: 'otto@example.test', name: 'Otto Admin', role: 'admin', locale: 'en' };
const manager: SessionUser = { id: 'u-mgr', email: 'max@example.test', name: 'Max Manager', role: 'manager', locale: 'en' };

let database: Database;
const getDb = async () => database.db;
const signals: { industry: string; version: number }[] = [];
const fakeSignal: Signaller = async (_db, published) => {
  signals.push(published);
  return { reachable: true, targets: 3, signalled: 2, notRunning: 1, failed: 0, errors: [] };
};

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://', url: '' });
  await migrate(database.db);
  await seedDefaultRuleSets(database.db);
  await upsertAccounts(database.db, generateAccounts(400, 11));
}, 120_000);

afterAll(async () => {
  await database?.close();
});

function event(
  user: SessionUser | null,
  opts: { industry?: string; form?: Record<string, string>; url?: string; body?: string } = {},
): RulesEvent {
  const industry = opts.industry ?? 'finance';
  const url = new URL(opts.url ?? `http://localhost/rules/${encodeURIComponent(industry)}`);
  const request =
    opts.body !== undefined
      ? new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: opts.body })
      : new Request(url, { method: 'POST', body: new URLSearchParams(opts.form ?? {}) });
  return { locals: { user }, params: { industry }, request, url };
}

/** A form action's `fail()` answer, typed loosely enough to inspect. */
function failure(result: unknown): { status: number; data: Record<string, unknown> } | null {
  return isActionFailure(result) ? (result as unknown as { status: number; data: Record<string, unknown> }) : null;
}

/** Runs a handler that ends in `redirect()`; returns where it sends the browser. */
async function redirected(run: () => Promise<unknown>): Promise<URL> {
  try {
    await run();
  } catch (e) {
    if (isRedirect(e)) return new URL(e.location, 'http://localhost');
    throw e;
  }
  throw new Error('expected a redirect');
}

// ---- where issues show -----------------------------------------------------------------------------

describe('path → field mapping', () => {
  it('reads back the paths it writes', () => {
    for (const segs of [
      [],
      ['grade', 'weights', 'revenue'],
      ['strategy', 'rules', 2, 'conditions', 'any', 0, 'value', 1],
      ['a b', 'x"y'],
    ])
      expect(parsePath(jsonPath(segs))).toEqual(segs);
    expect(parsePath('grade.weights')).toBeNull();
  });

  it.each([
    ['$.grade.weights', '$.grade.weights'],
    ['$.grade.weights.revenue', '$.grade.weights.revenue'],
    ['$.grade.weigths', '$.grade'],
    ['$.grade.bands.revenue[2].min', '$.grade.bands.revenue[2].min'],
    ['$.grade.bands.revenue[2]', '$.grade.bands.revenue'],
    ['$.grade.bands.turnover', '$.grade.bands'],
    ['$.grade.bandScale.potential', '$.grade.bandScale.potential'],
    ['$.grade.tierPolicy.thresholds.T2', '$.grade.tierPolicy.thresholds.T2'],
    ['$.grade.tierPolicy.quotas', '$.grade.tierPolicy.quotas'],
    ['$.grade.tierPolicy.mode', '$.grade.tierPolicy.mode'],
    ['$.classify.cuts.H', '$.classify.cuts.H'],
    ['$.classify.matrix[1][2]', '$.classify.matrix'],
    ['$.strategy.rules', '$.strategy.rules'],
    ['$.strategy.rules[1]', '$.strategy.rules[1]'],
    ['$.strategy.rules[1].name', '$.strategy.rules[1].name'],
    ['$.strategy.rules[1].event.params.strategy', '$.strategy.rules[1].event.params.strategy'],
    ['$.strategy.rules[1].event.type', '$.strategy.rules[1]'],
    ['$.strategy.rules[1].conditions.any[0].all[1].value[0]', '$.strategy.rules[1].conditions.any[0].all[1].value'],
    ['$.strategy.rules[1].conditions.any[0].all[1].fact', '$.strategy.rules[1].conditions.any[0].all[1].fact'],
    ['$.strategy.rules[1].conditions.any[0].priority', '$.strategy.rules[1].conditions.any[0]'],
    ['$.strategy.rules[1].conditions.not.operator', '$.strategy.rules[1].conditions.not.operator'],
    ['$.strategy.rules[1].conditions', '$.strategy.rules[1].conditions'],
    ['$.relationship.flagRules[0].conditions.all[0].value', '$.relationship.flagRules[0].conditions.all[0].value'],
    ['$.monitor.healthRules[3].event.params.alert', '$.monitor.healthRules[3].event.params.alert'],
    ['$.coverage.fallback.track', '$.coverage.fallback.track'],
    ['$.investment.fallback', '$.investment.fallback'],
    ['$.description', '$.description'],
    ['$.profile.checklist[3]', '$.profile.checklist'],
    ['$.profile.minCompleteness', '$.profile.minCompleteness'],
    ['$.profile.extra', '$.profile'],
    ['$.relationship.interactionLevels[1].min', '$.relationship.interactionLevels[1].min'],
    ['$.relationship.interactionLevels[1]', '$.relationship.interactionLevels'],
    ['$.relationship.competitorFactor', '$.relationship.competitorFactor'],
    ['$.plan.objectiveGrowth.grow', '$.plan.objectiveGrowth.grow'],
    ['$.plan.approvalTiers[0]', '$.plan.approvalTiers'],
    ['$.plan.approverRole', '$.plan.approverRole'],
    ['$.plan.templates.grow[2].dueInDays', '$.plan.templates.grow[2].dueInDays'],
    ['$.plan.templates.grow[2]', '$.plan.templates.grow'],
    ['$.plan.goals["win-back"]', '$.plan.goals["win-back"]'],
    ['$.monitor.intervalDays', '$.monitor.intervalDays'],
    ['$.execute.visitCadenceDays.T4', '$.execute.visitCadenceDays.T4'],
    ['$.review.schedule.day', '$.review.schedule.day'],
  ])('%s shows at %s', (path, field) => {
    expect(fieldFor(path)).toBe(field);
  });

  it.each(['$.industry', '$', '$.monitor.intervalDyas'])('%s has no form field: it shows at the JSON view', (path) =>
    expect(fieldFor(path)).toBeNull(),
  );

  it('gives every field its own DOM id', () => {
    const ids = ['$.a.b', '$.a_b', '$.a[0]', '$.a.0', '$["a.b"]'].map(fieldId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[\w-]+$/);
  });

  it('places the issues of a real draft at the fields that caused them', async () => {
    const db = database.db;
    const draft = await createDraft(db, 'energy', admin.email);
    const doc = {
      ...(draft.document as object),
      grade: {
        weights: { revenue: 0.5 },
        bands: {
          demonstration: [
            { min: 20, score: 25 },
            { min: 40, score: 50 },
          ],
        },
      },
      classify: { cuts: { M: 70, H: 40 } },
      strategy: {
        rules: [
          {
            name: 'energy-grow',
            priority: 5,
            conditions: {
              all: [
                { fact: 'tier', operator: 'in', value: ['T1', 'T5'] },
                { fact: 'flags', operator: 'equal', value: 'x' },
              ],
            },
            event: { type: 'strategy', params: { strategy: 'grow' } },
          },
        ],
      },
      plan: { checkpointsPerYear: 40, approverRole: 'director' },
    };
    await editDraft(db, 'energy', { document: doc, baseRevision: draft.revision, by: admin.email });
    const v = await validateDraft(db, 'energy');
    const fields = issueViews(v.issues).map((i) => [i.code, i.field]);
    expect(fields).toEqual(
      expect.arrayContaining([
        ['weights.sum', '$.grade.weights'],
        ['bands.order', '$.grade.bands.demonstration[1].min'],
        ['cuts.order', '$.classify.cuts.H'],
        ['condition.unknownValue', '$.strategy.rules[0].conditions.all[0].value'],
        ['condition.operatorType', '$.strategy.rules[0].conditions.all[1].value'],
        ['schema.too_big', '$.plan.checkpointsPerYear'],
        // The approver select's field shows the schema's refusal of a role that does not exist.
        ['schema.invalid_value', '$.plan.approverRole'],
      ]),
    );
    // The same messages as `esp rules validate`: the issues are the engine's, untouched.
    expect(v.issues.find((i) => i.code === 'weights.sum')?.message).toBe('weights must sum to 1; they sum to 1.15');
  });
});

// ---- the editor's document operations ------------------------------------------------------------------

describe('editor document', () => {
  it('merges an override like the engine does', async () => {
    const base = (await getPublished(database.db, '*'))!.document as Json;
    const overrides: Json[] = [
      (await getPublished(database.db, 'healthcare'))!.document as Json,
      (await getPublished(database.db, 'government'))!.document as Json,
      {
        industry: 'x',
        extends: '*',
        grade: { weights: { revenue: 0.4 } },
        strategy: {
          rules: [
            { name: 'retain', remove: true },
            { name: 'new-one', priority: 2, conditions: { all: [] }, event: { type: 'strategy', params: { strategy: 'grow' } } },
          ],
        },
        relationship: {
          flagRules: [
            { name: 'no-coach', priority: 9, conditions: { any: [] }, event: { type: 'flag', params: { flag: 'no-coach' } } },
          ],
        },
        classify: {
          matrix: [
            ['A', 'A', 'A'],
            ['B', 'B', 'B'],
            ['D', 'D', 'D'],
          ],
        },
      },
    ];
    for (const o of overrides) expect(mergeOverride(base, o)).toEqual(applyOverride(base, o));
  });

  it('sets and resets values without leaving empty objects behind', () => {
    const doc: Json = { industry: 'x', extends: '*' };
    const set = setAt(doc, ['grade', 'tierPolicy', 'thresholds', 'T1'], 70);
    expect(set).toEqual({ industry: 'x', extends: '*', grade: { tierPolicy: { thresholds: { T1: 70 } } } });
    expect(doc).toEqual({ industry: 'x', extends: '*' });
    expect(deleteAt(set, ['grade', 'tierPolicy', 'thresholds', 'T1'])).toEqual(doc);
    const band = setAt({}, ['grade', 'bands', 'revenue', 1, 'min'], 5) as { grade: { bands: { revenue: unknown[] } } };
    expect(band.grade.bands.revenue[1]).toEqual({ min: 5 });
  });

  it('lists a rule list with where each rule comes from', () => {
    const rule = (name: string, extra: object = {}) => ({ name, priority: 1, conditions: { all: [] }, event: {}, ...extra });
    const base = [rule('a'), rule('b'), rule('c')];
    const entries = ruleEntries(
      base,
      [rule('b', { priority: 5 }), { name: 'c', remove: true }, rule('d'), { name: 'zz', remove: true }],
      false,
    );
    expect(entries.map((e) => [e.name, e.origin, e.docIndex])).toEqual([
      ['a', 'inherited', null],
      ['b', 'overridden', 0],
      ['c', 'removed', 1],
      ['d', 'added', 2],
      ['zz', 'removed', 3],
    ]);
    expect(entries[1]!.rule['priority']).toBe(5);
    expect(ruleEntries(undefined, base, true).map((e) => [e.name, e.origin, e.docIndex])).toEqual([
      ['a', 'own', 0],
      ['b', 'own', 1],
      ['c', 'own', 2],
    ]);
    expect(clone(base)).toEqual(base);
  });
});

// ---- the condition builder's vocabulary ----------------------------------------------------------------

describe('condition builder vocabulary', () => {
  const vocabulary = ruleVocabulary();

  it('offers the documented facts of each list', () => {
    for (const section of RULE_SECTIONS)
      expect(vocabulary.facts[section].map((f) => f.name)).toEqual(factsFor(section).map((f) => f.name));
    expect(vocabulary.facts.flags.map((f) => f.name)).not.toContain('strategy');
    expect(vocabulary.facts.investment.find((f) => f.name === 'strategy')).toMatchObject({ kind: 'enum' });
  });

  it('offers the operators that fit each type', () => {
    expect(vocabulary.operators.number).toEqual([
      'equal',
      'notEqual',
      'lessThan',
      'lessThanInclusive',
      'greaterThan',
      'greaterThanInclusive',
      'in',
      'notIn',
    ]);
    expect(vocabulary.operators.enum).toEqual(['equal', 'notEqual', 'in', 'notIn']);
    expect(vocabulary.operators.string).toEqual(['equal', 'notEqual', 'in', 'notIn']);
    expect(vocabulary.operators.set).toEqual(['contains', 'doesNotContain']);
    expect(vocabulary.listOperators.sort()).toEqual(['in', 'notIn']);
  });

  it('never offers a combination `esp rules validate` rejects', () => {
    const base = structuredClone(validateRuleSet(JSON.parse(readFileSync(join(ROOT, 'rules/defaults/base.json'), 'utf8'))));
    expect(base.ok).toBe(true);
    const doc = JSON.parse(readFileSync(join(ROOT, 'rules/defaults/base.json'), 'utf8')) as Record<
      string,
      Record<string, unknown[]>
    >;
    const conditions: unknown[] = [];
    for (const f of vocabulary.facts.health)
      for (const op of vocabulary.operators[f.kind]) {
        const scalar = f.kind === 'number' ? 3 : f.kind === 'string' ? 'x' : f.values.at(-1);
        conditions.push({ fact: f.name, operator: op, value: vocabulary.listOperators.includes(op) ? [scalar] : scalar });
      }
    doc['monitor']!['healthRules'] = [
      {
        name: 'every-combination',
        priority: 1,
        conditions: { any: conditions },
        event: { type: 'health', params: { health: 'amber', alert: 'x' } },
      },
    ];
    const v = validateRuleSet(doc);
    expect(v.ok ? [] : v.issues).toEqual([]);
    expect(conditions.length).toBeGreaterThan(100);
  });
});

// ---- saving, conflicts, publishing ---------------------------------------------------------------------

describe('editing a draft', () => {
  const actions = editorActions(getDb, { signal: fakeSignal });

  it('starts the draft from the published version on the first save', async () => {
    const published = (await getPublished(database.db, 'retail'))!;
    expect(await getDraft(database.db, 'retail')).toBeUndefined();
    const doc = {
      ...(published.document as object),
      grade: {
        ...(published.document as { grade: object }).grade,
        weights: { revenue: 0.3, potential: 0.35, demonstration: 0.15, winnability: 0.2 },
      },
    };
    const result = await actions.save(
      event(admin, {
        industry: 'retail',
        form: { document: JSON.stringify(doc), revision: '', basedOn: String(published.version) },
      }),
    );
    expect(result).toMatchObject({ action: 'save', saved: true, revision: 1, valid: true, issues: [] });
    const draft = (await getDraft(database.db, 'retail'))!;
    expect(draft).toMatchObject({ basedOnVersion: published.version, revision: 1, editedBy: admin.email });
    expect(draft.document).toEqual(doc);
  });

  it('reports the problems of what was saved (a draft may be invalid; publishing may not)', async () => {
    const doc = { industry: 'retail', extends: '*', grade: { weights: { revenue: 0.9 } } };
    const result = await actions.save(
      event(admin, { industry: 'retail', form: { document: JSON.stringify(doc), revision: '1' } }),
    );
    expect(result).toMatchObject({ saved: true, revision: 2, valid: false });
    expect((result as { issues: { code: string; field: string }[] }).issues).toEqual([
      expect.objectContaining({ code: 'weights.sum', field: '$.grade.weights', params: { path: '$.grade.weights', sum: 1.55 } }),
    ]);
  });

  it('refuses a stale edit with who changed it when, and keeps both versions intact', async () => {
    const before = (await getDraft(database.db, 'retail'))!;
    // Otto saves revision 2 → 3; Ada's edit is still based on revision 2.
    await actions.save(
      event(other, {
        industry: 'retail',
        form: {
          document: JSON.stringify({ industry: 'retail', extends: '*', description: 'Otto' }),
          revision: String(before.revision),
        },
      }),
    );
    const stale = await actions.save(
      event(admin, {
        industry: 'retail',
        form: { document: '{"industry":"retail","description":"Ada"}', revision: String(before.revision) },
      }),
    );
    expect(failure(stale)?.status).toBe(409);
    expect(failure(stale)?.data).toMatchObject({
      saved: false,
      document: '{"industry":"retail","description":"Ada"}',
      conflict: { kind: 'draft', by: other.email, revision: before.revision + 1, base: before.revision },
    });
    expect(Date.parse((failure(stale)!.data as { conflict: { at: string } }).conflict.at)).toBeGreaterThan(0);
    expect(((await getDraft(database.db, 'retail'))!.document as { description: string }).description).toBe('Otto');
  });

  it('refuses a first save when someone started the draft meanwhile', async () => {
    const published = (await getPublished(database.db, 'manufacturing'))!;
    const theirs = await createDraft(database.db, 'manufacturing', other.email);
    await editDraft(database.db, 'manufacturing', {
      document: { industry: 'manufacturing', description: 'theirs' },
      baseRevision: theirs.revision,
      by: other.email,
    });
    const mine = await actions.save(
      event(admin, {
        industry: 'manufacturing',
        form: { document: '{"industry":"manufacturing"}', revision: '', basedOn: String(published.version) },
      }),
    );
    expect(failure(mine)?.status).toBe(409);
    expect(((await getDraft(database.db, 'manufacturing'))!.document as { description: string }).description).toBe('theirs');
  });

  it('answers text that is not a JSON object without saving it', async () => {
    const revision = (await getDraft(database.db, 'retail'))!.revision;
    const bad = await actions.save(
      event(admin, { industry: 'retail', form: { document: '{"industry": ', revision: String(revision) } }),
    );
    expect(failure(bad)?.status).toBe(400);
    expect(failure(bad)?.data).toMatchObject({
      saved: false,
      document: '{"industry": ',
      jsonError: expect.any(String),
    });
    const list = await actions.save(event(admin, { industry: 'retail', form: { document: '[1]', revision: String(revision) } }));
    expect(failure(list)?.data).toMatchObject({ notObject: true });
    expect((await getDraft(database.db, 'retail'))!.revision).toBe(revision);
  });

  it('validates live without saving', async () => {
    const response = await validateHandler(getDb)(
      event(admin, {
        industry: 'retail',
        body: JSON.stringify({
          industry: 'retail',
          grade: { weights: { potential: 0.9 }, tierPolicy: { thresholds: { T1: 120 } } },
        }),
      }),
    );
    const body = (await response.json()) as { valid: boolean; issues: { code: string; field: string }[]; overridden: string[] };
    expect(body.valid).toBe(false);
    expect(body.issues.map((i) => [i.code, i.field])).toEqual(
      expect.arrayContaining([
        ['schema.too_big', '$.grade.tierPolicy.thresholds.T1'],
        ['weights.sum', '$.grade.weights'],
      ]),
    );
    expect(body.overridden).toEqual(['$.grade.weights.potential', '$.grade.tierPolicy.thresholds.T1']);
  });
});

describe('publishing', () => {
  const actions = editorActions(getDb, { signal: fakeSignal });

  it('needs a comment, a valid draft and the revision that was reviewed', async () => {
    const draft = (await getDraft(database.db, 'retail'))!;
    const noComment = await actions.publish(
      event(admin, { industry: 'retail', form: { comment: '  ', revision: String(draft.revision) } }),
    );
    expect(failure(noComment)?.data).toMatchObject({ missingComment: true });

    // The draft is Otto's description-only override: valid. Make it invalid first.
    await actions.save(
      event(admin, {
        industry: 'retail',
        form: {
          document: JSON.stringify({ industry: 'retail', extends: '*', grade: { weights: { revenue: 0.9 } } }),
          revision: String(draft.revision),
        },
      }),
    );
    const invalid = await actions.publish(
      event(admin, { industry: 'retail', form: { comment: 'why not', revision: String(draft.revision + 1) } }),
    );
    expect(failure(invalid)?.status).toBe(400);
    expect((failure(invalid)?.data as { issues: { code: string }[] }).issues.map((i) => i.code)).toEqual(['weights.sum']);

    const stale = await actions.publish(
      event(admin, { industry: 'retail', form: { comment: 'why not', revision: String(draft.revision) } }),
    );
    expect(failure(stale)?.data).toMatchObject({ conflict: { kind: 'draft', by: admin.email } });
    expect((await getPublished(database.db, 'retail'))!.version).toBe(1);
  });

  it('publishes, tells the workflows, and records who, when and why', async () => {
    const draft = (await getDraft(database.db, 'retail'))!;
    const fixed = {
      industry: 'retail',
      extends: '*',
      grade: { weights: { revenue: 0.25, potential: 0.4, demonstration: 0.15, winnability: 0.2 } },
    };
    await actions.save(
      event(admin, { industry: 'retail', form: { document: JSON.stringify(fixed), revision: String(draft.revision) } }),
    );
    signals.length = 0;
    const to = await redirected(() =>
      actions.publish(
        event(admin, {
          industry: 'retail',
          form: { comment: 'Potential matters more in retail', revision: String(draft.revision + 1) },
        }),
      ),
    );
    expect(to.pathname).toBe('/rules/retail/history');
    expect(Object.fromEntries(to.searchParams)).toEqual({ published: '2', signalled: '2', targets: '3', failed: '0' });
    expect(signals).toEqual([{ industry: 'retail', version: 2 }]);
    const published = (await getPublished(database.db, 'retail'))!;
    expect(published).toMatchObject({ version: 2, comment: 'Potential matters more in retail', publishedBy: admin.email });
    expect((await getEffective(database.db, 'retail')).ruleSet.grade.weights.potential).toBe(0.4);
    expect(await getDraft(database.db, 'retail')).toBeUndefined();

    const page = await historyLoad(getDb)(
      event(admin, { industry: 'retail', url: `http://localhost${to.pathname}${to.search}&a=1&b=2` }),
    );
    expect(page.notice).toMatchObject({ kind: 'published', version: 2, signalled: 2, targets: 3, temporalDown: false });
    expect(page.versions.map((v) => [v.version, v.status, v.by])).toEqual([
      [2, 'published', admin.email],
      [1, 'archived', 'system'],
    ]);
    // As in effect: each version applied to the fallback, so a change reads against what it replaces.
    const base = (await getPublished(database.db, '*'))!.document as {
      description: string;
      grade: { weights: Record<string, number> };
    };
    expect(page.diff?.changes).toEqual(
      expect.arrayContaining([
        {
          path: '$.grade.weights.potential',
          kind: 'changed',
          before: base.grade.weights['potential'],
          after: fixed.grade.weights.potential,
        },
        { path: '$.description', kind: 'changed', before: expect.any(String), after: base.description },
      ]),
    );
  });

  it('still publishes when Temporal cannot be reached, and says so', async () => {
    const saved = process.env['TEMPORAL_ADDRESS'];
    process.env['TEMPORAL_ADDRESS'] = '127.0.0.1:1';
    try {
      const real = editorActions(getDb);
      const published = (await getPublished(database.db, 'healthcare'))!;
      await real.save(
        event(admin, {
          industry: 'healthcare',
          form: {
            document: JSON.stringify({ ...(published.document as object), description: 'v2' }),
            revision: '',
            basedOn: String(published.version),
          },
        }),
      );
      const to = await redirected(() =>
        real.publish(event(admin, { industry: 'healthcare', form: { comment: 'Reworded', revision: '1' } })),
      );
      expect(to.searchParams.get('temporal')).toBe('down');
      expect(to.searchParams.get('signalled')).toBe('0');
      expect((await getPublished(database.db, 'healthcare'))!.version).toBe(published.version! + 1);
    } finally {
      if (saved === undefined) delete process.env['TEMPORAL_ADDRESS'];
      else process.env['TEMPORAL_ADDRESS'] = saved;
    }
  }, 20_000);

  it('rolls back by publishing an older version again, with a comment', async () => {
    const rollback = historyActions(getDb, { signal: fakeSignal }).rollback;
    const missing = await rollback(event(admin, { industry: 'retail', form: { version: '1', comment: '' } }));
    expect(failure(missing)?.data).toMatchObject({ missingComment: true });
    const current = await rollback(event(admin, { industry: 'retail', form: { version: '2', comment: 'x' } }));
    expect(failure(current)?.data).toMatchObject({ message: 'current' });
    const to = await redirected(() =>
      rollback(event(admin, { industry: 'retail', form: { version: '1', comment: 'Back to the defaults' } })),
    );
    expect(Object.fromEntries(to.searchParams)).toMatchObject({ published: '3', rolledBack: '1' });
    const versions = await history(database.db, 'retail');
    expect(versions.map((v) => [v.version, v.status, v.basedOnVersion, v.comment])).toEqual([
      [3, 'published', 1, 'Back to the defaults'],
      [2, 'archived', 1, 'Potential matters more in retail'],
      [1, 'archived', null, expect.stringContaining('default rule set')],
    ]);
    expect((await getPublished(database.db, 'retail'))!.document).toEqual((await getVersion(database.db, 'retail', 1))!.document);
  });

  it('does not discard a draft someone saved since the page was loaded', async () => {
    const draft = await createDraft(database.db, 'government', other.email);
    await editDraft(database.db, 'government', {
      document: { industry: 'government' },
      baseRevision: draft.revision,
      by: other.email,
    });
    const refused = await actions.discard(event(admin, { industry: 'government', form: { revision: '0' } }));
    expect(failure(refused)?.status).toBe(409);
    expect(await getDraft(database.db, 'government')).toBeDefined();
    const to = await redirected(() => actions.discard(event(admin, { industry: 'government', form: { revision: '1' } })));
    expect(to.pathname).toBe('/rules/government');
    expect(await getDraft(database.db, 'government')).toBeUndefined();
  });
});

// ---- signalling the workflows ------------------------------------------------------------------------

describe('rulesPublished signal', () => {
  it('goes to every account of the industry, a bounded number at a time, and counts what happened', async () => {
    const ids = await listAccountIds(database.db, { industry: 'finance' });
    let inFlight = 0;
    let most = 0;
    const sent: string[] = [];
    const client: SignalClient = {
      workflow: {
        getHandle: (workflowId) => ({
          signal: async (name, payload) => {
            inFlight++;
            most = Math.max(most, inFlight);
            await new Promise((r) => setTimeout(r, 2));
            inFlight--;
            expect(name.name).toBe('rulesPublished');
            expect(payload).toEqual({ industry: 'finance', version: 7 });
            const n = sent.push(workflowId);
            if (n % 10 === 0) throw Object.assign(new Error('not found'), { name: 'WorkflowNotFoundError' });
            if (n % 25 === 0) throw new Error('unavailable');
          },
        }),
      },
    };
    const report = await signalRulesPublished(database.db, { industry: 'finance', version: 7 }, { client, concurrency: 4 });
    expect(sent.sort()).toEqual(ids.map((id) => `account:${id}`).sort());
    expect(most).toBe(4);
    const notFound = Math.floor(ids.length / 10);
    const failed = Math.floor(ids.length / 25) - Math.floor(ids.length / 50);
    expect(report).toMatchObject({
      reachable: true,
      targets: ids.length,
      notRunning: notFound,
      failed,
      signalled: ids.length - notFound - failed,
    });
    expect(report.errors.length).toBe(Math.min(5, failed));
  });

  it('gives up at its deadline when Temporal takes the calls and never answers: the rest count as failed', async () => {
    let tried = 0;
    // Every signal hangs: without the deadline, 400 accounts would take 25 rounds of the 5 s signal timeout.
    const client: SignalClient = {
      workflow: { getHandle: () => ({ signal: () => (tried++, new Promise<void>(() => undefined)) }) },
    };
    const report = await signalRulesPublished(database.db, { industry: '*', version: 2 }, { client, deadlineMs: 200 });
    expect(report).toMatchObject({ reachable: true, targets: 400, signalled: 0, notRunning: 0, failed: 400 });
    // One round of 16 was tried; the others were never sent.
    expect(tried).toBe(16);
    expect(report.errors[0]).toBe('384 not tried within 200 ms');
  });

  it('goes to every account for the fallback', async () => {
    const sent: string[] = [];
    const client: SignalClient = { workflow: { getHandle: (id) => ({ signal: async () => void sent.push(id) }) } };
    const report = await signalRulesPublished(database.db, { industry: '*', version: 2 }, { client });
    expect(report.signalled).toBe(400);
    expect(sent.length).toBe(400);
  });
});

// ---- the test bench ------------------------------------------------------------------------------------

describe('test bench', () => {
  it('runs an account through every stage with the draft and the published rules', async () => {
    const [id] = await listAccountIds(database.db, { industry: 'energy' });
    const page = await benchLoad(getDb)(
      event(admin, { industry: 'energy', url: `http://localhost/rules/energy/test?account=${id}&overdueVisits=2` }),
    );
    expect(page.run?.account.id).toBe(id);
    // The energy draft of the mapping test above is invalid: its problems, not a result.
    expect(page.run?.draft).toMatchObject({ ok: false });
    const stages = page.run!.published;
    expect(stages.ruleSet).toMatchObject({ industry: 'energy', version: 1 });
    expect(Object.keys(stages)).toEqual([
      'ruleSet',
      'profile',
      'grade',
      'classify',
      'relationship',
      'coverage',
      'strategy',
      'investment',
      'plan',
      'health',
    ]);
    expect(stages.strategy.trace.rules.length).toBeGreaterThan(0);
    expect(stages.health.trace.rules.length).toBeGreaterThan(0);
    expect(page.ctx.overdueVisits).toBe(2);
  });

  it('on the fallback’s page, decides each account with its own industry’s rules', async () => {
    const [id] = await listAccountIds(database.db, { industry: 'finance' });
    const page = await benchLoad(getDb)(event(admin, { industry: '*', url: `http://localhost/rules/*/test?account=${id}` }));
    expect(page.run?.published.ruleSet).toMatchObject({ industry: 'finance' });
    expect(page.run?.draft).toBeNull();
  });

  it('finds accounts of the industry by name or id', async () => {
    const [account] = await getAccounts(database.db, (await listAccountIds(database.db, { industry: 'energy' })).slice(0, 1));
    const byName = await benchLoad(getDb)(
      event(admin, {
        industry: 'energy',
        url: `http://localhost/rules/energy/test?q=${encodeURIComponent(account!.name.slice(2, 8))}`,
      }),
    );
    expect(byName.matches.map((m) => m.id)).toContain(account!.id);
    expect(byName.matches.every((m) => m.industry === 'energy')).toBe(true);
    const byId = await benchLoad(getDb)(
      event(admin, { industry: 'energy', url: `http://localhost/rules/energy/test?q=${account!.id}` }),
    );
    expect(byId.matches[0]?.id).toBe(account!.id);
  });

  it('validates a pasted account field by field', async () => {
    const paste = benchActions(getDb).paste;
    const bad = await paste(
      event(admin, {
        industry: 'finance',
        form: {
          account: JSON.stringify({
            id: 'p1',
            name: 'Pasted',
            status: 'sleeping',
            potential: -1,
            demonstration: 50,
            winnability: 50,
            contacts: [{ id: 'c1', name: 'C', influence: 9, stance: 0 }],
          }),
        },
      }),
    );
    expect(failure(bad)?.data).toMatchObject({
      issues: expect.arrayContaining([
        expect.objectContaining({ path: '$.revenueWithUs', message: 'is required' }),
        expect.objectContaining({ path: '$.status' }),
        expect.objectContaining({ path: '$.potential' }),
        expect.objectContaining({ path: '$.contacts[0].influence' }),
      ]),
    });
    const notJson = await paste(event(admin, { industry: 'finance', form: { account: '{' } }));
    expect(failure(notJson)?.data).toMatchObject({ jsonError: expect.any(String) });
    const good = await paste(
      event(admin, {
        industry: 'finance',
        form: {
          account: JSON.stringify({
            id: 'p1',
            name: 'Pasted',
            industry: 'finance',
            status: 'active',
            revenueWithUs: 30_000_000,
            potential: 150_000_000,
            demonstration: 70,
            winnability: 80,
          }),
          planStrategy: 'retain',
        },
      }),
    );
    expect(isActionFailure(good)).toBe(false);
    const run = (
      good as { run: { draft: unknown; published: { grade: { tier: string; score: number }; health: { trace: unknown } } } }
    ).run;
    expect(run.draft).toBeNull();
    // revenue 30M → 85 and potential 150M → 85 on finance's doubled bands, 70 → 75, 80 → 100:
    // 0.35·85 + 0.30·85 + 0.15·75 + 0.20·100 = 86.5 → T1.
    expect(run.published.grade).toMatchObject({ score: 86.5, tier: 'T1' });
  });
});

// ---- what-if, small --------------------------------------------------------------------------------------

describe('what-if', () => {
  it('loads the same accounts in bulk as one by one', async () => {
    const ids = await listAccountIds(database.db, { industry: 'finance' });
    expect(await loadAccountsBulk(database.db, { industries: ['finance'] })).toEqual(await getAccounts(database.db, ids));
    expect((await loadAccountsBulk(database.db, { all: true })).length).toBe(400);
    expect(await loadAccountsBulk(database.db, { industries: [] })).toEqual([]);
  });

  it('moves exactly the accounts whose decisions change, checked account by account', async () => {
    const draft = {
      industry: 'finance',
      extends: '*',
      grade: { bandScale: { revenue: 2, potential: 2 }, tierPolicy: { thresholds: { T1: 75, T2: 60, T3: 40 } } },
      strategy: { rules: [{ name: 'retain', remove: true }] },
    };
    const result = await runWhatIf(database.db, 'finance', draft, { pageSize: 500 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const accounts = await getAccounts(database.db, await listAccountIds(database.db, { industry: 'finance' }));
    const before = compileRuleSet((await getEffective(database.db, 'finance')).ruleSet, {
      industry: 'finance',
      version: 1,
      baseVersion: 1,
    });
    const v = resolveRuleSet((await getPublished(database.db, '*'))!.document, draft);
    if (!v.ok) throw new Error('draft invalid');
    const after = compileRuleSet(v.ruleSet, { industry: 'finance', version: null, baseVersion: 1 });
    const expected = accounts.filter((a) => {
      const b = decideAccount(a, before);
      const d = decideAccount(a, after);
      return b.tier !== d.tier || b.class !== d.class || b.strategy !== d.strategy;
    });
    expect(expected.length).toBeGreaterThan(0);
    expect(result.counts.accounts).toBe(accounts.length);
    expect(result.changed.rows.map((r) => r.id).sort()).toEqual(expected.map((a) => a.id).sort());
    const row = result.changed.rows[0]!;
    expect(row.after.why?.thresholds).toEqual({ T1: 75, T2: 60, T3: 40 });
    expect(row.before.why?.ruleSet).toMatchObject({ industry: 'finance', version: 1 });
    expect(
      Object.values(result.tierMatrix)
        .flatMap((r) => Object.values(r))
        .reduce((s, n) => s + n, 0),
    ).toBe(accounts.length);
  });

  it('answers the problems of an invalid draft instead of evaluating it', async () => {
    const result = await runWhatIf(database.db, 'finance', { industry: 'finance', grade: { weights: { revenue: 0.9 } } });
    expect(result).toMatchObject({ ok: false, invalidIndustry: 'finance' });
    expect(!result.ok && result.issues.map((i) => i.code)).toContain('weights.sum');
  });

  it('loads through the page with the draft of the industry', async () => {
    const load = whatIfLoad(getDb);
    const none = await load(event(admin, { industry: 'finance', url: 'http://localhost/rules/finance/whatif' }));
    expect(none).toMatchObject({ draft: null, result: null });
    const published = (await getPublished(database.db, 'finance'))!;
    await editorActions(getDb).save(
      event(admin, {
        industry: 'finance',
        form: {
          document: JSON.stringify({ ...(published.document as object), grade: { bandScale: { revenue: 1, potential: 1 } } }),
          revision: '',
          basedOn: String(published.version),
        },
      }),
    );
    const page = await load(
      event(admin, { industry: 'finance', url: 'http://localhost/rules/finance/whatif?change=tier&page=1' }),
    );
    expect(page.draft).toMatchObject({ revision: 1, valid: true });
    expect(page.filter).toEqual({
      kind: 'tier',
      tierFrom: undefined,
      tierTo: undefined,
      classFrom: undefined,
      classTo: undefined,
    });
    expect(page.result?.ok && page.result.counts.tierUp).toBeGreaterThan(0);
    expect(page.result?.ok && page.result.changed.rows.every((r) => r.changes.tier)).toBe(true);
  });
});

// ---- the admin role, everywhere ----------------------------------------------------------------------

describe('role enforcement', () => {
  const handlers: [string, (e: RulesEvent) => Promise<unknown>][] = [
    ['index load', indexLoad(getDb)],
    ['editor load', editorLoad(getDb)],
    ...Object.entries(editorActions(getDb, { signal: fakeSignal })).map(
      ([k, f]) => [`editor action ${k}`, f] as [string, (e: RulesEvent) => Promise<unknown>],
    ),
    ['validate endpoint', validateHandler(getDb)],
    ['history load', historyLoad(getDb)],
    ...Object.entries(historyActions(getDb, { signal: fakeSignal })).map(
      ([k, f]) => [`history action ${k}`, f] as [string, (e: RulesEvent) => Promise<unknown>],
    ),
    ['what-if load', whatIfLoad(getDb)],
    ...Object.entries(whatIfActions(getDb, { signal: fakeSignal })).map(
      ([k, f]) => [`what-if action ${k}`, f] as [string, (e: RulesEvent) => Promise<unknown>],
    ),
    ['what-if CSV download', whatIfCsvGet(getDb)],
    ['test bench load', benchLoad(getDb)],
    ...Object.entries(benchActions(getDb)).map(
      ([k, f]) => [`test bench action ${k}`, f] as [string, (e: RulesEvent) => Promise<unknown>],
    ),
  ];

  it.each(handlers)('%s refuses a manager (403) and a signed-out visitor (401) before doing anything', async (_name, handler) => {
    const before = await history(database.db, 'finance');
    const form = { document: '{"industry":"finance"}', revision: '', comment: 'x', version: '1', account: '{}' };
    for (const [user, status] of [
      [manager, 403],
      [null, 401],
    ] as const) {
      let thrown: unknown;
      try {
        await handler(event(user, { industry: 'finance', form }));
      } catch (e) {
        thrown = e;
      }
      expect(isHttpError(thrown, status), `${_name} as ${user?.role ?? 'nobody'}`).toBe(true);
    }
    expect(await history(database.db, 'finance')).toEqual(before);
  });

  it('covers every server entry point of the rule pages', () => {
    const dir = join(ROOT, 'studio', 'src', 'routes', 'rules');
    const files = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /^\+(page|layout)\.server\.ts$|^\+server\.ts$/.test(e.name))
      .map((e) => join(e.parentPath, e.name));
    const factories =
      /\b_(indexLoad|editorLoad|editorActions|validateHandler|historyLoad|historyActions|whatIfLoad|whatIfActions|whatIfCsvGet|benchLoad|benchActions)\(db\)/;
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      const exports = [...source.matchAll(/^export const (\w+)[^=]*=\s*(.*);$/gm)];
      const rel = relative(ROOT, file);
      if (rel.endsWith(join('rules', '+layout.server.ts'))) {
        expect(source).toContain("requireRole(locals, 'admin')");
        continue;
      }
      expect(exports.length, rel).toBeGreaterThan(0);
      for (const [, name, value] of exports) expect(value, `${rel}: ${name}`).toMatch(factories);
    }
    expect(files.length).toBe(8);
  });
});

describe('rule-set settings in words', () => {
  const wording = (locale: Locale): Wording => ({
    t: (key, params) => translate(locale, key, params),
    label: (ns, v) => (v && isMessageKey(`${ns}.${v}`) ? translate(locale, `${ns}.${v}` as never) : (v ?? '')),
    number: (n) => new Intl.NumberFormat(locale).format(n ?? 0),
  });
  const en = wording('en');
  const zh = wording('zh-CN');

  it('words a change as a sentence in either language', () => {
    const change = { path: '$.grade.tierPolicy.thresholds.T1', kind: 'changed', before: 80, after: 75 };
    expect(changeSentence(change, en)).toBe('Tier T1 threshold: 80 → 75');
    expect(changeSentence(change, zh)).toBe('T1 级最低分：80 → 75');
    expect(changeSentence({ path: '$.strategy.fallback', kind: 'changed', before: 'retain', after: 'grow' }, zh)).toBe(
      '五类策略 › 没有规则满足时：客户维系 → 客户提升',
    );
    expect(changeSentence({ path: '$.plan.approvalTiers', kind: 'changed', before: ['T1'], after: ['T1', 'T2'] }, en)).toBe(
      'Tiers whose plans need approval: T1 → T1, T2',
    );
    const names = (_list: readonly (string | number)[], i: number) => (i === 1 ? 'win-back-declining' : undefined);
    expect(settingLabel('$.strategy.rules[1].event.params.strategy', en, names)).toBe(
      'Strategy rule “win-back-declining” › Strategy',
    );
    expect(settingLabel('$.strategy.rules[3].priority', en, names)).toBe('Strategy rule 4 › Priority');
  });

  it('names every setting of the default rule set and of a diff touching all of it, with no raw path or key', () => {
    const base = JSON.parse(readFileSync(join(ROOT, 'rules/defaults/base.json'), 'utf8')) as Record<string, unknown>;
    // Every leaf changes: numbers up, strings reversed, so the diff lists every setting there is.
    const bump = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(bump)
        : typeof v === 'object' && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bump(x)]))
          : typeof v === 'number'
            ? v + 1
            : typeof v === 'string'
              ? `${v}!`
              : v;
    const changes = diffRuleSets(base, bump(base)).filter((c) => !['$.industry', '$.$schema'].includes(c.path));
    expect(changes.length).toBeGreaterThan(100);
    for (const w of [en, zh])
      for (const c of changes) {
        const label = settingLabel(c.path, w);
        expect(label, c.path).not.toMatch(/^\$|rules\.|profileItem\.|undefined/);
      }
  });
});
