/** The test bench (admins only): one account, stored or pasted, through every stage with the draft and the published rules. */
import { fail } from '@sveltejs/kit';
import type { Db } from '$db/client.js';
import { getAccount, listAccounts } from '$db/repositories/accounts.js';
import { getDraft, getEffective, getPublished } from '$db/repositories/rule-sets.js';
import { teamNames } from '$db/repositories/teams.js';
import { parseAccounts } from '$engine/accounts-input.js';
import { compileRuleSet, type EspRules } from '$engine/compiled-rule-set.js';
import { explainMonitor, type RuleListTrace } from '$engine/explain.js';
import { DIMENSIONS, STRATEGIES, type Account, type Strategy } from '$engine/model.js';
import { decideAccount } from '$engine/pipeline.js';
import { FALLBACK_INDUSTRY } from '$engine/ruleset-format/schema.js';
import { resolveRuleSet } from '$engine/ruleset-format/validate.js';
import { revenueObjective } from '$engine/stages/plan.js';
import type { BenchRun, IssueView, StageView, TraceView } from '$lib/components/rules/types.js';
import { requireRole } from '$lib/server/guards.js';
import {
  type RulesEvent,
  type GetDb,
  MAX_DOCUMENT_BYTES,
  industryParam,
  issueViews,
  intOrNull,
  oneOf,
  formOf,
  text,
} from '$lib/server/rule-set-pages.js';
import { db } from '$lib/server/db.js';
import type { Actions, PageServerLoad } from './$types.js';

interface BenchContext {
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

function stageView(account: Account, rules: EspRules, ctx: BenchContext): StageView {
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

async function runBench(
  database: Db,
  account: Account,
  rules: Awaited<ReturnType<typeof benchRules>>,
  ctx: BenchContext,
): Promise<BenchRun> {
  const draft =
    rules.draft === null
      ? null
      : 'issues' in rules.draft
        ? ({ ok: false, issues: rules.draft.issues } as const)
        : ({ ok: true, stages: stageView(account, rules.draft, ctx) } as const);
  const published = stageView(account, rules.published, ctx);
  return {
    account: { id: account.id, name: account.name, industry: account.industry ?? null, status: account.status ?? null },
    draft,
    published,
    teams: Object.fromEntries(
      await teamNames(database, [published.coverage.team, draft?.ok ? draft.stages.coverage.team : undefined]),
    ),
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

export function _benchLoad(getDb: GetDb) {
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
      if (account) run = await runBench(database, account, await benchRules(database, industry, account.industry), ctx);
      else notFound = true;
    }
    return { industry, q, matches, total: byName.total, accountId, run, notFound, ctx };
  };
}

export function _benchActions(getDb: GetDb) {
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
        run: await runBench(await getDb(), accounts[0], await benchRules(await getDb(), industry, accounts[0].industry), ctx),
      };
    },
  };
}

export const load: PageServerLoad = _benchLoad(db);
export const actions: Actions = _benchActions(db);
