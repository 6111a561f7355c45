/**
 * Wording shared by the account components: stage summaries from the audit trail, workflow
 * refusals, stances. Everything goes through the catalogues; the workflows' own English text is
 * shown only for a refusal the catalogue does not know yet.
 */
import { isCalendarDate } from '$engine/calendar-date.js';
import { isMessageKey, type I18n, type MessageKey } from '../../i18n/index.js';
import { fieldList, teamName } from '../terms.js';

export interface CodedError {
  code: string;
  params: Record<string, string | number>;
  message: string;
}

/** A workflow refusal (or a check of the form) in the user's language. */
export function errorText(i18n: I18n, e: CodedError): string {
  const key = `account.error.${e.code}`;
  if (!isMessageKey(key)) return e.message;
  const params: Record<string, string | number> = { ...e.params };
  if (typeof params['stage'] === 'string') params['stage'] = i18n.label('stage', params['stage']);
  if (typeof params['status'] === 'string') params['status'] = i18n.label('account.planStatus', params['status']);
  if (typeof params['role'] === 'string') params['role'] = i18n.label('role', params['role']);
  // An impossible date (`2026-02-31`) is shown as written, not as the day it would roll over to.
  if (isCalendarDate(params['date'])) params['date'] = i18n.date(params['date']);
  if (isCalendarDate(params['today'])) params['today'] = i18n.date(params['today']);
  return i18n.t(key as MessageKey, params);
}

/** The `LastError.type` of a stage failure the studio shows only by its incident id (the message is the id). */
export const INCIDENT_TYPE = 'incident';

/** A stage failure: the workflow's text, or the incident id of one whose text stays in the log. */
export function errorMessage(i18n: I18n, e: { type: string | null; message: string }): string {
  return e.type === INCIDENT_TYPE ? i18n.t('security.incident', { id: e.message }) : e.message;
}

/** −2…2 → the catalogue's stance name. */
export function stanceText(i18n: I18n, stance: number | null | undefined): string {
  if (stance === null || stance === undefined) return i18n.t('common.unknown');
  return i18n.label('stance', String(stance));
}

export function signed(i18n: I18n, n: number): string {
  return n > 0 ? `+${i18n.number(n)}` : i18n.number(n);
}

type Summary = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

/** One line for a stage's result, from the summary the activity stored with it (`teams`: team names by id). */
export function stageSummary(i18n: I18n, stage: string, s: Summary, teams: Readonly<Record<string, string>> = {}): string {
  const { t, label, number, percent } = i18n;
  switch (stage) {
    case 'profile': {
      const missing = Array.isArray(s['missing']) ? (s['missing'] as string[]) : [];
      const base = t('account.summary.profile', { completeness: percent(num(s['completeness'])) });
      return missing.length ? `${base} · ${t('account.summary.missing', { fields: fieldList(i18n, missing) })}` : base;
    }
    case 'grade':
      return t('account.summary.grade', {
        score: number(num(s['score']), { maximumFractionDigits: 2 }),
        tier: label('tier', str(s['tier'])),
      });
    case 'classify':
      return label('class', str(s['class']));
    case 'relationship':
      return t('account.summary.relationship', {
        closeness: number(num(s['closeness']), { maximumFractionDigits: 2 }),
        advantage: number(num(s['advantage']), { maximumFractionDigits: 2 }),
      });
    case 'coverage':
      return [label('track', str(s['track'])), s['team'] ? teamName(i18n, str(s['team']), teams) : null, label('strategy', str(s['strategy']))].filter(Boolean).join(' · ');
    case 'plan': {
      const plan = (s['plan'] ?? {}) as Summary;
      const text = t('account.summary.plan', {
        version: num(plan['version']) ?? '?',
        strategy: label('strategy', str(plan['strategy'])),
      });
      return plan['needsApproval'] ? `${text} · ${t('account.summary.needsApproval')}` : text;
    }
    case 'execute': {
      const open = Array.isArray(s['openActions']) ? s['openActions'].length : 0;
      return t('account.summary.execute', { track: label('track', str(s['track'])), days: num(s['cadenceDays']) ?? '?', open });
    }
    case 'monitor': {
      const text = t('account.summary.monitor', { health: label('health', str(s['health'])) });
      return s['backToPlan'] ? `${text} · ${t('account.summary.backToPlan')}` : text;
    }
    case 'review': {
      const after = (s['after'] ?? {}) as Summary;
      const withdrawn = Array.isArray(s['withdrawnPlans']) ? (s['withdrawnPlans'] as Summary[]) : [];
      return [
        t('account.summary.review', {
          attainment: percent(num(s['attainment'])),
          tier: label('tier', str(after['tier'])),
          class: label('class', str(after['class'])),
        }),
        ...withdrawn.map((p) =>
          t('account.summary.planWithdrawn', { version: num(p['version']) ?? '?', year: String(p['cycleYear']) }),
        ),
      ].join(' · ');
    }
    default:
      return '';
  }
}

/** Approximate width of text in an SVG (no layout engine on the server): CJK is about 1 em, Latin about 0.58. */
export function textWidth(text: string, fontPx: number): number {
  let w = 0;
  for (const ch of text) w += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? fontPx : fontPx * 0.58;
  return w;
}

export function truncate(text: string, maxPx: number, fontPx: number): string {
  if (textWidth(text, fontPx) <= maxPx) return text;
  let out = '';
  for (const ch of text) {
    if (textWidth(`${out}${ch}…`, fontPx) > maxPx) break;
    out += ch;
  }
  return `${out}…`;
}

/** Who carries out a plan action: a person, or the presales tier / executive sponsor the plan names. */
export function actionOwner(i18n: I18n, owner: string | null | undefined, names: Record<string, string>): string | null {
  if (!owner) return null;
  if (owner.startsWith('presales:')) return i18n.label('presales', owner.slice('presales:'.length));
  if (owner === 'executive-sponsor') return i18n.label('account.actionRole', 'executive');
  return names[owner] ?? owner;
}

/** "Account owner · Mika", "Presales · Dedicated", "Executive sponsor". */
export function actionWho(
  i18n: I18n,
  role: string | null | undefined,
  owner: string | null | undefined,
  names: Record<string, string>,
): string {
  const r = i18n.label('account.actionRole', role ?? 'owner');
  const o = actionOwner(i18n, owner, names);
  return o && o !== r ? `${r} · ${o}` : r;
}
