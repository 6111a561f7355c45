/** The rule-set editor (admins only): the draft against the published set, saving with optimistic concurrency, and publishing. */
import { error, fail, redirect, type ActionFailure } from '@sveltejs/kit';
import type { Db } from '$db/client.js';
import { listAccounts } from '$db/repositories/accounts.js';
import { ConflictError, NotFoundError } from '$db/repositories/errors.js';
import { createDraft, discardDraft, editDraft, getDraft, getPublished, validateDocument } from '$db/repositories/rule-sets.js';
import {
  CLASSES,
  DIMENSIONS,
  FLAGS,
  HEALTHS,
  INVESTMENT_LEVELS,
  LEVELS,
  LINES,
  PRESALES_TIERS,
  ROLES,
  STRATEGIES,
  TIERS,
  TRACKS,
} from '$engine/model.js';
import { factsFor, RULE_SECTIONS, type FactDefinition } from '$engine/json-rules/facts.js';
import { checkConditions, RULE_OPERATORS } from '$engine/ruleset-format/conditions.js';
import { overriddenPaths } from '$engine/ruleset-format/override.js';
import { FALLBACK_INDUSTRY, INTERACTION_LEVELS, PROFILE_ITEMS, TACTIC_ROLES } from '$engine/ruleset-format/schema.js';
import { jsonPath } from '$lib/components/rules/paths.js';
import type {
  AffectedView,
  ConflictView,
  EditorData,
  FactInfo,
  FactKind,
  IssueView,
  RuleVocabulary,
} from '$lib/components/rules/types.js';
import type { SessionUser } from '$lib/user.js';
import { requireRole } from '$lib/server/guards.js';
import {
  type RulesEvent,
  type GetDb,
  type HandlerOptions,
  MAX_DOCUMENT_BYTES,
  industryParam,
  rulesPath,
  issueViews,
  affectedViews,
  userNames,
  named,
  conflictView,
  intOrNull,
  who,
  formOf,
  text,
  publishAction,
} from '$lib/server/rule-set-pages.js';
import { db } from '$lib/server/db.js';
import type { Actions, PageServerLoad } from './$types.js';

function factKind(f: FactDefinition): FactKind {
  return f.type.kind;
}

function factInfo(f: FactDefinition): FactInfo {
  const t = f.type;
  return { name: f.name, kind: factKind(f), values: t.kind === 'enum' || t.kind === 'set' ? [...t.values] : [] };
}

let vocabulary: RuleVocabulary | undefined;

/**
 * The facts, operators and enums the condition builder offers. Which operators fit which fact type
 * is asked of the validator itself (a trial condition per type and operator), so the builder can
 * never offer a combination `esp rules validate` would reject.
 */
export function _ruleVocabulary(): RuleVocabulary {
  if (vocabulary) return vocabulary;
  const samples: Record<FactKind, FactDefinition> = {
    number: factsFor('flags').find((f) => f.type.kind === 'number')!,
    string: factsFor('flags').find((f) => f.type.kind === 'string')!,
    enum: factsFor('flags').find((f) => f.type.kind === 'enum')!,
    set: factsFor('coverage').find((f) => f.type.kind === 'set')!,
  };
  const scalar = (f: FactDefinition): unknown =>
    f.type.kind === 'number' ? 1 : f.type.kind === 'string' ? 'x' : (f.type as { values: readonly string[] }).values[0];
  const passes = (f: FactDefinition, operator: string, value: unknown) =>
    checkConditions({ all: [{ fact: f.name, operator, value }] }, f.type.kind === 'set' ? 'coverage' : 'flags', []).length === 0;
  const operators = {} as Record<FactKind, string[]>;
  const listOperators = new Set<string>();
  for (const kind of ['number', 'string', 'enum', 'set'] as const) {
    const f = samples[kind];
    operators[kind] = RULE_OPERATORS.filter((op) => {
      if (passes(f, op, scalar(f))) return true;
      if (passes(f, op, [scalar(f)])) {
        listOperators.add(op);
        return true;
      }
      return false;
    });
  }
  vocabulary = {
    facts: Object.fromEntries(RULE_SECTIONS.map((s) => [s, factsFor(s).map(factInfo)])) as RuleVocabulary['facts'],
    operators,
    listOperators: [...listOperators],
    enums: {
      dimensions: [...DIMENSIONS],
      tiers: [...TIERS],
      classes: [...CLASSES],
      levels: [...LEVELS],
      flags: [...FLAGS],
      lines: [...LINES],
      presalesTiers: [...PRESALES_TIERS],
      tracks: [...TRACKS],
      strategies: [...STRATEGIES],
      investmentLevels: [...INVESTMENT_LEVELS],
      healths: [...HEALTHS],
      profileItems: [...PROFILE_ITEMS],
      interactionLevels: [...INTERACTION_LEVELS],
      tacticRoles: [...TACTIC_ROLES],
      roles: [...ROLES],
    },
  };
  return vocabulary;
}

async function accountCount(database: Db, industry: string): Promise<number> {
  if (industry !== FALLBACK_INDUSTRY) return (await listAccounts(database, { industry }, { pageSize: 1 })).total;
  return (await listAccounts(database, {}, { pageSize: 1 })).total;
}

async function editorData(database: Db, industry: string): Promise<EditorData> {
  const fallback = industry === FALLBACK_INDUSTRY;
  const [published, draft, base] = await Promise.all([
    getPublished(database, industry),
    getDraft(database, industry),
    fallback ? Promise.resolve(undefined) : getPublished(database, FALLBACK_INDUSTRY),
  ]);
  if (fallback && !published) error(404, 'Not found');
  const document = draft?.document ?? published?.document ?? { industry, extends: FALLBACK_INDUSTRY };
  const check = await validateDocument(database, industry, document);
  const names = await userNames(database, [draft?.editedBy, draft?.createdBy, published?.publishedBy]);
  return {
    industry,
    fallback,
    base: fallback ? null : (base?.document ?? null),
    document,
    revision: draft?.revision ?? null,
    publishedVersion: published?.version ?? null,
    draft: draft
      ? {
          by: draft.editedBy ?? draft.createdBy,
          at: draft.editedAt ?? draft.createdAt,
          basedOnVersion: draft.basedOnVersion,
          stale: (published?.version ?? null) !== draft.basedOnVersion,
        }
      : null,
    published: published ? { comment: published.comment, by: published.publishedBy, at: published.publishedAt } : null,
    valid: check.ok,
    issues: issueViews(check.issues),
    affected: affectedViews(check.affected),
    overridden: fallback ? [] : overriddenPaths(document).map((p) => jsonPath(p)),
    accounts: await accountCount(database, industry),
    vocabulary: _ruleVocabulary(),
    names,
  };
}

export function _editorLoad(getDb: GetDb) {
  return async ({ locals, params }: Pick<RulesEvent, 'locals' | 'params'>) => {
    requireRole(locals, 'admin');
    return editorData(await getDb(), industryParam(params));
  };
}

type SaveResult =
  | { action: 'save'; saved: true; revision: number; valid: boolean; issues: IssueView[]; affected: AffectedView[] }
  | { action: 'save'; saved: false; document: string; jsonError?: string; conflict?: ConflictView; notObject?: boolean };

/** Parses the posted document; a failure is answered with the text as posted, so nothing typed is lost. */
function parseDocument(
  text: string,
): { ok: true; document: Record<string, unknown> } | { ok: false; failure: ActionFailure<SaveResult> } {
  if (text.length > MAX_DOCUMENT_BYTES)
    return { ok: false, failure: fail(413, { action: 'save', saved: false, document: '', jsonError: 'too large' }) };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    return { ok: false, failure: fail(400, { action: 'save', saved: false, document: text, jsonError: (e as Error).message }) };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return { ok: false, failure: fail(400, { action: 'save', saved: false, document: text, notObject: true }) };
  return { ok: true, document: document as Record<string, unknown> };
}

/**
 * Saves the editor's document as the industry's draft. `revision` is the draft revision the admin
 * edited (empty: there was no draft, the edit started from published version `basedOn`); anything
 * saved in between is a conflict, reported with who saved when, and never overwritten.
 */
export async function _saveDraft(
  database: Db,
  user: SessionUser,
  industry: string,
  form: { document: string; revision: number | null; basedOn: number | null },
): Promise<SaveResult | ActionFailure<SaveResult>> {
  const parsed = parseDocument(form.document);
  if (!parsed.ok) return parsed.failure;
  let baseRevision = form.revision;
  if (baseRevision === null) {
    let draft;
    try {
      draft = await createDraft(database, industry, who(user), { basedOn: form.basedOn });
    } catch (e) {
      // Published since this page was loaded: refused without leaving an empty draft behind.
      if (!(e instanceof ConflictError)) throw e;
      return fail(
        409,
        await named(database, {
          action: 'save' as const,
          saved: false as const,
          document: form.document,
          conflict: conflictView(e, null),
        }),
      );
    }
    // Someone else started (and maybe edited) a draft since this page was loaded, or published.
    if (draft.revision !== 0 || draft.basedOnVersion !== form.basedOn) {
      const at = draft.editedAt ?? draft.createdAt;
      return fail(
        409,
        await named(database, {
          action: 'save' as const,
          saved: false as const,
          document: form.document,
          conflict: {
            kind: 'draft' as const,
            by: draft.editedBy ?? draft.createdBy,
            at: at.toISOString(),
            revision: draft.revision,
            base: null,
          },
        }),
      );
    }
    baseRevision = 0;
  }
  try {
    const row = await editDraft(database, industry, { document: parsed.document, baseRevision, by: who(user) });
    const check = await validateDocument(database, industry, row.document);
    return {
      action: 'save',
      saved: true,
      revision: row.revision,
      valid: check.ok,
      issues: issueViews(check.issues),
      affected: affectedViews(check.affected),
    };
  } catch (e) {
    if (e instanceof ConflictError)
      return fail(
        409,
        await named(database, {
          action: 'save' as const,
          saved: false as const,
          document: form.document,
          conflict: conflictView(e, baseRevision),
        }),
      );
    if (e instanceof NotFoundError)
      return fail(409, {
        action: 'save' as const,
        saved: false as const,
        document: form.document,
        conflict: { kind: 'published' as const, by: null, at: null, revision: null, base: baseRevision },
      });
    throw e;
  }
}

export function _editorActions(getDb: GetDb, opts: HandlerOptions = {}) {
  return {
    save: async ({ locals, params, request }: RulesEvent) => {
      const user = requireRole(locals, 'admin');
      const industry = industryParam(params);
      const form = await formOf(request);
      const result = await _saveDraft(await getDb(), user, industry, {
        document: text(form, 'document'),
        revision: intOrNull(form.get('revision')),
        basedOn: intOrNull(form.get('basedOn')),
      });
      const next = text(form, 'next');
      if ('saved' in result && result.saved && (next === 'whatif' || next === 'test'))
        redirect(303, rulesPath(industry, `/${next}`));
      return result;
    },
    publish: publishAction(getDb, opts),
    discard: async ({ locals, params, request }: RulesEvent) => {
      requireRole(locals, 'admin');
      const industry = industryParam(params);
      const form = await formOf(request);
      const database = await getDb();
      const draft = await getDraft(database, industry);
      const revision = intOrNull(form.get('revision'));
      // Discarding what someone else saved since the page was loaded would lose their work unseen.
      if (draft && revision !== null && draft.revision !== revision) {
        const at = draft.editedAt ?? draft.createdAt;
        return fail(
          409,
          await named(database, {
            action: 'discard' as const,
            conflict: {
              kind: 'draft' as const,
              by: draft.editedBy ?? draft.createdBy,
              at: at.toISOString(),
              revision: draft.revision,
              base: revision,
            },
          }),
        );
      }
      await discardDraft(database, industry);
      redirect(303, `${rulesPath(industry)}?discarded`);
    },
  };
}

export const load: PageServerLoad = _editorLoad(db);
export const actions: Actions = _editorActions(db);
