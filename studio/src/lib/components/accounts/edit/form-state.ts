/** What one edit form shows after a submit: the values it posted, and its errors, in the user's language. */
import { translateImport, type Locale } from '$lib/i18n/index.js';
import type { EditForm, EditResult } from './types.js';

export interface FormState {
  result: EditResult | null;
  /** The input's value: as posted when the form was refused, else the stored one. */
  value(name: string, stored: unknown): string;
  /** The input's error in the user's language, if any. */
  error(name: string): string | undefined;
}

export function formState(result: EditResult | null, form: EditForm | readonly EditForm[], locale: Locale): FormState {
  const forms: readonly EditForm[] = typeof form === 'string' ? [form] : form;
  const r = result && forms.includes(result.form) ? result : null;
  return {
    result: r,
    value: (name, stored) =>
      r && !r.ok ? (r.values[name] ?? '') : stored === null || stored === undefined ? '' : String(stored),
    error: (name) => {
      const e = r && !r.ok && r.kind === 'invalid' ? r.errors[name] : undefined;
      return e ? translateImport(locale, e) : undefined;
    },
  };
}
