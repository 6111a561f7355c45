/**
 * The account's own fields the profile form edits, shared by the form and the server that reads
 * it: the profile (db/profile-fields.ts) but for `parentId` and `previousCloseness`, which come
 * from imports and the workflows, and the value proposition, which has its own form.
 */
import { PROFILE_FIELDS, PROFILE_FIELD_KINDS, type ProfileField } from '$db/profile-fields.js';

const NOT_EDITED = ['parentId', 'previousCloseness', 'solution', 'businessValue'] as const satisfies readonly ProfileField[];
type ProfileInput = Exclude<ProfileField, (typeof NOT_EDITED)[number]>;
type InputOfKind<Kind> = { [F in ProfileInput]: (typeof PROFILE_FIELD_KINDS)[F] extends Kind ? F : never }[ProfileInput];

export const PROFILE_INPUTS = PROFILE_FIELDS.filter(
  (f): f is ProfileInput => !(NOT_EDITED as readonly ProfileField[]).includes(f),
);
export const PROFILE_TEXT_INPUTS = PROFILE_INPUTS.filter((f): f is InputOfKind<'text'> => PROFILE_FIELD_KINDS[f] === 'text');
export const PROFILE_NUMBER_INPUTS = PROFILE_INPUTS.filter(
  (f): f is InputOfKind<'number'> => PROFILE_FIELD_KINDS[f] === 'number',
);
