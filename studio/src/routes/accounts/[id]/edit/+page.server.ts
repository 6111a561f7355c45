import { fail } from '@sveltejs/kit';
import { getAccountWithState } from '$db/repositories/accounts.js';
import type { EditForm, EditResult } from '$lib/components/accounts/edit/types.js';
import { loadEditHistory } from '$lib/server/account-history.js';
import { profileStatusOf } from '$lib/server/account-profile.js';
import { rulesFor } from '$lib/server/account-rules.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import { scopedAccount } from '$lib/server/scope.js';
import { temporal } from '$lib/server/temporal.js';
import type { Actions, PageServerLoad } from './$types';
import { editAccount } from './account-edit.server.js';

export const load: PageServerLoad = async ({ locals, params }) => {
  const user = requireUser(locals);
  const database = await db();
  // Who may edit is who may see: out of scope is a 404 here as on the account page.
  await scopedAccount(database, user, params.id);
  const found = (await getAccountWithState(database, params.id))!;
  const rules = await rulesFor(database, found.account.industry);
  return {
    account: found.account,
    version: found.state.version,
    profile: profileStatusOf(found.account, found.state.importedDefaults, rules, found.state.version),
    history: await loadEditHistory(database, params.id),
  };
};

/** A refused edit is a 4xx so the form shows it: 409 for a stale version, 400 for bad values. */
function outcome(result: EditResult) {
  if (result.ok) return result;
  return fail(result.kind === 'conflict' ? 409 : 400, result);
}

const action =
  (form: EditForm) =>
  async ({ locals, params, request }: { locals: App.Locals; params: { id: string }; request: Request }) => {
    const user = requireUser(locals);
    const database = await db();
    // Checked before the form is read, so an out-of-scope account gets nothing but the 404.
    await scopedAccount(database, user, params.id);
    return outcome(await editAccount(database, user, params.id, form, await request.formData(), await temporal()));
  };

export const actions: Actions = {
  profile: action('profile'),
  value: action('value'),
  contact: action('contact'),
  removeContact: action('removeContact'),
  competitor: action('competitor'),
  removeCompetitor: action('removeCompetitor'),
};
