/**
 * Data values in the user's words: a rule's decision parameters and lists of profile fields, worded
 * from the catalogues (`rules.param.*`, `field.*` and each parameter's value namespace).
 */
import { isMessageKey, type I18n, type MessageKey } from '../i18n/index.js';
import { EVENT_PARAMS } from './rules/labels.js';

/** Each rule event parameter (`line`, `presalesTier`…) and the namespace that words its values. */
const PARAM_NAMESPACE: Record<string, string> = Object.fromEntries(
  Object.values(EVENT_PARAMS).flatMap((e) => e.params.map((p) => [p.key, p.namespace])),
);

/** A rule's decision in words: "Line: Regional line, Track: Project fast track". */
export function decisionParams(i18n: I18n, params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => {
      const name = isMessageKey(`rules.param.${k}`) ? i18n.t(`rules.param.${k}` as MessageKey) : k;
      const value = typeof v === 'string' ? (PARAM_NAMESPACE[k] ? i18n.label(PARAM_NAMESPACE[k], v) : v) : JSON.stringify(v);
      return i18n.locale === 'zh-CN' ? `${name}：${value}` : `${name}: ${value}`;
    })
    .join(i18n.locale === 'zh-CN' ? '，' : ', ');
}

/** Profile checklist items and fields in the user's language. */
export function fieldList(i18n: I18n, fields: readonly string[]): string {
  return fields.map((f) => i18n.label('field', f)).join(i18n.locale === 'zh-CN' ? '、' : ', ');
}

/** A rule set version in words: "Retail rules v3" (the fallback's named as such). */
/** A rule set's industry in words: the fallback (`*`) or the industry's label. */
export function industryName(i18n: I18n, industry: string): string {
  return industry === '*' ? i18n.t('rules.fallback') : i18n.label('industry', industry);
}

export function ruleSetName(i18n: I18n, ref: { industry: string; version: number | null }): string {
  return i18n.t('account.ruleSetRef', {
    industry: industryName(i18n, ref.industry),
    version: ref.version ?? '?',
  });
}

/**
 * Who made a plan version: a manager by name, the workflow's own as the rules it applied
 * ("automatically, under Retail rules v3"), never the `workflow` id.
 */
export function planAuthor(
  i18n: I18n,
  plan: { createdBy: string | null; ruleSet: { industry: string; version: number } | null },
  names: Record<string, string>,
): string {
  if (plan.createdBy !== null && plan.createdBy !== 'workflow') return names[plan.createdBy] ?? plan.createdBy;
  return plan.ruleSet ? i18n.t('planEdit.byRuleSet', { ruleSet: ruleSetName(i18n, plan.ruleSet) }) : i18n.t('planEdit.byRules');
}

/**
 * A coverage team in words. `names` holds the teams table's names by id: what the organisation
 * calls a team, shown as it is. Code that knows no such name stores none (null, left out of
 * `names`), never an English phrase, and the team is worded here in the user's language from its
 * id: the coverage rules' `industry:<industry>`, `region:<region>` or a line's team (`support`).
 * A CRM manager's team (`manager:<slug>`) stores just its manager's name, worded "<name>'s team"
 * (`teamName.manager`). Any other id shows as it is.
 */
export function teamName(i18n: I18n, id: string | null | undefined, names: Readonly<Record<string, string>> = {}): string {
  if (!id) return i18n.t('common.none');
  const named = names[id];
  const [kind, ...rest] = id.split(':');
  const value = rest.join(':');
  if (kind === 'manager' && value && named) return i18n.t('teamName.manager', { manager: named });
  if (named) return named;
  if (kind === 'industry' && value) return i18n.t('teamName.industry', { industry: i18n.label('industry', value) });
  if (kind === 'region' && value) return i18n.t('teamName.region', { region: value });
  // A line's single team, named after the line (the default support team is `support`).
  if (isMessageKey(`line.${id}`)) return i18n.t('teamName.line', { line: i18n.label('line', id) });
  return id;
}
