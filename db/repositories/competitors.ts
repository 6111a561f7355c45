/**
 * The competitors of accounts, replaced list by list (an import's competitor columns).
 */
import { sql } from 'drizzle-orm';
import type { Competitor } from '../../engine/model.js';
import type { Db } from '../client.js';
import { competitors } from '../schema.js';
import { chunks, ARRAY_BATCH, textArray, unnestColumns, insertColumns, resultRows } from './batched-writes.js';

export const COMPETITOR_COLUMNS = [
  ['accountId', 'text'],
  ['id', 'text'],
  ['name', 'text'],
  ['share', 'double precision'],
  ['theirOffer', 'text'],
  ['ourEdge', 'text'],
  ['strengths', 'text'],
  ['position', 'integer'],
] as const;

/** The competitor rows of the given lists, column by column (no object per row: 200,000 of them). */
function competitorColumns(
  entries: readonly { accountId: string; competitors: readonly Competitor[] }[],
): Record<string, unknown[]> {
  const d: Record<(typeof COMPETITOR_COLUMNS)[number][0], unknown[]> = {
    accountId: [],
    id: [],
    name: [],
    share: [],
    theirOffer: [],
    ourEdge: [],
    strengths: [],
    position: [],
  };
  for (const e of entries) {
    const list = e.competitors;
    for (let position = 0; position < list.length; position++) {
      const c = list[position]!;
      d.accountId.push(e.accountId);
      d.id.push(c.id);
      d.name.push(c.name);
      d.share.push(c.share ?? 0);
      d.theirOffer.push(c.theirOffer);
      d.ourEdge.push(c.ourEdge);
      d.strengths.push(c.strengths);
      d.position.push(position);
    }
  }
  return d;
}

/**
 * Replaces each account's competitor list. A contact's stance toward a competitor that is no
 * longer listed means nothing any more, so it is removed; returns how many contacts lost one.
 *
 * Stored rows that the new list repeats exactly are kept rather than deleted and re-inserted: each
 * inserted row costs its index entries and the foreign-key check against accounts, and a re-import
 * mostly repeats what is stored. Accounts named in `fresh` were created in this transaction: they
 * have neither competitors nor contacts yet, so they skip the comparison and the stance clean-up.
 */
export async function replaceCompetitors(
  db: Db,
  entries: readonly { accountId: string; competitors: readonly Competitor[] }[],
  opts: { fresh?: ReadonlySet<string> } = {},
): Promise<{ contactsCleared: number }> {
  const fresh = opts.fresh ?? new Set<string>();
  let contactsCleared = 0;
  for (const batch of chunks(
    entries.filter((e) => !fresh.has(e.accountId)),
    ARRAY_BATCH,
  )) {
    const ids = textArray(batch.map((e) => e.accountId));
    const data = competitorColumns(batch);
    const given = unnestColumns(competitors, COMPETITOR_COLUMNS, data).query;
    await db.execute(sql`
      delete from "competitors" c using unnest(${ids}) as t(account_id)
      where c.account_id = t.account_id and not exists (
        select 1 from (${given}) n
        where n.account_id = c.account_id and n.id = c.id and n.name = c.name and n.share = c.share
          and n.position = c.position and n.their_offer is not distinct from c.their_offer
          and n.our_edge is not distinct from c.our_edge and n.strengths is not distinct from c.strengths)`);
    await insertColumns(db, competitors, COMPETITOR_COLUMNS, data, 'on conflict ("account_id", "id") do nothing');
    const cleared = await db.execute(sql`
      with cleared as (
        update "contacts" c set competitor_stances = coalesce(
          (select jsonb_object_agg(s.key, s.value) from jsonb_each(c.competitor_stances) s
            where exists (select 1 from "competitors" k where k.account_id = c.account_id and k.id = s.key)),
          '{}'::jsonb)
        from unnest(${ids}) as t(account_id)
        where c.account_id = t.account_id and c.competitor_stances <> '{}'::jsonb
          and exists (select 1 from jsonb_object_keys(c.competitor_stances) s(key)
            where not exists (select 1 from "competitors" k where k.account_id = c.account_id and k.id = s.key))
        returning 1)
      select count(*)::integer as n from cleared`);
    contactsCleared += Number(resultRows(cleared)[0]?.['n'] ?? 0);
  }
  await insertColumns(db, competitors, COMPETITOR_COLUMNS, competitorColumns(entries.filter((e) => fresh.has(e.accountId))));
  return { contactsCleared };
}
