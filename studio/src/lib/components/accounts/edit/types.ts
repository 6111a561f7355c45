/** What the account edit forms post and what the server answers (the edit route's actions). */
import type { ImportMessage } from '$db/import/problems.js';
import type { FieldChange } from '$db/schema.js';

export const EDIT_FORMS = ['profile', 'value', 'contact', 'removeContact', 'competitor', 'removeCompetitor'] as const;
export type EditForm = (typeof EDIT_FORMS)[number];

/** A coded message per input name; `_form` for what belongs to no input of this form. */
export type FieldErrors = Record<string, ImportMessage>;

export interface EditConflictView {
  version: number;
  since: { by: string; at: string; fields: string[] }[];
  /** The current values of the fields this form shows, as the form's inputs hold them. */
  current: Record<string, string>;
}

export type EditResult =
  | { form: EditForm; ok: true; version: number; fields: string[]; notified: boolean }
  | { form: EditForm; ok: false; kind: 'invalid'; errors: FieldErrors; values: Record<string, string> }
  | { form: EditForm; ok: false; kind: 'conflict'; conflict: EditConflictView; values: Record<string, string> };


/** One committed edit of the account: who, when, the version it made, each field before → after. */
export interface EditHistoryEntry {
  version: number;
  by: string;
  at: string;
  changes: FieldChange[];
}
