/**
 * Editing an account in the studio: each form changes one part of the stored account (the profile,
 * the value proposition, one contact, one competitor), the whole account is checked with the
 * import's validator (db/import/account-validation.ts: same rules, same coded messages), and saved
 * all-or-nothing under the version the form was loaded with. Problems come back at the form's
 * inputs, by input name; a stale form gets the edits that beat it and the current values.
 */
import { error } from '@sveltejs/kit';
import type { Account, Contact, Competitor, InfluenceLink } from '$engine/model.js';
import { validateAccount } from '$db/import/account-validation.js';
import { msg, type ImportMessage } from '$db/import/problems.js';
import type { PathIssue } from '$db/import/validate.js';
import type { Db } from '$db/client.js';
import { saveAccountEdit } from '$db/repositories/account-changes.js';
import { getAccount } from '$db/repositories/accounts.js';
import { getUser } from '$db/repositories/users.js';
import { PROFILE_FIELD_KINDS } from '$db/profile-fields.js';
import { PROFILE_INPUTS } from '$lib/components/accounts/edit/profile-inputs.js';
import type { EditForm, EditResult, FieldErrors } from '$lib/components/accounts/edit/types.js';
import type { SessionUser } from '$lib/user.js';
import { scopedAccount } from '$lib/server/scope.js';
import type { TemporalPort } from '$lib/server/temporal.js';

// ---- reading the forms ----------------------------------------------------------------------------

const text = (data: FormData, name: string): string | null => {
  const v = data.get(name);
  if (typeof v !== 'string') return null;
  const trimmed = v.trim();
  return trimmed === '' ? null : trimmed;
};

/** A number input: blank is "not recorded", anything else that is not a number goes to the validator as typed. */
const num = (data: FormData, name: string): number | string | null => {
  const v = text(data, name);
  if (v === null) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
};

/** What the form posted, to show it again beside its errors. */
function posted(data: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of data) if (typeof v === 'string' && k !== 'version') out[k] = v;
  return out;
}

interface Change {
  next: Record<string, unknown>;
  /** The form's input for a model path, or undefined when the path belongs to no input of the form. */
  inputOf(path: readonly (string | number)[]): string | undefined;
}

function profileChange(stored: Account, data: FormData): Change {
  const next: Record<string, unknown> = { ...stored };
  for (const f of PROFILE_INPUTS) {
    const kind = PROFILE_FIELD_KINDS[f];
    next[f] = kind === 'yes/no' ? data.get(f) === 'on' : kind === 'number' ? num(data, f) : text(data, f);
  }
  return { next, inputOf: (p) => ((PROFILE_INPUTS as readonly string[]).includes(String(p[0])) ? String(p[0]) : undefined) };
}

function valueChange(stored: Account, data: FormData): Change {
  const next: Record<string, unknown> = {
    ...stored,
    solution: text(data, 'solution'),
    businessValue: text(data, 'businessValue'),
  };
  // Only the competitors the form shows (the top two) are compared; the others keep what they have.
  const given = (c: Competitor, f: 'theirOffer' | 'ourEdge') => (data.has(`${f}:${c.id}`) ? text(data, `${f}:${c.id}`) : c[f]);
  const competitors = stored.competitors.map((c) => ({
    ...c,
    theirOffer: given(c, 'theirOffer'),
    ourEdge: given(c, 'ourEdge'),
  }));
  next['competitors'] = competitors;
  return {
    next,
    inputOf: (p) => {
      if (p[0] === 'solution' || p[0] === 'businessValue') return p[0];
      if (p[0] === 'competitors' && typeof p[1] === 'number' && (p[2] === 'theirOffer' || p[2] === 'ourEdge'))
        return `${p[2]}:${competitors[p[1]]?.id}`;
      return undefined;
    },
  };
}

export const STANCE_INPUT = 'stance:';
export const INFLUENCE_INPUT = 'influences';

function contactChange(stored: Account, data: FormData): Change {
  const original = text(data, 'originalId');
  const id = text(data, 'id');
  const competitorStances: Record<string, unknown> = {};
  for (const c of stored.competitors) {
    const s = num(data, `${STANCE_INPUT}${c.id}`);
    if (s !== null) competitorStances[c.id] = s;
  }
  const contact = {
    id,
    name: text(data, 'name'),
    title: text(data, 'title'),
    reportsTo: text(data, 'reportsTo'),
    influence: num(data, 'influence'),
    decisionRole: text(data, 'decisionRole'),
    behavior: text(data, 'behavior'),
    stance: num(data, 'stance'),
    competitorStances,
    interactions90d: num(data, 'interactions90d') ?? 0,
  };
  const contacts: unknown[] = stored.contacts.filter((c) => c.id !== original);
  const at = original ? stored.contacts.findIndex((c) => c.id === original) : -1;
  const index = at >= 0 ? at : contacts.length;
  contacts.splice(index, 0, contact);
  // This contact's outgoing influence links are the ones ticked; a renamed contact keeps the links to it.
  const influences = data.getAll(INFLUENCE_INPUT).filter((v): v is string => typeof v === 'string' && v !== '');
  const kept = stored.influenceLinks
    .filter((l) => l.from !== original)
    .map((l) => (original && id && l.to === original ? { ...l, to: id } : l));
  const links: InfluenceLink[] = [...kept, ...influences.map((to) => ({ from: id ?? '', to, weight: 1 }))];
  // Reporting lines to a renamed contact follow it.
  const renamed = contacts.map((c) =>
    original && id && original !== id && (c as Contact).reportsTo === original ? { ...(c as Contact), reportsTo: id } : c,
  );
  return {
    next: { ...stored, contacts: renamed, influenceLinks: links },
    inputOf: (p) => {
      if (p[0] === 'contacts' && p[1] === index)
        return p[2] === 'competitorStances' ? `${STANCE_INPUT}${String(p[3])}` : String(p[2] ?? 'id');
      if (p[0] === 'influenceLinks' && typeof p[1] === 'number' && p[1] >= kept.length) return INFLUENCE_INPUT;
      return undefined;
    },
  };
}

function removeContactChange(stored: Account, data: FormData): Change {
  const id = text(data, 'id');
  return {
    next: {
      ...stored,
      contacts: stored.contacts.filter((c) => c.id !== id).map((c) => (c.reportsTo === id ? { ...c, reportsTo: null } : c)),
      influenceLinks: stored.influenceLinks.filter((l) => l.from !== id && l.to !== id),
    },
    inputOf: () => undefined,
  };
}

function competitorChange(stored: Account, data: FormData): Change {
  const original = text(data, 'originalId');
  const competitor = {
    id: text(data, 'id'),
    name: text(data, 'name'),
    share: num(data, 'share') ?? 0,
    theirOffer: text(data, 'theirOffer'),
    strengths: text(data, 'strengths'),
    ourEdge: stored.competitors.find((c) => c.id === original)?.ourEdge ?? null,
  };
  const competitors: unknown[] = stored.competitors.filter((c) => c.id !== original);
  const at = original ? stored.competitors.findIndex((c) => c.id === original) : -1;
  const index = at >= 0 ? at : competitors.length;
  competitors.splice(index, 0, competitor);
  return {
    next: { ...stored, competitors, competitorsNoneKnown: false },
    inputOf: (p) => (p[0] === 'competitors' && p[1] === index ? String(p[2] ?? 'id') : undefined),
  };
}

function removeCompetitorChange(stored: Account, data: FormData): Change {
  const id = text(data, 'id');
  return {
    next: {
      ...stored,
      competitors: stored.competitors.filter((c: Competitor) => c.id !== id),
      contacts: stored.contacts.map((c) => {
        const { [id ?? '']: _dropped, ...rest } = c.competitorStances;
        return { ...c, competitorStances: rest };
      }),
    },
    inputOf: () => undefined,
  };
}

const CHANGES: Record<EditForm, (stored: Account, data: FormData) => Change> = {
  profile: profileChange,
  value: valueChange,
  contact: contactChange,
  removeContact: removeContactChange,
  competitor: competitorChange,
  removeCompetitor: removeCompetitorChange,
};

function errorsAt(issues: readonly PathIssue[], change: Change): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const input = change.inputOf(issue.path) ?? '_form';
    const reason: ImportMessage = { code: issue.code, params: issue.params };
    // What belongs to no input is said with its place, e.g. `contacts[3].reportsTo: unknown contact "c9"`.
    errors[input] ??= input === '_form' ? msg('edit.at', { place: issue.path.join('.'), reason }) : reason;
  }
  return errors;
}

// ---- saving ---------------------------------------------------------------------------------------

/** The account's values as the form inputs show them, for a conflict. */
function currentValues(account: Account, form: EditForm, data: FormData): Record<string, string> {
  const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  if (form === 'profile') return Object.fromEntries(PROFILE_INPUTS.map((f) => [f, s(account[f])]));
  if (form === 'value') return { solution: s(account.solution), businessValue: s(account.businessValue) };
  const id = text(data, 'originalId') ?? text(data, 'id');
  const item = form.toLowerCase().includes('contact')
    ? account.contacts.find((c) => c.id === id)
    : account.competitors.find((c) => c.id === id);
  return item
    ? Object.fromEntries(
        Object.entries(item)
          .filter(([, v]) => typeof v !== 'object' || v === null)
          .map(([k, v]) => [k, s(v)]),
      )
    : {};
}

async function userName(db: Db, id: string): Promise<string> {
  return (await getUser(db, id))?.name ?? id;
}

/**
 * Applies one form to the account `id` as `user`: refused (404) unless the user may see the
 * account, checked whole, saved with the version the form carried, and the workflow told.
 */
export async function editAccount(
  db: Db,
  user: SessionUser,
  id: string,
  form: EditForm,
  data: FormData,
  port: TemporalPort | null,
): Promise<EditResult> {
  await scopedAccount(db, user, id);
  const values = posted(data);
  const baseVersion = Number(data.get('version'));
  const stored = await getAccount(db, id);
  // Only a hand-made request lacks the version the page put in the form.
  if (!Number.isInteger(baseVersion)) error(400, 'Bad request');
  if (!stored) error(404, 'Not found');
  const change = CHANGES[form](stored, data);
  const checked = validateAccount(change.next);
  if (!checked.ok) return { form, ok: false, kind: 'invalid', errors: errorsAt(checked.issues, change), values };
  const saved = await saveAccountEdit(db, { account: checked.value, baseVersion, by: user.id });
  if (saved.kind === 'notFound') error(404, 'Not found');
  if (saved.kind === 'conflict') {
    const since = await Promise.all(
      saved.conflict.since.map(async (c) => ({
        by: await userName(db, c.changedBy),
        at: c.changedAt.toISOString(),
        fields: c.changes.map((x) => x.field),
      })),
    );
    return {
      form,
      ok: false,
      kind: 'conflict',
      conflict: { version: saved.conflict.version, since, current: currentValues(saved.conflict.current, form, data) },
      values,
    };
  }
  const fields = saved.changes.map((c) => c.field);
  // Committed before the workflow hears of it: a missed signal is caught up when the worker starts.
  const notified = fields.length > 0 && port !== null ? await port.accountUpdated(id, { fields, by: user.id }).catch(() => false) : false;
  return { form, ok: true, version: saved.version, fields, notified };
}
