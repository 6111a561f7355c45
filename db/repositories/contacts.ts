/**
 * Contacts and their influence links written in bulk: contacts upserted by (account, id), and one
 * contact's outgoing links replaced.
 */
import { sql } from 'drizzle-orm';
import type { Contact, InfluenceLink } from '../../engine/model.js';
import type { Db } from '../client.js';
import { contacts, influenceLinks } from '../schema.js';
import { insertRows, chunks } from './batched-writes.js';

export const CONTACT_COLUMNS = [
  ['accountId', 'text'],
  ['id', 'text'],
  ['name', 'text'],
  ['title', 'text'],
  ['reportsTo', 'text'],
  ['influence', 'integer'],
  ['decisionRole', 'text'],
  ['behavior', 'text'],
  ['stance', 'integer'],
  ['competitorStances', 'jsonb'],
  ['interactions90d', 'integer'],
  ['position', 'integer'],
] as const;

export const LINK_COLUMNS = [
  ['accountId', 'text'],
  ['from', 'text'],
  ['to', 'text'],
  ['weight', 'integer'],
  ['position', 'integer'],
] as const;

/** Inserts or updates contacts by (account, id); the position of a stored contact is kept. */
export async function upsertContactRows(
  db: Db,
  rows: readonly (Contact & { accountId: string; position: number })[],
): Promise<void> {
  const update = CONTACT_COLUMNS.filter(([k]) => k !== 'accountId' && k !== 'id' && k !== 'position')
    .map(([k]) => `"${contacts[k].name}" = excluded."${contacts[k].name}"`)
    .join(', ');
  await insertRows(db, contacts, CONTACT_COLUMNS, rows, `on conflict ("account_id", "id") do update set ${update}`);
}

/** Replaces the outgoing influence links of the given contacts (`from`), leaving everyone else's. */
export async function replaceInfluenceLinksFrom(
  db: Db,
  entries: readonly { accountId: string; from: string; links: readonly InfluenceLink[] }[],
): Promise<number> {
  let written = 0;
  for (const batch of chunks(entries)) {
    const pairs = sql.join(
      batch.map((e) => sql`(${e.accountId}, ${e.from})`),
      sql`, `,
    );
    await db.delete(influenceLinks).where(sql`(${influenceLinks.accountId}, ${influenceLinks.from}) in (${pairs})`);
    const rows = batch.flatMap((e) =>
      e.links.map((l, position) => ({ accountId: e.accountId, from: e.from, to: l.to, weight: l.weight ?? 1, position })),
    );
    await insertRows(db, influenceLinks, LINK_COLUMNS, rows);
    written += rows.length;
  }
  return written;
}
