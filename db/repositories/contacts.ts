/**
 * Contacts and their influence links written in bulk: contacts upserted by (account, id), and one
 * contact's outgoing links replaced.
 */
import { sql } from 'drizzle-orm';
import type { Contact, InfluenceLink } from '../../engine/model.js';
import type { Db } from '../client.js';
import { contacts, influenceLinks } from '../schema.js';
import { CONTACT_FIELDS } from '../contact-fields.js';
import { insertRows, chunks, type Columns, type SqlType } from './batched-writes.js';

/** The columns a contact is written with: its account, its id, its fields typed by the schema, and its place. */
export const CONTACT_COLUMNS: Columns<typeof contacts> = [
  ['accountId', 'text'],
  ['id', 'text'],
  ...CONTACT_FIELDS.map((f) => [f, contacts[f].getSQLType() as SqlType] as const),
  ['position', 'integer'],
];

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
  const update = CONTACT_FIELDS.map((k) => `"${contacts[k].name}" = excluded."${contacts[k].name}"`).join(', ');
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
