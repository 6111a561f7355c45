/**
 * Teams (`industry:<industry>`, `region:<region>`, `manager:<slug>`) and their members. The coverage stage assigns
 * an owner from the team: the current owner if a member, else the member with the fewest
 * accounts, ties by member id. `memberLoads` returns the members in exactly that order.
 */
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Line } from '../../engine/model.js';
import type { Db } from '../client.js';
import { accounts, teamMembers, teams, users, type TeamRow, type UserRow } from '../schema.js';

/**
 * Writes teams by id. A row without a name (null) keeps the name the table holds: an import that
 * knows only the id never erases what the organisation calls the team.
 */
export async function upsertTeams(db: Db, rows: readonly { id: string; name: string | null; line: Line }[]): Promise<number> {
  if (rows.length === 0) return 0;
  await db
    .insert(teams)
    .values([...rows])
    .onConflictDoUpdate({
      target: teams.id,
      set: { name: sql`coalesce(excluded.name, ${teams.name})`, line: sql`excluded.line` },
    });
  return rows.length;
}

export async function getTeam(db: Db, id: string): Promise<TeamRow | undefined> {
  const [row] = await db.select().from(teams).where(eq(teams.id, id));
  return row;
}

export async function listTeams(db: Db, line?: Line): Promise<TeamRow[]> {
  return db
    .select()
    .from(teams)
    .where(line ? eq(teams.line, line) : undefined)
    .orderBy(asc(teams.id));
}

/** The stored names of the teams among `ids` (a team the table does not hold or name is left out). */
export async function teamNames(db: Db, ids: readonly (string | null | undefined)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id !== ''))];
  if (wanted.length === 0) return new Map();
  const rows = await db.select({ id: teams.id, name: teams.name }).from(teams).where(inArray(teams.id, wanted));
  return new Map(rows.flatMap((r) => (r.name === null ? [] : [[r.id, r.name] as const])));
}

/** Adds members (idempotent). */
export async function addMembers(db: Db, teamId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .insert(teamMembers)
    .values(userIds.map((userId) => ({ teamId, userId })))
    .onConflictDoNothing();
}

export async function removeMember(db: Db, teamId: string, userId: string): Promise<boolean> {
  const rows = await db
    .delete(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)))
    .returning({ userId: teamMembers.userId });
  return rows.length > 0;
}

export async function listMembers(db: Db, teamId: string): Promise<UserRow[]> {
  const rows = await db
    .select({ user: users })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(eq(teamMembers.teamId, teamId))
    .orderBy(asc(users.id));
  return rows.map((r) => r.user);
}

export async function teamsOfUser(db: Db, userId: string): Promise<TeamRow[]> {
  const rows = await db
    .select({ team: teams })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(eq(teamMembers.userId, userId))
    .orderBy(asc(teams.id));
  return rows.map((r) => r.team);
}

export async function isMember(db: Db, teamId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ n: count() })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
  return (row?.n ?? 0) > 0;
}

/**
 * The team's members with how many accounts each owns (over all accounts), fewest first, ties by
 * member id: the owner-assignment order.
 */
export async function memberLoads(db: Db, teamId: string): Promise<{ userId: string; accounts: number }[]> {
  const members = await db.select({ userId: teamMembers.userId }).from(teamMembers).where(eq(teamMembers.teamId, teamId));
  if (members.length === 0) return [];
  const ids = members.map((m) => m.userId);
  const owned = await db
    .select({ ownerId: accounts.ownerId, n: count() })
    .from(accounts)
    .where(inArray(accounts.ownerId, ids))
    .groupBy(accounts.ownerId);
  const byOwner = new Map(owned.map((o) => [o.ownerId, o.n]));
  return ids
    .map((userId) => ({ userId, accounts: byOwner.get(userId) ?? 0 }))
    .sort((a, b) => a.accounts - b.accounts || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/** Every team with its member ids, for the coverage stage's input in one read. */
export async function teamDirectory(db: Db): Promise<Map<string, { team: TeamRow; memberIds: string[] }>> {
  const [allTeams, members] = [await listTeams(db), await db.select().from(teamMembers).orderBy(asc(teamMembers.userId))];
  const out = new Map(allTeams.map((t) => [t.id, { team: t, memberIds: [] as string[] }]));
  for (const m of members) out.get(m.teamId)?.memberIds.push(m.userId);
  return out;
}
