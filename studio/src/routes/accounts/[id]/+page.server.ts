/** An account's page: everything the engine and the workflow decided about it, and what managers do on it. */
import { error } from '@sveltejs/kit';
import type { Db } from '$db/client.js';
import { listActions } from '$db/repositories/actions.js';
import { getAccountWithState } from '$db/repositories/accounts.js';
import { listOpportunities } from '$db/repositories/opportunities.js';
import { listPlans } from '$db/repositories/plans.js';
import { listReviews } from '$db/repositories/reviews.js';
import { accountTrend, listStageResults, planRuleSets } from '$db/repositories/stage-results.js';
import { teamNames } from '$db/repositories/teams.js';
import { userNames } from '$db/repositories/users.js';
import { listVisits } from '$db/repositories/visits.js';
import {
  explainAccount,
  relationship,
  valuePropositionFor,
  visitStatus,
  type AccountClass,
  type AccountExplanation,
  type GradeExplanation,
  type Stage,
} from '$engine/index.js';
import { isCalendarDate } from '$engine/calendar-date.js';
import { ACTION_NOTE_MAX_LENGTH, ACTION_UNDO_WINDOW_MS } from '$workflows/types.js';
import type { SessionUser } from '$lib/user.js';
import { scopedAccount } from '$lib/server/scope.js';
import { planView } from '$lib/server/plan-view.js';
import { describeWorkflowError, type TemporalPort } from '$lib/server/temporal.js';
import { fail } from '@sveltejs/kit';
import { loadEditHistory } from '$lib/server/account-history.js';
import { loadProfileStatus } from '$lib/server/account-profile.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import { accountDecisionRefusal, INVALID_PLAN_ID, planIdOf, staleDecisionRefusal } from '$lib/server/plan-decisions.js';
import { live, temporal } from '$lib/server/temporal.js';
import type { Actions, PageServerLoad } from './$types.js';
import { rulesFor } from '$lib/server/account-rules.js';
import {
  type Sourced,
  type RuleTrace,
  type Decisions,
  type AuditEntry,
  type AccountDetail,
  type ActionView,
  type AccountForm,
  type ActionOutcome,
} from '$lib/components/accounts/types.js';
import { relationshipMap } from '$lib/components/accounts/relationship-map.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Business dates follow the workflows' clock (UTC dates). */
const todayUtc = (now = new Date()) => now.toISOString().slice(0, 10);

function latestByStage(rows: Awaited<ReturnType<typeof listStageResults>>) {
  const out = new Map<Stage, (typeof rows)[number]>();
  for (const r of rows) if (!out.has(r.stage)) out.set(r.stage, r);
  return out;
}

export async function _loadAccountDetail(db: Db, user: SessionUser, id: string, now = new Date()): Promise<AccountDetail> {
  await scopedAccount(db, user, id);
  const found = await getAccountWithState(db, id);
  if (!found) error(404, 'Not found');
  const { account, state } = found;
  const [rules, trailRows, planRows, planRules, actionRows, visitRows, opportunityRows, trendPoints, reviewRows] =
    await Promise.all([
      rulesFor(db, account.industry),
      listStageResults(db, id, { limit: 200 }),
      listPlans(db, id),
      planRuleSets(db, id),
      listActions(db, { accountId: id }),
      listVisits(db, id, { limit: 10 }),
      listOpportunities(db, { accountId: id, limit: 20 }),
      accountTrend(db, id),
      listReviews(db, { accountId: id, limit: 20 }),
    ]);
  const today = todayUtc(now);

  const trail: AuditEntry[] = trailRows.map((r) => ({
    id: r.id,
    stage: r.stage,
    cycleYear: r.cycleYear,
    at: r.createdAt.toISOString(),
    ruleSet: { industry: r.ruleSetIndustry, version: r.ruleSetVersion },
    summary: ((r.output as { summary?: Record<string, unknown> } | null)?.summary ?? {}) as Record<string, unknown>,
  }));
  const latest = latestByStage(trailRows);
  const lastRun: AccountDetail['lastRun'] = {};
  for (const e of trail) lastRun[e.stage] ??= e;

  // The workflow's own explanations where it has decided; the current rules' where it has not yet.
  const preview = explainAccount(account, rules);
  const previewRef = { industry: rules.ref.industry, version: rules.ref.version };
  const sourced = <T>(stage: Stage, pick: (explanation: unknown) => T | undefined, fallback: T): Sourced<T> => {
    const row = latest.get(stage);
    const value = row?.explanation ? pick(row.explanation) : undefined;
    return value !== undefined && value !== null
      ? {
          source: 'audit',
          at: row!.createdAt.toISOString(),
          ruleSet: { industry: row!.ruleSetIndustry, version: row!.ruleSetVersion },
          value,
        }
      : { source: 'preview', at: null, ruleSet: previewRef, value: fallback };
  };
  type CoverageExplanation = { coverage?: RuleTrace; strategy?: RuleTrace; investment?: RuleTrace };
  const monitor = latest.get('monitor')?.explanation as { health?: RuleTrace } | undefined;
  const decisions: Decisions = {
    grade: sourced('grade', (e) => e as GradeExplanation, preview.explanation.grade),
    classify: sourced('classify', (e) => e as AccountExplanation['classify'], preview.explanation.classify),
    relationship: sourced('relationship', (e) => e as AccountExplanation['relationship'], preview.explanation.relationship),
    coverage: sourced('coverage', (e) => (e as CoverageExplanation).coverage, preview.explanation.coverage as RuleTrace),
    strategy: sourced('coverage', (e) => (e as CoverageExplanation).strategy, preview.explanation.strategy as RuleTrace),
    investment: sourced('coverage', (e) => (e as CoverageExplanation).investment, preview.explanation.investment as RuleTrace),
    health: monitor?.health
      ? {
          source: 'audit',
          at: latest.get('monitor')!.createdAt.toISOString(),
          ruleSet: { industry: latest.get('monitor')!.ruleSetIndustry, version: latest.get('monitor')!.ruleSetVersion },
          value: monitor.health,
        }
      : null,
    matrix: rules.ruleSet.classify.matrix as AccountClass[][],
    thresholdsMode: rules.ruleSet.grade.tierPolicy.mode,
  };

  const plans = planRows.map((p) => planView(p, planRules));
  const pending = plans.find((p) => p.status === 'pending-approval') ?? null;
  const current = plans.find((p) => p.status === 'approved') ?? null;
  const map = relationshipMap(account, rules);
  const planVp = (pending ?? current)?.valueProposition;
  const valueProposition: AccountDetail['valueProposition'] = planVp
    ? { ...planVp, source: 'plan' }
    : { ...valuePropositionFor(account, relationship(account, rules.ruleSet).competitors), source: 'preview' };

  const inForce = actionRows.filter((a) => current !== null && a.planId === current.id);
  const toAction = (a: (typeof actionRows)[number]): ActionView => ({
    id: a.id,
    title: a.title,
    role: a.role,
    owner: a.owner,
    dueDate: a.dueDate,
    doneAt: iso(a.doneAt),
    doneNote: a.doneNote,
    canUndo: a.doneAt !== null && a.doneBy === user.id && now.getTime() - a.doneAt.getTime() < ACTION_UNDO_WINDOW_MS,
    overdue: !a.doneAt && a.dueDate !== null && a.dueDate < today,
  });

  const tier = state.tier ?? preview.decision.tier;
  const since = lastRun.execute?.at.slice(0, 10) ?? current?.approvedAt?.slice(0, 10) ?? null;
  const visitDates = visitRows.map((v) => v.date);
  const status =
    state.stage === 'execute' || state.stage === 'monitor' || since
      ? visitStatus(visitDates, tier, today, since ?? today, rules.ruleSet)
      : null;
  const contactNames = new Map(account.contacts.map((c) => [c.id, c.name]));

  const names = await userNames(db, [
    account.ownerId,
    ...plans.slice(0, 3).flatMap((p) => [p.approvedBy, p.rejectedBy, p.resources?.owner, ...p.actions.map((a) => a.owner)]),
    ...visitRows.map((v) => v.by),
    ...inForce.map((a) => a.owner),
  ]);

  // Every team the page names: the account's, the coverage decision's, and each coverage run's.
  const teamOf = (v: unknown): string | undefined => {
    const team = v && typeof v === 'object' ? (v as { team?: unknown }).team : undefined;
    return typeof team === 'string' ? team : undefined;
  };
  const teams = await teamNames(db, [
    state.coverageTeam,
    teamOf(decisions.coverage.value.result),
    ...trail.filter((e) => e.stage === 'coverage').map((e) => teamOf(e.summary)),
  ]);

  return {
    account: {
      id: account.id,
      name: account.name,
      industry: account.industry ?? null,
      region: account.region ?? null,
      status: account.status ?? null,
      ownerId: account.ownerId ?? null,
      ownerName: account.ownerId ? (names.get(account.ownerId) ?? null) : null,
      parentId: account.parentId ?? null,
      employees: account.employees ?? null,
      companyRevenue: account.companyRevenue ?? null,
      revenueWithUs: account.revenueWithUs ?? null,
      potential: account.potential ?? null,
      demonstration: account.demonstration ?? null,
      winnability: account.winnability ?? null,
    },
    state: {
      score: state.score,
      tier: state.tier,
      class: state.class,
      closeness: state.closeness,
      advantage: state.advantage,
      strategy: state.strategy,
      investment: state.investment,
      health: state.health,
      stage: state.stage,
      waitingFor: state.waitingFor,
      cycleYear: state.cycleYear,
      coverageLine: state.coverageLine,
      coverageTeam: state.coverageTeam,
      coverageTrack: state.coverageTrack,
      presalesTier: state.presalesTier,
      ruleSetIndustry: state.ruleSetIndustry,
      ruleSetVersion: state.ruleSetVersion,
      updatedAt: state.updatedAt.toISOString(),
    },
    rules: rules.ref,
    trail: trail.slice(0, 60),
    lastRun,
    decisions,
    map,
    valueProposition,
    plans: { pending, current, latest: plans[0] ?? null, versions: plans.length },
    teams: Object.fromEntries(teams),
    actions: { open: inForce.filter((a) => !a.doneAt).map(toAction), done: inForce.filter((a) => a.doneAt).map(toAction) },
    visits: {
      recent: visitRows.map((v) => ({
        id: v.id,
        date: v.date,
        contactId: v.contactId,
        contactName: v.contactId ? (contactNames.get(v.contactId) ?? null) : null,
        note: v.note,
        by: v.by,
      })),
      status,
    },
    opportunities: opportunityRows.map((o) => ({
      id: o.id,
      title: o.title,
      estimatedValue: o.estimatedValue,
      track: o.track,
      status: o.status,
      closeDate: o.closeDate,
      createdAt: o.createdAt.toISOString(),
      handedOffAt: iso(o.handedOffAt),
    })),
    names: Object.fromEntries(names),
    trend: {
      points: trendPoints,
      reviews: reviewRows
        .map((r) => ({
          year: r.year,
          at: r.createdAt.toISOString(),
          scoreBefore: r.scoreBefore,
          scoreAfter: r.scoreAfter,
          tierAfter: r.tierAfter,
        }))
        .reverse(),
    },
    today,
  };
}

const field = (form: FormData, name: string): string => {
  const v = form.get(name);
  return typeof v === 'string' ? v.trim() : '';
};

type Refusal = Extract<ActionOutcome, { ok: false }>;

/** A refusal shown at `form`, keeping what the user typed (`values`) in it. */
const refused = (form: AccountForm, error: Refusal['error'], values?: Refusal['values']): Refusal => ({
  ok: false,
  form,
  error,
  ...(values ? { values } : {}),
});

async function send(
  port: TemporalPort | null,
  form: AccountForm,
  call: (port: TemporalPort) => Promise<unknown>,
): Promise<{ ok: true } | Refusal> {
  if (!port) return refused(form, { code: 'temporalDown', params: {}, message: 'Temporal is not reachable' });
  try {
    await call(port);
    return { ok: true };
  } catch (e) {
    return refused(form, describeWorkflowError(e));
  }
}

/**
 * One of the page's forms, checked and then sent to the account's workflow. Each checks the
 * account is in the user's scope first, whoever calls it.
 */
type AccountAction = (
  db: Db,
  user: SessionUser,
  accountId: string,
  form: FormData,
  port: TemporalPort | null,
) => Promise<ActionOutcome>;

/** Approve or reject the pending plan through the workflow's `approvePlan` update. */
export const _decidePlan: AccountAction = async (db, user, accountId, form, port) => {
  await scopedAccount(db, user, accountId);
  const decision = field(form, 'decision');
  const reason = field(form, 'reason');
  const planId = planIdOf(field(form, 'planId'));
  if (decision !== 'approve' && decision !== 'reject')
    return refused('decide', { code: 'invalidInput', params: {}, message: 'decision must be approve or reject' });
  if (planId === undefined) return refused('decide', INVALID_PLAN_ID, { reason });
  if (decision === 'reject' && !reason)
    return refused('decide', { code: 'missingReason', params: {}, message: 'a rejection needs a reason' }, { reason });
  // The decision is about the plan the user read: a withdrawn one is over, a newer version must be read first.
  const refusal = staleDecisionRefusal(await listPlans(db, accountId), planId);
  if (refusal) return refused('decide', refusal, { reason });
  const approve = decision === 'approve';
  const sent = await send(port, 'decide', (p) =>
    p.approvePlan(accountId, {
      approve,
      by: user.id,
      role: user.role,
      planId,
      ...(approve ? {} : { reason: reason.slice(0, 2000) }),
    }),
  );
  if (!sent.ok) return { ...sent, values: { reason } };
  return { ok: true, form: 'decide', done: approve ? 'approved' : 'rejected' };
};

export async function _logVisit(
  db: Db,
  user: SessionUser,
  accountId: string,
  form: FormData,
  port: TemporalPort | null,
  now = new Date(),
): Promise<ActionOutcome> {
  await scopedAccount(db, user, accountId);
  const date = field(form, 'date') || todayUtc(now);
  const contactId = field(form, 'contactId') || null;
  const note = field(form, 'note').slice(0, 2000) || null;
  const values = { date, contactId: contactId ?? '', note: note ?? '' };
  if (!isCalendarDate(date))
    return refused(
      'visit',
      { code: 'visitDateInvalid', params: { date }, message: `visit date "${date}" is not a YYYY-MM-DD date` },
      values,
    );
  if (contactId) {
    const found = await getAccountWithState(db, accountId);
    if (!found?.account.contacts.some((c) => c.id === contactId))
      return refused('visit', { code: 'invalidInput', params: {}, message: `unknown contact ${contactId}` }, values);
  }
  const sent = await send(port, 'visit', (p) => p.logVisit(accountId, { date, contactId, note, by: user.id }));
  if (!sent.ok) return { ...sent, values };
  return { ok: true, form: 'visit', done: 'visitLogged', params: { date } };
}

/** The account's own action of that id (another account's id is as unknown as a made-up one). */
async function actionOfAccount(db: Db, accountId: string, actionId: number) {
  if (!Number.isInteger(actionId) || actionId <= 0) return undefined;
  return (await listActions(db, { accountId })).find((a) => a.id === actionId);
}

export const _completeAction: AccountAction = async (db, user, accountId, form, port) => {
  await scopedAccount(db, user, accountId);
  const actionId = Number(field(form, 'actionId'));
  if (!Number.isInteger(actionId) || actionId <= 0)
    return refused('action', { code: 'invalidInput', params: {}, message: 'an action id is required' });
  // Another account's action id must not be completable through this account's page.
  if (!(await actionOfAccount(db, accountId, actionId)))
    return refused('action', {
      code: 'actionNotOpen',
      params: { action: actionId },
      message: `action ${actionId} is not an action of this account`,
    });
  const note = field(form, 'note');
  if (note.length > ACTION_NOTE_MAX_LENGTH)
    return refused(
      'action',
      { code: 'actionNoteTooLong', params: { max: ACTION_NOTE_MAX_LENGTH }, message: 'the note is too long' },
      { note },
    );
  const sent = await send(port, 'action', (p) => p.completeAction(accountId, { actionId, by: user.id, note: note || null }));
  if (!sent.ok) return sent;
  return { ok: true, form: 'action', done: 'actionDone', params: { actionId } };
};

/**
 * The undo of "mark done": only the person who marked the action done, within the undo window
 * (checked here and again by the workflow's activity, which holds the truth).
 */
export const _reopenAction: AccountAction = async (db, user, accountId, form, port) => {
  await scopedAccount(db, user, accountId);
  const actionId = Number(field(form, 'actionId'));
  const action = await actionOfAccount(db, accountId, actionId);
  if (!action || !action.doneAt)
    return refused('action', {
      code: 'actionNotDone',
      params: { action: field(form, 'actionId') },
      message: 'not a done action of this account',
    });
  if (action.doneBy !== user.id)
    return refused('action', {
      code: 'actionUndoNotYours',
      params: { action: actionId },
      message: 'marked done by someone else',
    });
  const sent = await send(port, 'action', (p) => p.reopenAction(accountId, { actionId, by: user.id }));
  if (!sent.ok) return sent;
  return { ok: true, form: 'action', done: 'actionReopened' };
};

export const _logOpportunity: AccountAction = async (db, user, accountId, form, port) => {
  const access = await scopedAccount(db, user, accountId);
  const title = field(form, 'title').slice(0, 300);
  const rawValue = field(form, 'estimatedValue').replace(/[\s,_]/g, '');
  const values = { title, estimatedValue: field(form, 'estimatedValue') };
  if (!title)
    return refused('opportunity', { code: 'opportunityTitle', params: {}, message: 'an opportunity needs a title' }, values);
  const estimatedValue = rawValue === '' ? null : Number(rawValue);
  if (estimatedValue !== null && (!Number.isFinite(estimatedValue) || estimatedValue < 0))
    return refused(
      'opportunity',
      { code: 'opportunityValue', params: {}, message: 'estimatedValue must be a number ≥ 0' },
      values,
    );
  const sent = await send(port, 'opportunity', (p) =>
    p.logOpportunity(accountId, { title, estimatedValue, owner: access.ownerId ?? user.id, by: user.id }),
  );
  if (!sent.ok) return { ...sent, values };
  return { ok: true, form: 'opportunity', done: 'opportunityLogged' };
};

export const load: PageServerLoad = async ({ locals, params }) => {
  const user = requireUser(locals);
  const database = await db();
  const detail = await _loadAccountDetail(database, user, params.id);
  const profile = (await loadProfileStatus(database, params.id))!;
  const history = await loadEditHistory(database, params.id);
  // Streamed: the page shows the audit trail at once and the workflow's live state when (and if)
  // Temporal answers.
  const workflow = (async () => live(await temporal(), (p) => p.accountState(params.id)))();
  return { detail, profile, history, workflow };
};

/** Refusals are 4xx so the form shows them; the page data reloads after a success. */
function outcome(result: ActionOutcome) {
  if (result.ok) return result;
  const status =
    result.error.code === 'temporalDown' || result.error.code === 'timeout'
      ? 503
      : result.error.code === 'planChanged'
        ? 409
        : 400;
  return fail(status, result);
}

async function run(locals: App.Locals, id: string, request: Request, act: AccountAction): Promise<ReturnType<typeof outcome>> {
  const user = requireUser(locals);
  const database = await db();
  // Checked before the form is read, so an out-of-scope account gets nothing but the 404.
  await scopedAccount(database, user, id);
  return outcome(await act(database, user, id, await request.formData(), await temporal()));
}

export const actions: Actions = {
  decide: ({ locals, params, request }) =>
    run(locals, params.id, request, async (d, u, id, form, port) => {
      // Four eyes and the rule set's approver role, before the workflow checks them again.
      const refusal = await accountDecisionRefusal(d, u, id);
      if (refusal) return refused('decide', refusal, { reason: String(form.get('reason') ?? '') });
      return _decidePlan(d, u, id, form, port);
    }),
  visit: ({ locals, params, request }) =>
    run(locals, params.id, request, (d, u, id, form, port) => _logVisit(d, u, id, form, port)),
  action: ({ locals, params, request }) => run(locals, params.id, request, _completeAction),
  reopen: ({ locals, params, request }) => run(locals, params.id, request, _reopenAction),
  opportunity: ({ locals, params, request }) => run(locals, params.id, request, _logOpportunity),
};
