/**
 * An account's edit history (`account_changes`) as the account page's audit trail and the edit
 * page show it: newest first, each edit with the name of who made it. The caller checked the user
 * may see the account.
 */
import type { Db } from '$db/client.js';
import { listAccountChanges } from '$db/repositories/account-changes.js';
import { userNames } from '$db/repositories/users.js';
import type { EditHistoryEntry } from '$lib/components/accounts/edit/types.js';

export async function loadEditHistory(db: Db, accountId: string, limit = 20): Promise<EditHistoryEntry[]> {
  const changes = await listAccountChanges(db, accountId, limit);
  const names = await userNames(
    db,
    changes.map((c) => c.changedBy),
  );
  return changes.map((c) => ({
    version: c.version,
    by: names.get(c.changedBy) ?? c.changedBy,
    at: c.changedAt.toISOString(),
    changes: c.changes,
  }));
}
