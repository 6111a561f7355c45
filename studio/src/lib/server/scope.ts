/**
 * Which accounts a user may see: an admin sees all; a manager sees the accounts they own and those
 * covered by a team they belong to. Every account query for a page goes through this.
 */
import { error } from '@sveltejs/kit';
import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Db } from '$db/client.js';
import { accountAccess } from '$db/repositories/accounts-list.js';
import { teamsOfUser } from '$db/repositories/teams.js';
import { accounts } from '$db/schema.js';
import type { SessionUser } from '../user.js';

export type AccountScope = { kind: 'all' } | { kind: 'own'; userId: string; teamIds: string[] };

export async function accountScope(db: Db, user: SessionUser): Promise<AccountScope> {
  if (user.role === 'admin') return { kind: 'all' };
  const teams = await teamsOfUser(db, user.id);
  return { kind: 'own', userId: user.id, teamIds: teams.map((t) => t.id) };
}

export function scopeWhere(scope: AccountScope): SQL | undefined {
  if (scope.kind === 'all') return undefined;
  const owned = eq(accounts.ownerId, scope.userId);
  return scope.teamIds.length ? or(owned, inArray(accounts.coverageTeam, scope.teamIds)) : owned;
}

/** `where` restricted to the scope. */
export function withinScope(scope: AccountScope, where?: SQL): SQL | undefined {
  const s = scopeWhere(scope);
  if (!s) return where;
  return where ? and(s, where) : s;
}

/** Whether one account is visible in the scope (for an account page or an action on it). */
export function canSeeAccount(scope: AccountScope, account: { ownerId: string | null; coverageTeam: string | null }): boolean {
  if (scope.kind === 'all') return true;
  return account.ownerId === scope.userId || (account.coverageTeam !== null && scope.teamIds.includes(account.coverageTeam));
}

/** An account the user may see, or a 404: out-of-scope accounts look like missing ones. */
export async function scopedAccount(db: Db, user: SessionUser, id: string) {
  const access = await accountAccess(db, id);
  if (!access) error(404, 'Not found');
  const scope = await accountScope(db, user);
  if (!canSeeAccount(scope, access)) error(404, 'Not found');
  return access;
}
