/**
 * A contact's own fields besides its id, in the engine schema's order: the one list, derived from
 * `contactSchema`, that the contacts import, the upserts, the bulk columns and the account reads
 * take their columns from. The contacts table has a column of the same name for each (the
 * repositories' types check it).
 */
import { contactSchema } from '../engine/model.js';

type ContactKey = keyof typeof contactSchema.shape;
export type ContactField = Exclude<ContactKey, 'id'>;

export const CONTACT_FIELDS: readonly ContactField[] = (Object.keys(contactSchema.shape) as ContactKey[]).filter(
  (k): k is ContactField => k !== 'id',
);
