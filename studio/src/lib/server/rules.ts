/**
 * The server side of the rule pages (admins only): loads and form actions for the index, the
 * editor, the history, the what-if and the test bench. Route files only bind these to SvelteKit,
 * which keeps the role checks in one place and testable: every load and action below starts with
 * `requireRole(locals, 'admin')`, before it reads anything.
 *
 * Handlers are made from a `getDb` function so that tests can run them on their own database.
 */
import { error, fail, redirect, type ActionFailure } from '@sveltejs/kit';
import { eq, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../../../../db/client.js';
import { accountFacets, getAccount, listAccounts } from '../../../../db/repositories/accounts.js';
import { BadRequestError, ConflictError, InvalidRuleSetError, NotFoundError } from '../../../../db/repositories/errors.js';
import {
  createDraft,
  diffVersions,
  discardDraft,
  editDraft,
  getDraft,
  getEffective,
  getPublished,
  history,
  listIndustries,
  publish,
  rollback,
  validateDocument,
  type AffectedIndustry,
  type PublishResult,
  type VersionRef,
} from '../../../../db/repositories/rule-sets.js';
import { ruleSets, users } from '../../../../db/schema.js';
import { parseAccounts } from '../../../../engine/accounts-input.js';
import { compileRuleSet, type EspRules } from '../../../../engine/compiled-rule-set.js';
import { explainMonitor, type RuleListTrace } from '../../../../engine/explain.js';
import {
  CLASSES,
  DIMENSIONS,
  FLAGS,
  HEALTHS,
  INVESTMENT_LEVELS,
  LEVELS,
  LINES,
  PRESALES_TIERS,
  STRATEGIES,
  TIERS,
  TRACKS,
  type Account,
  type Strategy,
} from '../../../../engine/model.js';
import { decideAccount } from '../../../../engine/pipeline.js';
import { factsFor, RULE_SECTIONS, type FactDefinition } from '../../../../engine/json-rules/facts.js';
import { checkConditions, RULE_OPERATORS } from '../../../../engine/ruleset-format/conditions.js';
import type { Issue } from '../../../../engine/ruleset-format/issues.js';
import { overriddenPaths } from '../../../../engine/ruleset-format/override.js';
import { FALLBACK_INDUSTRY } from '../../../../engine/ruleset-format/schema.js';
import { resolveRuleSet } from '../../../../engine/ruleset-format/validate.js';
import { revenueObjective } from '../../../../engine/stages/plan.js';
import { fieldFor, jsonPath } from '../components/rules/paths.js';
import type {
  AffectedView,
  BenchRun,
  ConflictView,
  EditorData,
  FactInfo,
  FactKind,
  IssueView,
  RuleVocabulary,
  StageView,
  TraceView,
} from '../components/rules/types.js';
import type { SessionUser } from '../user.js';
import { requireRole } from './guards.js';
import { runWhatIf, type ChangeFilter, type ChangeKind, type WhatIfResult } from './whatif.js';
import { signalRulesPublished, type SignalReport } from './workflows.js';

/** What the handlers use of SvelteKit's `RequestEvent`. */
export interface RulesEvent {
  locals: { user: SessionUser | null };
  params: Partial<Record<string, string>>;
  request: Request;
  url: URL;
}

type GetDb = () => Promise<Db>;

/** How a publish tells the workflows; tests replace it. */
export type Signaller = (db: Db, published: { industry: string; version: number }) => Promise<SignalReport>;

export interface HandlerOptions {
  signal?: Signaller;
}

const MAX_DOCUMENT_BYTES = 1_000_000;

// ---- shared --------------------------------------------------------------------------------------

/** The industry of the URL: `*` or a name as accounts carry it; anything else is not a page. */
export function industryParam(params: RulesEvent['params']): string {
  const industry = params['industry'] ?? '';
  if (industry.length === 0 || industry.length > 100 || /[\u0000-\u001f\u007f/]/.test(industry) || industry !== industry.trim())
    error(404, 'Not found');
  return industry;
}

export function rulesPath(industry: string, sub = ''): string {
  return `/rules/${encodeURIComponent(industry)}${sub}`;
}

export function issueViews(issues: readonly Issue[]): IssueView[] {
  return issues.map((i) => ({ path: i.path, code: i.code, params: i.params, message: i.message, field: fieldFor(i.path) }));
}

function affectedViews(affected: readonly Pick<AffectedIndustry, 'industry' | 'version' | 'issues'>[]): AffectedView[] {
  return affected
    .filter((a) => a.issues.length > 0)
    .map((a) => ({ industry: a.industry, version: a.version, issues: issueViews(a.issues) }));
}

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
export function ruleVocabulary(): RuleVocabulary {
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
    },
  };
  return vocabulary;
}

/** Display names for the users named in `by` columns (stored as e-mail addresses, or older ids). */
async function userNames(database: Db, values: readonly (string | null | undefined)[]): Promise<Record<string, string>> {
  const wanted = [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0))];
  if (wanted.length === 0) return {};
  const rows = await database
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(
      or(
        inArray(users.id, wanted),
        inArray(
          sql`lower(${users.email})`,
          wanted.map((w) => w.toLowerCase()),
        ),
      ),
    );
  const out: Record<string, string> = {};
  for (const w of wanted) {
    const row = rows.find((r) => r.id === w || r.email.toLowerCase() === w.toLowerCase());
    if (row) out[w] = row.name;
  }
  return out;
}

/** Adds the display name of who changed it first, so the message names a person, not an address. */
async function named<T extends { conflict: ConflictView }>(database: Db, data: T): Promise<T> {
  const by = data.conflict.by;
  if (!by) return data;
  return { ...data, conflict: { ...data.conflict, name: (await userNames(database, [by]))[by] ?? null } };
}

function conflictView(e: ConflictError, base: number | null): ConflictView {
  const at = e.details.at;
  return {
    kind: e.details.revision === undefined ? 'published' : 'draft',
    by: e.details.by ?? null,
    at: at instanceof Date ? at.toISOString() : at ? String(at) : null,
    revision: e.details.revision ?? null,
    base,
  };
}

function intOrNull(v: unknown): number | null {
  if (typeof v !== 'string' || v.trim() === '') return null;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

const who = (user: SessionUser) => user.email;

// ---- the index -----------------------------------------------------------------------------------

export interface IndexRow {
  industry: string;
  hasOwnSet: boolean;
  accounts: number;
  published: { version: number; comment: string | null; by: string | null; at: Date | null } | null;
  draft: { revision: number; by: string | null; at: Date; valid: boolean; stale: boolean } | null;
}

export function indexLoad(getDb: GetDb) {
  return async ({ locals }: Pick<RulesEvent, 'locals'>) => {
    requireRole(locals, 'admin');
    const database = await getDb();
    const [sets, facets] = await Promise.all([listIndustries(database), accountFacets(database, 'industry')]);
    const counts = new Map(facets.map((f) => [f.value, f.count]));
    const drafts = await Promise.all(sets.map(async (s) => (s.draft ? await getDraft(database, s.industry) : undefined)));
    const rows: IndexRow[] = [];
    for (const [i, s] of sets.entries()) {
      const draft = drafts[i];
      const valid = draft ? (await validateDocument(database, s.industry, draft.document)).ok : false;
      rows.push({
        industry: s.industry,
        hasOwnSet: Boolean(s.published),
        accounts:
          s.industry === FALLBACK_INDUSTRY
            ? facets
                .filter((f) => f.value === null || !sets.some((x) => x.industry === f.value && x.published))
                .reduce((n, f) => n + f.count, 0)
            : (counts.get(s.industry) ?? 0),
        published: s.published
          ? {
              version: s.published.version!,
              comment: s.published.comment,
              by: s.published.publishedBy,
              at: s.published.publishedAt,
            }
          : null,
        draft: draft
          ? {
              revision: draft.revision,
              by: draft.editedBy ?? draft.createdBy,
              at: draft.editedAt ?? draft.createdAt,
              valid,
              stale: (s.published?.version ?? null) !== draft.basedOnVersion,
            }
          : null,
      });
    }
    // Industries that accounts carry but no rule set names: graded by `*` until an admin gives them one.
    const withoutSet = facets
      .filter((f): f is { value: string; count: number } => f.value !== null && !sets.some((s) => s.industry === f.value))
      .map((f) => ({ industry: f.value, accounts: f.count }))
      .sort((a, b) => a.industry.localeCompare(b.industry));
    const names = await userNames(
      database,
      rows.flatMap((r) => [r.published?.by, r.draft?.by]),
    );
    return { industries: rows, withoutSet, names };
  };
}

// ---- the editor ----------------------------------------------------------------------------------

async function accountCount(database: Db, industry: string): Promise<number> {
  if (industry !== FALLBACK_INDUSTRY) return (await listAccounts(database, { industry }, { pageSize: 1 })).total;
  return (await listAccounts(database, {}, { pageSize: 1 })).total;
}

export async function editorData(database: Db, industry: string): Promise<EditorData> {
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
    vocabulary: ruleVocabulary(),
    names,
  };
}

export function editorLoad(getDb: GetDb) {
  return async ({ locals, params }: Pick<RulesEvent, 'locals' | 'params'>) => {
    requireRole(locals, 'admin');
    return editorData(await getDb(), industryParam(params));
  };
}

export type SaveResult =
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
export async function saveDraft(
  database: Db,
  user: SessionUser,
  industry: string,
  form: { document: string; revision: number | null; basedOn: number | null },
): Promise<SaveResult | ActionFailure<SaveResult>> {
  const parsed = parseDocument(form.document);
  if (!parsed.ok) return parsed.failure;
  let baseRevision = form.revision;
  if (baseRevision === null) {
    const draft = await createDraft(database, industry, who(user));
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

export type PublishFailure = {
  action: 'publish';
  comment: string;
  missingComment?: boolean;
  noDraft?: boolean;
  conflict?: ConflictView;
  issues?: IssueView[];
  affected?: AffectedView[];
};

function publishedRedirect(industry: string, result: PublishResult, report: SignalReport): never {
  const q = new URLSearchParams({
    published: String(result.published.version),
    signalled: String(report.signalled),
    targets: String(report.targets),
    failed: String(report.failed),
  });
  if (!report.reachable) q.set('temporal', 'down');
  redirect(303, `${rulesPath(industry, '/history')}?${q}`);
}

async function afterPublish(
  database: Db,
  industry: string,
  result: PublishResult,
  signal: Signaller = signalRulesPublished,
): Promise<SignalReport> {
  const report = await signal(database, { industry, version: result.published.version! });
  if (!report.reachable || report.failed > 0)
    console.warn(
      `rules: ${industry} v${result.published.version} published; rulesPublished not delivered to every workflow ` +
        `(${report.signalled}/${report.targets} signalled, ${report.failed} failed): ${report.errors.join('; ')}`,
    );
  return report;
}

/** Publishes the draft the admin reviewed (at `revision`) with a comment, then tells the workflows. */
export async function publishDraft(
  database: Db,
  user: SessionUser,
  industry: string,
  form: { comment: string; revision: number | null },
  signal?: Signaller,
): Promise<ActionFailure<PublishFailure>> {
  const comment = form.comment.trim();
  if (!comment) return fail(400, { action: 'publish' as const, comment: form.comment, missingComment: true });
  let result: PublishResult;
  try {
    result = await publish(database, industry, {
      comment,
      by: who(user),
      ...(form.revision !== null ? { revision: form.revision } : {}),
    });
  } catch (e) {
    if (e instanceof ConflictError)
      return fail(
        409,
        await named(database, { action: 'publish' as const, comment: form.comment, conflict: conflictView(e, form.revision) }),
      );
    if (e instanceof InvalidRuleSetError)
      return fail(400, {
        action: 'publish' as const,
        comment: form.comment,
        issues: issueViews(e.issues),
        affected: affectedViews(e.affected),
      });
    if (e instanceof NotFoundError) return fail(400, { action: 'publish' as const, comment: form.comment, noDraft: true });
    if (e instanceof BadRequestError)
      return fail(400, { action: 'publish' as const, comment: form.comment, missingComment: true });
    throw e;
  }
  publishedRedirect(industry, result, await afterPublish(database, industry, result, signal));
}

async function formOf(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    error(400, 'Bad request');
  }
}

const text = (form: FormData, key: string) => {
  const v = form.get(key);
  return typeof v === 'string' ? v : '';
};

export function editorActions(getDb: GetDb, opts: HandlerOptions = {}) {
  return {
    save: async ({ locals, params, request }: RulesEvent) => {
      const user = requireRole(locals, 'admin');
      const industry = industryParam(params);
      const form = await formOf(request);
      const result = await saveDraft(await getDb(), user, industry, {
        document: text(form, 'document'),
        revision: intOrNull(form.get('revision')),
        basedOn: intOrNull(form.get('basedOn')),
      });
      const next = text(form, 'next');
      if ('saved' in result && result.saved && (next === 'whatif' || next === 'test'))
        redirect(303, rulesPath(industry, `/${next}`));
      return result;
    },
    publish: async ({ locals, params, request }: RulesEvent) => {
      const user = requireRole(locals, 'admin');
      const industry = industryParam(params);
      const form = await formOf(request);
      return publishDraft(
        await getDb(),
        user,
        industry,
        { comment: text(form, 'comment'), revision: intOrNull(form.get('revision')) },
        opts.signal,
      );
    },
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

/** Live validation as the admin types: the same checks as saving, without saving. */
export function validateHandler(getDb: GetDb) {
  return async ({ locals, params, request }: RulesEvent): Promise<Response> => {
    requireRole(locals, 'admin');
    const industry = industryParam(params);
    const body = await request.text();
    if (body.length > MAX_DOCUMENT_BYTES) return Response.json({ error: 'too large' }, { status: 413 });
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      return Response.json({ error: 'not JSON' }, { status: 400 });
    }
    const database = await getDb();
    const check = await validateDocument(database, industry, document);
    return Response.json({
      valid: check.ok,
      issues: issueViews(check.issues),
      affected: affectedViews(check.affected),
      overridden: industry === FALLBACK_INDUSTRY ? [] : overriddenPaths(document).map((p) => jsonPath(p)),
    });
  };
}

// ---- history, diff, rollback -----------------------------------------------------------------------

function versionRef(v: string | null): VersionRef | null {
  if (v === 'draft' || v === 'published') return v;
  const n = intOrNull(v);
  return n === null || n < 1 ? null : n;
}

export function historyLoad(getDb: GetDb) {
  return async ({ locals, params, url }: Pick<RulesEvent, 'locals' | 'params' | 'url'>) => {
    requireRole(locals, 'admin');
    const industry = industryParam(params);
    const database = await getDb();
    const [versions, draft] = await Promise.all([history(database, industry), getDraft(database, industry)]);
    const a = versionRef(url.searchParams.get('a'));
    const b = versionRef(url.searchParams.get('b'));
    let diff: {
      a: VersionRef;
      b: VersionRef;
      changes: { path: string; kind: string; before?: unknown; after?: unknown }[];
    } | null = null;
    let diffMissing = false;
    if (a !== null && b !== null) {
      try {
        diff = { a, b, changes: await diffVersions(database, industry, a, b) };
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        diffMissing = true;
      }
    }
    const q = url.searchParams;
    const notice = q.has('published')
      ? {
          kind: q.has('rolledBack') ? ('rolledBack' as const) : ('published' as const),
          version: intOrNull(q.get('published')),
          signalled: intOrNull(q.get('signalled')) ?? 0,
          targets: intOrNull(q.get('targets')) ?? 0,
          failed: intOrNull(q.get('failed')) ?? 0,
          temporalDown: q.get('temporal') === 'down',
        }
      : null;
    const names = await userNames(database, [
      ...versions.flatMap((v) => [v.publishedBy, v.createdBy]),
      draft?.editedBy,
      draft?.createdBy,
    ]);
    return {
      industry,
      versions: versions.map((v) => ({
        version: v.version!,
        status: v.status,
        comment: v.comment,
        by: v.publishedBy ?? v.createdBy,
        at: v.publishedAt ?? v.createdAt,
        basedOnVersion: v.basedOnVersion,
      })),
      draft: draft
        ? { revision: draft.revision, by: draft.editedBy ?? draft.createdBy, at: draft.editedAt ?? draft.createdAt }
        : null,
      diff,
      diffMissing,
      notice,
      names,
    };
  };
}

export type RollbackFailure = {
  action: 'rollback';
  version: number | null;
  comment: string;
  missingComment?: boolean;
  message?: 'current' | 'unknown';
  issues?: IssueView[];
  affected?: AffectedView[];
};

export function historyActions(getDb: GetDb, opts: HandlerOptions = {}) {
  return {
    rollback: async ({ locals, params, request }: RulesEvent) => {
      const user = requireRole(locals, 'admin');
      const industry = industryParam(params);
      const form = await formOf(request);
      const version = intOrNull(form.get('version'));
      const comment = text(form, 'comment');
      const failure = (status: number, extra: Partial<RollbackFailure>) =>
        fail(status, { action: 'rollback' as const, version, comment, ...extra });
      if (version === null) return failure(400, { message: 'unknown' });
      if (!comment.trim()) return failure(400, { missingComment: true });
      const database = await getDb();
      let result: PublishResult;
      try {
        result = await rollback(database, industry, version, { comment: comment.trim(), by: who(user) });
      } catch (e) {
        if (e instanceof NotFoundError) return failure(404, { message: 'unknown' });
        if (e instanceof BadRequestError) return failure(400, { message: 'current' });
        if (e instanceof InvalidRuleSetError)
          return failure(400, { issues: issueViews(e.issues), affected: affectedViews(e.affected) });
        throw e;
      }
      const report = await afterPublish(database, industry, result, opts.signal);
      const q = new URLSearchParams({
        published: String(result.published.version),
        rolledBack: String(version),
        signalled: String(report.signalled),
        targets: String(report.targets),
        failed: String(report.failed),
      });
      if (!report.reachable) q.set('temporal', 'down');
      redirect(303, `${rulesPath(industry, '/history')}?${q}`);
    },
  };
}

// ---- what-if -------------------------------------------------------------------------------------

const CHANGE_KINDS: readonly ChangeKind[] = ['tier', 'class', 'strategy'];

function oneOf<T extends string>(values: readonly T[], v: string | null): T | undefined {
  return v !== null && (values as readonly string[]).includes(v) ? (v as T) : undefined;
}

export function whatIfFilter(q: URLSearchParams): ChangeFilter {
  return {
    kind: oneOf(CHANGE_KINDS, q.get('change')),
    tierFrom: oneOf(TIERS, q.get('tierFrom')),
    tierTo: oneOf(TIERS, q.get('tierTo')),
    classFrom: oneOf(CLASSES, q.get('classFrom')),
    classTo: oneOf(CLASSES, q.get('classTo')),
  };
}

export interface WhatIfData {
  industry: string;
  /** The draft the what-if evaluated; null when the industry has no draft (nothing to compare). */
  draft: { revision: number; valid: boolean } | null;
  publishedVersion: number | null;
  result: WhatIfResult | null;
  filter: ChangeFilter;
}

export function whatIfLoad(getDb: GetDb) {
  return async ({ locals, params, url }: Pick<RulesEvent, 'locals' | 'params' | 'url'>): Promise<WhatIfData> => {
    requireRole(locals, 'admin');
    const industry = industryParam(params);
    const database = await getDb();
    const [draft, published] = await Promise.all([getDraft(database, industry), getPublished(database, industry)]);
    if (!draft && !published && industry === FALLBACK_INDUSTRY) error(404, 'Not found');
    const filter = whatIfFilter(url.searchParams);
    if (!draft) return { industry, draft: null, publishedVersion: published?.version ?? null, result: null, filter };
    const page = intOrNull(url.searchParams.get('page')) ?? 1;
    const publishedKey = (await database.select({ id: ruleSets.id }).from(ruleSets).where(eq(ruleSets.status, 'published')))
      .map((r) => r.id)
      .sort((x, y) => x - y)
      .join(',');
    const result = await runWhatIf(database, industry, draft.document, {
      page,
      filter,
      cacheKey: `${industry}|${draft.id}|${draft.revision}|${publishedKey}`,
    });
    return {
      industry,
      draft: { revision: draft.revision, valid: result.ok },
      publishedVersion: published?.version ?? null,
      result,
      filter,
    };
  };
}

export function whatIfActions(getDb: GetDb, opts: HandlerOptions = {}) {
  return {
    publish: async ({ locals, params, request }: RulesEvent) => {
      const user = requireRole(locals, 'admin');
      const industry = industryParam(params);
      const form = await formOf(request);
      return publishDraft(
        await getDb(),
        user,
        industry,
        { comment: text(form, 'comment'), revision: intOrNull(form.get('revision')) },
        opts.signal,
      );
    },
  };
}

// ---- the test bench ------------------------------------------------------------------------------

export interface BenchContext {
  overdueVisits: number;
  openActions: number;
  overdueActions: number;
  planStrategy: Strategy | null;
  planCloseness: number | null;
}

function traceView(t: RuleListTrace | undefined): TraceView {
  if (!t) return { decidedBy: [], usedFallback: false, rules: [] };
  return {
    decidedBy: t.decidedBy,
    usedFallback: t.usedFallback,
    rules: t.rules.map((r) => ({ name: String(r.name ?? ''), priority: r.priority, passed: r.passed, conditions: r.conditions })),
  };
}

export function stageView(account: Account, rules: EspRules, ctx: BenchContext): StageView {
  const { result, explanation: e } = explainMonitor(account, rules, {
    overdueVisits: ctx.overdueVisits,
    openActions: ctx.openActions,
    overdueActions: ctx.overdueActions,
    // Without the closeness at the plan, the plan counts as made now: no drop since.
    plan: ctx.planStrategy
      ? { strategy: ctx.planStrategy, closeness: ctx.planCloseness ?? decideAccount(account, rules).closeness }
      : undefined,
  });
  const d = result.decision;
  const objective = revenueObjective(account, d.strategy, rules.ruleSet);
  const dims: StageView['grade']['dimensions'] = {};
  for (const dim of DIMENSIONS) {
    const x = e.grade.dimensions[dim];
    dims[dim] = {
      field: x.field,
      value: x.value,
      bandMin: x.band?.min ?? null,
      score: x.score,
      weight: x.weight,
      weighted: Math.round(x.weighted * 100) / 100,
    };
  }
  return {
    ruleSet: e.ruleSet,
    profile: {
      completeness: e.profile.completeness,
      missing: e.profile.missing,
      ready: e.profile.ready,
      minCompleteness: e.profile.minCompleteness,
    },
    grade: {
      dimensions: dims,
      score: e.grade.score,
      mode: e.grade.policy.mode,
      thresholds: e.grade.policy.thresholds,
      tier: e.grade.tier,
    },
    classify: {
      contributionScore: e.classify.contributionScore,
      potentialScore: e.classify.potentialScore,
      contributionLevel: e.classify.contributionLevel,
      potentialLevel: e.classify.potentialLevel,
      cuts: e.classify.cuts,
      class: e.classify.class,
    },
    relationship: {
      closeness: e.relationship.closeness,
      advantage: e.relationship.advantage,
      competitors: e.relationship.competitors.map((c) => ({ id: c.id, name: c.name, share: c.share, closeness: c.closeness })),
      contacts: e.relationship.contacts.length,
      flags: d.flags,
      trace: traceView(e.relationship.flags),
    },
    coverage: {
      line: d.coverage.line,
      team: d.coverage.team,
      presalesTier: d.coverage.presalesTier,
      track: d.coverage.track,
      owner: d.coverage.owner ?? null,
      trace: traceView(e.coverage),
    },
    strategy: { result: d.strategy, trace: traceView(e.strategy) },
    investment: { result: d.investment, trace: traceView(e.investment) },
    plan: {
      baseline: objective.baseline,
      target: objective.target,
      growth: objective.growth,
      strategy: d.strategy,
      needsApproval: rules.ruleSet.plan.approvalTiers.includes(d.tier),
    },
    health: { result: result.health, alerts: result.alerts, trace: traceView(e.health) },
  };
}

/**
 * The draft's and the published effective rule sets an account is decided with on this page,
 * compiled. On an industry's page: that industry's. On the fallback's page: the account's own
 * industry's, since a `*` draft changes every industry's effective set (its override, if it has
 * one, applied to the draft `*`).
 */
async function benchRules(
  database: Db,
  industry: string,
  accountIndustry: string | null | undefined,
): Promise<{ draft: EspRules | { issues: IssueView[] } | null; published: EspRules }> {
  const fallbackPage = industry === FALLBACK_INDUSTRY;
  const effective = await getEffective(database, fallbackPage ? (accountIndustry ?? FALLBACK_INDUSTRY) : industry);
  const published = compileRuleSet(effective.ruleSet, {
    industry: effective.industry,
    version: effective.version,
    baseVersion: effective.baseVersion,
  });
  const draftRow = await getDraft(database, industry);
  if (!draftRow) return { draft: null, published };
  let v;
  let ref;
  if (fallbackPage) {
    const own = effective.industry === FALLBACK_INDUSTRY ? undefined : await getPublished(database, effective.industry);
    v = own ? resolveRuleSet(draftRow.document, own.document) : resolveRuleSet(draftRow.document);
    ref = { industry: effective.industry, version: own ? effective.version : null, baseVersion: null };
  } else {
    const base = await getPublished(database, FALLBACK_INDUSTRY);
    v = resolveRuleSet(base?.document, draftRow.document);
    ref = { industry, version: null, baseVersion: effective.baseVersion };
  }
  if (!v.ok) return { draft: { issues: issueViews(v.issues) }, published };
  return { draft: compileRuleSet(v.ruleSet, ref), published };
}

function runBench(account: Account, rules: Awaited<ReturnType<typeof benchRules>>, ctx: BenchContext): BenchRun {
  return {
    account: { id: account.id, name: account.name, industry: account.industry ?? null, status: account.status ?? null },
    draft:
      rules.draft === null
        ? null
        : 'issues' in rules.draft
          ? { ok: false, issues: rules.draft.issues }
          : { ok: true, stages: stageView(account, rules.draft, ctx) },
    published: stageView(account, rules.published, ctx),
  };
}

function benchContext(get: (key: string) => string | null): BenchContext {
  const count = (key: string) => Math.min(10_000, intOrNull(get(key)) ?? 0);
  const closeness = get('planCloseness');
  const n = closeness === null || closeness.trim() === '' ? null : Number(closeness);
  return {
    overdueVisits: count('overdueVisits'),
    openActions: count('openActions'),
    overdueActions: count('overdueActions'),
    planStrategy: oneOf(STRATEGIES, get('planStrategy')) ?? null,
    planCloseness: n !== null && Number.isFinite(n) && n >= 0 && n <= 100 ? n : null,
  };
}

export function benchLoad(getDb: GetDb) {
  return async ({ locals, params, url }: Pick<RulesEvent, 'locals' | 'params' | 'url'>) => {
    requireRole(locals, 'admin');
    const industry = industryParam(params);
    const database = await getDb();
    const q = (url.searchParams.get('q') ?? '').trim().slice(0, 100);
    const filter = industry === FALLBACK_INDUSTRY ? {} : { industry };
    // By name (prefix, then anywhere) and by exact id.
    const [byName, byId] = q
      ? await Promise.all([
          listAccounts(database, { ...filter, name: q, nameMatch: 'contains' }, { sort: 'name', pageSize: 20 }),
          getAccount(database, q),
        ])
      : [await listAccounts(database, filter, { sort: 'name', pageSize: 20 }), undefined];
    const matches = [
      ...(byId && (industry === FALLBACK_INDUSTRY || byId.industry === industry)
        ? [{ id: byId.id, name: byId.name, industry: byId.industry ?? null }]
        : []),
      ...byName.rows.filter((r) => r.id !== byId?.id).map((r) => ({ id: r.id, name: r.name, industry: r.industry })),
    ];
    const ctx = benchContext((k) => url.searchParams.get(k));
    const accountId = url.searchParams.get('account');
    let run: BenchRun | null = null;
    let notFound = false;
    if (accountId) {
      const account = await getAccount(database, accountId);
      if (account) run = runBench(account, await benchRules(database, industry, account.industry), ctx);
      else notFound = true;
    }
    return { industry, q, matches, total: byName.total, accountId, run, notFound, ctx };
  };
}

export type BenchPasteResult =
  | { action: 'paste'; json: string; jsonError?: string; issues?: { path: string; message: string }[]; run?: undefined }
  | { action: 'paste'; json: string; run: BenchRun };

export function benchActions(getDb: GetDb) {
  return {
    paste: async ({ locals, params, request }: RulesEvent) => {
      requireRole(locals, 'admin');
      const industry = industryParam(params);
      const form = await formOf(request);
      const json = text(form, 'account');
      if (json.length > MAX_DOCUMENT_BYTES) return fail(413, { action: 'paste' as const, json: '', jsonError: 'too large' });
      let raw: unknown;
      try {
        raw = JSON.parse(json);
      } catch (e) {
        return fail(400, { action: 'paste' as const, json, jsonError: (e as Error).message });
      }
      // One account, as an object (or a list holding one, as `esp evaluate` takes them).
      const list = Array.isArray(raw) ? raw.slice(0, 1) : [raw];
      const { accounts, issues } = parseAccounts(list, {
        required: ['status', 'revenueWithUs', 'potential', 'demonstration', 'winnability'],
      });
      if (issues.length > 0 || !accounts[0])
        return fail(400, {
          action: 'paste' as const,
          json,
          issues: issues.map((i) => ({ path: i.path, message: i.message })),
        });
      const ctx = benchContext((k) => {
        const v = form.get(k);
        return typeof v === 'string' ? v : null;
      });
      return {
        action: 'paste' as const,
        json,
        run: runBench(accounts[0], await benchRules(await getDb(), industry, accounts[0].industry), ctx),
      };
    },
  };
}
