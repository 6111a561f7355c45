import { error, fail } from '@sveltejs/kit';
import { getPlanDraft, savePlanDraft } from '$db/repositories/plan-drafts.js';
import { editablePlan, listPlans } from '$db/repositories/plans.js';
import { planRuleSets } from '$db/repositories/stage-results.js';
import { userNames } from '$db/repositories/users.js';
import type { PlanRow } from '$db/schema.js';
import {
  INVESTMENT_LEVELS,
  planActionEditSchema,
  planAsEdit,
  PRESALES_TIERS,
  STRATEGIES,
  validatePlanEdit,
  type Issue,
  type Strategy,
} from '$engine/index.js';
import { planView } from '$lib/server/plan-view.js';
import { scopedAccount } from '$lib/server/scope.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import { INVALID_PLAN_ID, planIdOf, withdrawnPlanRefusal } from '$lib/server/plan-decisions.js';
import { describeWorkflowError, temporal } from '$lib/server/temporal.js';
import type { CodedError } from '$lib/components/accounts/format.js';
import type { Actions, PageServerLoad } from './$types.js';

/** What the plan form posts back: the edit (not yet valid), and on a refusal why. */
export type PlanFormResult =
  | { ok: true; done: 'saved' | 'submitted'; version?: number; status?: 'pending-approval' | 'approved' }
  | { ok: false; issues?: Issue[]; error?: CodedError; values: unknown };

/** The plan a manager may revise: the newest version, while it waits for approval or was rejected. */
const revisable = (versions: PlanRow[]): PlanRow | null => {
  const latest = versions[0];
  return latest && (latest.status === 'pending-approval' || latest.status === 'rejected') ? latest : null;
};

/** The strategy the rules decided for a plan (an overridden plan keeps it beside its own). */
const proposedOf = (plan: PlanRow): Strategy => plan.strategyOverride?.proposed ?? plan.strategy;

export const load: PageServerLoad = async ({ locals, params, url }) => {
  const user = requireUser(locals);
  const database = await db();
  const account = await scopedAccount(database, user, params.id);
  const [versions, ruleSets] = await Promise.all([listPlans(database, params.id), planRuleSets(database, params.id)]);
  const editable = revisable(versions);
  const wanted = Number(url.searchParams.get('version'));
  const shown = versions.find((p) => p.id === wanted) ?? versions[0] ?? null;
  if (url.searchParams.has('version') && shown?.id !== wanted) error(404, 'Not found');
  const draft = editable ? await getPlanDraft(database, params.id) : undefined;
  const names = await userNames(database, [
    account.ownerId,
    ...versions.flatMap((p) => [p.createdBy, p.approvedBy, p.rejectedBy]),
    draft?.updatedBy,
  ]);
  // The last rejection stands beside the plan until a version is approved.
  const rejection = versions.find((p) => p.status === 'rejected' || p.status === 'approved');
  return {
    account: { id: account.id, name: account.name, ownerId: account.ownerId },
    versions: versions.map((p) => ({
      id: p.id,
      version: p.version,
      cycleYear: p.cycleYear,
      status: p.status,
      createdAt: p.createdAt.toISOString(),
      createdBy: p.createdBy,
      ruleSet: ruleSets.get(p.id) ?? null,
    })),
    shown: shown ? planView(shown, ruleSets) : null,
    rejection:
      rejection?.status === 'rejected'
        ? {
            version: rejection.version,
            by: rejection.rejectedBy,
            at: rejection.rejectedAt?.toISOString() ?? null,
            reason: rejection.rejectedReason ?? '',
          }
        : null,
    editor: editable
      ? {
          planId: editable.id,
          version: editable.version,
          proposed: proposedOf(editable),
          values:
            draft && draft.basedOnPlanId === editable.id
              ? draft.content
              : planAsEdit(editablePlan(editable), editable.strategyOverride),
          draft: draft && draft.basedOnPlanId === editable.id ? { by: draft.updatedBy, at: draft.updatedAt.toISOString() } : null,
          // The draft standing now, whichever version it edits: a save must start from it.
          draftAt: draft?.updatedAt.toISOString() ?? '',
        }
      : null,
    options: {
      strategies: STRATEGIES,
      presalesTiers: PRESALES_TIERS,
      investmentLevels: INVESTMENT_LEVELS,
      roles: planActionEditSchema.shape.role.def.innerType.options,
    },
    names: Object.fromEntries(names),
  };
};

const text = (form: FormData, name: string): string => {
  const v = form.get(name);
  return typeof v === 'string' ? v : '';
};
const all = (form: FormData, name: string): string[] => form.getAll(name).map((v) => (typeof v === 'string' ? v : ''));
/** An empty field is missing (the schema says so at the field), anything else a number or NaN. */
const num = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v));

/** The form as the edit the schema checks: field names are the edit's own. */
function editFromForm(form: FormData) {
  const titles = all(form, 'action.title');
  const roles = all(form, 'action.role');
  const owners = all(form, 'action.owner');
  const dues = all(form, 'action.dueDate');
  return {
    goal: text(form, 'goal'),
    objectives: { revenueTarget: num(text(form, 'revenueTarget')), closenessTarget: num(text(form, 'closenessTarget')) },
    resources: {
      owner: text(form, 'resources.owner'),
      presalesTier: text(form, 'resources.presalesTier'),
      investment: text(form, 'resources.investment'),
    },
    strategy: text(form, 'strategy'),
    strategyReason: text(form, 'strategyReason'),
    actions: titles.map((title, i) => ({ title, role: roles[i] ?? 'owner', owner: owners[i] ?? '', dueDate: dues[i] ?? '' })),
  };
}

async function revisableFor(locals: App.Locals, id: string) {
  const user = requireUser(locals);
  const database = await db();
  // Checked before the form is read: an account out of scope gets nothing but the 404.
  await scopedAccount(database, user, id);
  const versions = await listPlans(database, id);
  return { user, database, versions, plan: revisable(versions) };
}

const noPlan = (values: unknown) =>
  fail(409, {
    ok: false,
    error: { code: 'noPlanToRevise', params: { stage: 'plan' }, message: 'no plan to revise' },
    values,
  } satisfies PlanFormResult);

export const actions: Actions = {
  save: async ({ locals, params, request }) => {
    const { user, database, plan } = await revisableFor(locals, params.id);
    const form = await request.formData();
    const values = editFromForm(form);
    if (!plan) return noPlan(values);
    const seen = text(form, 'draftAt');
    const seenAt = seen ? new Date(seen) : null;
    if (seenAt && Number.isNaN(seenAt.getTime()))
      return fail(400, {
        ok: false,
        error: { code: 'invalidInput', params: {}, message: `draftAt "${seen.slice(0, 40)}" is not a time` },
        values,
      } satisfies PlanFormResult);
    const saved = await savePlanDraft(
      database,
      { accountId: params.id, basedOnPlanId: plan.id, content: values, updatedBy: user.id },
      seenAt,
    );
    if (!saved.ok) {
      const { updatedBy, updatedAt } = saved.current;
      const names = await userNames(database, [updatedBy]);
      return fail(409, {
        ok: false,
        error: {
          code: 'draftChanged',
          params: { by: names.get(updatedBy) ?? updatedBy, at: updatedAt.toISOString() },
          message: `the draft was saved by ${updatedBy} at ${updatedAt.toISOString()} since this editor opened`,
        },
        values,
      } satisfies PlanFormResult);
    }
    return { ok: true, done: 'saved' } satisfies PlanFormResult;
  },
  submit: async ({ locals, params, request }) => {
    const { user, plan, versions } = await revisableFor(locals, params.id);
    const form = await request.formData();
    const values = editFromForm(form);
    const planId = planIdOf(text(form, 'planId'));
    if (planId === undefined) return fail(400, { ok: false, error: INVALID_PLAN_ID, values } satisfies PlanFormResult);
    // An editor opened on a plan the review has since withdrawn: that cycle is over.
    const withdrawn = withdrawnPlanRefusal(versions, planId);
    if (withdrawn) return fail(409, { ok: false, error: withdrawn, values } satisfies PlanFormResult);
    if (!plan) return noPlan(values);
    if (planId !== plan.id)
      return fail(409, {
        ok: false,
        error: { code: 'planChanged', params: { version: plan.version }, message: 'the plan changed' },
        values,
      } satisfies PlanFormResult);
    const checked = validatePlanEdit(values, proposedOf(plan));
    if (!checked.ok) return fail(400, { ok: false, issues: checked.issues, values } satisfies PlanFormResult);
    const port = await temporal();
    if (!port)
      return fail(503, {
        ok: false,
        error: { code: 'temporalDown', params: {}, message: 'Temporal is not reachable' },
        values,
      } satisfies PlanFormResult);
    try {
      const r = await port.submitPlan(params.id, { edit: checked.edit, by: user.id, basedOnPlanId: plan.id });
      return { ok: true, done: 'submitted', version: r.version, status: r.status } satisfies PlanFormResult;
    } catch (e) {
      const info = describeWorkflowError(e);
      return fail(info.code === 'temporalDown' ? 503 : 400, { ok: false, error: info, values } satisfies PlanFormResult);
    }
  },
};
