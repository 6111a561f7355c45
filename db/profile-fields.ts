/**
 * The account's profile: the fields that people and imports set (every other column of an
 * account is computed by the workflows). The one list that the imports, the export, the
 * repositories, the studio's profile form and the bench derive their columns from, in the
 * export's column order, each with the kind of value it holds (checked against the engine's
 * Account type).
 */
import type { Account } from '../engine/model.js';

type KindOf<T> = T extends boolean ? 'yes/no' : T extends number ? 'number' : string extends T ? 'text' : 'choice';

export const PROFILE_FIELD_KINDS = {
  name: 'text',
  industry: 'text',
  region: 'text',
  status: 'choice',
  ownerId: 'text',
  parentId: 'text',
  employees: 'number',
  companyRevenue: 'number',
  revenueWithUs: 'number',
  potential: 'number',
  demonstration: 'number',
  winnability: 'number',
  competitorsNoneKnown: 'yes/no',
  previousCloseness: 'number',
  solution: 'text',
  businessValue: 'text',
} as const satisfies { [K in keyof Account]?: KindOf<NonNullable<Account[K]>> };

export type ProfileField = keyof typeof PROFILE_FIELD_KINDS;
export const PROFILE_FIELDS = Object.keys(PROFILE_FIELD_KINDS) as readonly ProfileField[];
