/** The one gate for a page or action on a single account: its scope check, out-of-scope as 404. */
import { error } from '@sveltejs/kit';
import type { Db } from '$db/client.js';
import { accountAccess } from '$db/repositories/accounts-list.js';
import type { SessionUser } from '../user.js';
import { accountScope, canSeeAccount } from './scope.js';

/** An account the user may see, or a 404: out-of-scope accounts look like missing ones. */
export async function scopedAccount(db: Db, user: SessionUser, id: string) {
  const access = await accountAccess(db, id);
  if (!access) error(404, 'Not found');
  const scope = await accountScope(db, user);
  if (!canSeeAccount(scope, access)) error(404, 'Not found');
  return access;
}
