import { fail } from '@sveltejs/kit';
import {
  completeAction,
  decidePlan,
  loadAccountDetail,
  logOpportunity,
  logVisit,
  scopedAccount,
  type ActionOutcome,
} from '$lib/server/accounts.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import { accountDecisionRefusal } from '$lib/server/plan-decisions.js';
import { live, temporal } from '$lib/server/temporal.js';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
  const user = requireUser(locals);
  const database = await db();
  const detail = await loadAccountDetail(database, user, params.id);
  // Streamed: the page shows the audit trail at once and the workflow's live state when (and if)
  // Temporal answers.
  const workflow = (async () => live(await temporal(), (p) => p.accountState(params.id)))();
  return { detail, workflow };
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

async function run(
  locals: App.Locals,
  id: string,
  request: Request,
  act: typeof decidePlan,
): Promise<ReturnType<typeof outcome>> {
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
      const refused = await accountDecisionRefusal(d, u, id);
      if (refused) return { ok: false, form: 'decide', error: refused, values: { reason: String(form.get('reason') ?? '') } };
      return decidePlan(d, u, id, form, port);
    }),
  visit: ({ locals, params, request }) =>
    run(locals, params.id, request, (d, u, id, form, port) => logVisit(d, u, id, form, port)),
  action: ({ locals, params, request }) => run(locals, params.id, request, completeAction),
  opportunity: ({ locals, params, request }) => run(locals, params.id, request, logOpportunity),
};
