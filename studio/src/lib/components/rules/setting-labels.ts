/**
 * Rule-set paths as people read them: `$.grade.tierPolicy.thresholds.T1` is "Tier T1 threshold",
 * and a change of it is "Tier T1 threshold: 80 → 75", in the user's language. The version diff,
 * the problem lists and the what-if all word paths here, so a setting has one name everywhere; the
 * JSON path stays beside it for admins (a tooltip, a details view).
 */
import type { MessageKey, Params } from '$lib/i18n/index.js';
import { EVENT_PARAMS } from './labels.js';
import { parsePath, RULE_LIST_PATHS, type Segment } from './paths.js';

/** The translator's parts the labels need (a component passes its `getI18n()`). */
export interface Wording {
  t(key: MessageKey, params?: Params): string;
  label(namespace: string, value: string | null | undefined): string;
  number(n: number | null | undefined, options?: Intl.NumberFormatOptions): string;
}

/** The name of the rule at `listPath[index]`, when the caller knows the document. */
export type RuleNames = (listPath: readonly Segment[], index: number) => string | undefined;

const SECTION_TITLE: Record<(typeof RULE_LIST_PATHS)[number]['section'], MessageKey> = {
  flags: 'rules.section.flags',
  coverage: 'rules.section.coverage',
  strategy: 'rules.section.strategy',
  investment: 'rules.section.investment',
  health: 'rules.section.health',
};

// Which label namespace words a value found at a path ending in this key (enum values).
const VALUE_NAMESPACE: Record<string, string> = {
  ...Object.fromEntries(Object.values(EVENT_PARAMS).flatMap((e) => e.params.map((p) => [p.key, p.namespace]))),
  checklist: 'profileItem',
  approvalTiers: 'tier',
  role: 'tacticRole',
  matrix: 'class',
};

// `$.strategy.fallback`, `$.investment.fallback`: the value is the section's own event value.
const FALLBACK_NAMESPACE: Record<string, string> = { strategy: 'strategy', investment: 'investment' };

const PARAM_KEYS = new Set<string>([
  ...Object.values(EVENT_PARAMS).flatMap((e) => e.params.map((p) => p.key as string)),
  'alert',
]);

const str = (s: Segment | undefined) => (typeof s === 'string' ? s : '');

/** The setting at `path` in words; a path the format does not know reads as itself. */
export function settingLabel(path: string, w: Wording, ruleName?: RuleNames): string {
  const s = parsePath(path);
  if (!s || s.length === 0) return path;
  return segmentsLabel(s, w, ruleName) ?? path;
}

function segmentsLabel(s: Segment[], w: Wording, ruleName?: RuleNames): string | null {
  const { t, label } = w;
  const [a, b, c, d, e] = s;
  const parts = (...xs: string[]) => xs.join(' › ');
  if (a === 'description') return t('rules.editor.description');
  if (a === 'grade') {
    if (b === 'weights')
      return c ? t('rules.path.weight', { dimension: label('dimension', str(c)) }) : t('rules.section.weights');
    if (b === 'bandScale')
      return c ? t('rules.path.bandScale', { dimension: label('dimension', str(c)) }) : t('rules.bands.scale');
    if (b === 'bands') {
      if (!c) return t('rules.section.bands');
      const dimension = label('dimension', str(c));
      if (typeof d !== 'number') return t('rules.path.bands', { dimension });
      if (e === 'min') return t('rules.bands.minOf', { dimension, n: d + 1 });
      if (e === 'score') return t('rules.bands.scoreOf', { dimension, n: d + 1 });
      return t('rules.path.band', { dimension, n: d + 1 });
    }
    if (b === 'tierPolicy') {
      if (c === 'mode') return t('rules.path.tierMode');
      if (c === 'thresholds') return d ? t('rules.path.threshold', { tier: label('tier', str(d)) }) : t('rules.tiers.thresholds');
      if (c === 'quotas') return d ? t('rules.path.quota', { tier: label('tier', str(d)) }) : t('rules.tiers.quotas');
      return t('rules.section.tiers');
    }
    return t('rules.section.bands');
  }
  if (a === 'classify') {
    if (b === 'cuts')
      return c === 'M' ? t('rules.nineBox.cutM') : c === 'H' ? t('rules.nineBox.cutH') : t('rules.section.nineBox');
    if (b === 'matrix' && typeof c === 'number' && typeof d === 'number') {
      const rows = ['H', 'M', 'L'];
      const columns = ['L', 'M', 'H'];
      return t('rules.path.matrixCell', { potential: label('level', rows[c]), contribution: label('level', columns[d]) });
    }
    return t('rules.section.nineBox');
  }
  for (const list of RULE_LIST_PATHS) {
    if (a !== list.path[0] || b !== list.path[1]) continue;
    const title = t(SECTION_TITLE[list.section]);
    if (typeof c !== 'number') return title;
    const name = ruleName?.(list.path, c);
    const rule = name ? t('rules.path.rule', { list: title, name }) : t('rules.path.ruleN', { list: title, n: c + 1 });
    if (d === 'name') return parts(rule, t('rules.rule.name'));
    if (d === 'priority') return parts(rule, t('rules.rule.priority'));
    if (d === 'conditions') return parts(rule, t('rules.rule.conditions'));
    if (d === 'event' && s[4] === 'params' && typeof s[5] === 'string') return parts(rule, paramLabel(s[5], t));
    return rule;
  }
  if ((a === 'strategy' || a === 'investment') && b === 'fallback')
    return parts(t(a === 'strategy' ? 'rules.section.strategy' : 'rules.section.investment'), t('rules.list.fallback'));
  if (a === 'coverage') {
    if (b === 'fallback')
      return typeof c === 'string'
        ? parts(t('rules.section.coverage'), t('rules.list.fallback'), paramLabel(c, t))
        : parts(t('rules.section.coverage'), t('rules.list.fallback'));
    if (b === 'teams') return c ? t('rules.path.team', { line: label('line', str(c)) }) : t('rules.section.coverage');
    return t('rules.section.coverage');
  }
  if (a === 'profile') {
    if (b === 'checklist') return t('rules.form.profile.checklist');
    if (b === 'minCompleteness') return t('rules.form.profile.minCompleteness');
    return t('rules.form.section.profile');
  }
  if (a === 'relationship') {
    if (b === 'competitorFactor') return t('rules.form.interaction.competitorFactor');
    if (b === 'interactionLevels') {
      if (typeof c !== 'number') return t('rules.form.interaction.levels');
      const row = t('rules.path.interactionRow', { n: c + 1 });
      if (d === 'min') return parts(row, t('rules.form.interaction.min'));
      if (d === 'level') return parts(row, t('rules.form.interaction.level'));
      if (d === 'factor') return parts(row, t('rules.form.interaction.factor'));
      return row;
    }
    return null;
  }
  if (a === 'plan') {
    const strategy = label('strategy', str(c));
    if (b === 'objectiveGrowth') return c ? t('rules.path.growth', { strategy }) : t('rules.form.plan.growth');
    if (b === 'goals') return c ? t('rules.path.goal', { strategy }) : t('rules.form.plan.goals');
    if (b === 'approvalTiers') return t('rules.form.plan.approvalTiers');
    if (b === 'acquireFirstDealShare') return t('rules.form.plan.firstDeal');
    if (b === 'checkpointsPerYear') return t('rules.form.plan.checkpoints');
    if (b === 'templates') {
      if (!c) return t('rules.form.plan.templates');
      if (typeof d !== 'number') return t('rules.form.plan.templatesOf', { strategy });
      const tactic = t('rules.form.plan.tacticTitleOf', { strategy, n: d + 1 });
      if (e === 'title') return parts(tactic, t('rules.form.plan.tacticTitle'));
      if (e === 'role') return parts(tactic, t('rules.form.plan.tacticRole'));
      if (e === 'dueInDays') return parts(tactic, t('rules.form.plan.tacticDue'));
      return tactic;
    }
    return t('rules.form.section.plan');
  }
  if (a === 'monitor' && b === 'intervalDays') return t('rules.form.cadence.interval');
  if (a === 'execute')
    return c ? t('rules.form.cadence.visitsOf', { tier: label('tier', str(c)) }) : t('rules.form.cadence.visits');
  if (a === 'review') {
    if (c === 'month') return parts(t('rules.form.section.review'), t('rules.form.review.month'));
    if (c === 'day') return parts(t('rules.form.section.review'), t('rules.form.review.day'));
    return t('rules.form.section.review');
  }
  return null;
}

function paramLabel(key: string, t: Wording['t']): string {
  return PARAM_KEYS.has(key) ? t(`rules.param.${key}` as MessageKey) : key;
}

/** A value of the setting at `path`, worded: enum values by their labels, numbers localised. */
export function valueText(path: string, value: unknown, w: Wording): string {
  if (value === undefined || value === null) return w.t('common.none');
  const s = parsePath(path) ?? [];
  const key = [...s].reverse().find((x): x is string => typeof x === 'string');
  const namespace =
    s[1] === 'interactionLevels'
      ? 'interaction'
      : key === 'fallback' && s.length === 2
        ? FALLBACK_NAMESPACE[str(s[0])]
        : key
          ? VALUE_NAMESPACE[key]
          : undefined;
  if (typeof value === 'number') return w.number(value);
  if (typeof value === 'boolean') return w.t(value ? 'common.yes' : 'common.no');
  if (typeof value === 'string') {
    if (key === 'mode')
      return value === 'quota' ? w.t('rules.tiers.quota') : value === 'threshold' ? w.t('rules.tiers.threshold') : value;
    return namespace ? w.label(namespace, value) : `“${value}”`;
  }
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null))
    return value.length === 0 ? w.t('common.none') : value.map((v) => valueText(path, v, w)).join(', ');
  if (typeof value === 'object' && !Array.isArray(value) && typeof (value as { name?: unknown }).name === 'string')
    return `“${(value as { name: string }).name}”`;
  return JSON.stringify(value);
}

export interface ChangeLike {
  path: string;
  kind: string;
  before?: unknown;
  after?: unknown;
}

/** One change as a sentence: "Tier T1 threshold: 80 → 75". */
export function changeSentence(change: ChangeLike, w: Wording, ruleName?: RuleNames): string {
  const setting = settingLabel(change.path, w, ruleName);
  if (change.kind === 'added') return w.t('rules.diff.added', { setting, after: valueText(change.path, change.after, w) });
  if (change.kind === 'removed') return w.t('rules.diff.removed', { setting, before: valueText(change.path, change.before, w) });
  return w.t('rules.diff.changed', {
    setting,
    before: valueText(change.path, change.before, w),
    after: valueText(change.path, change.after, w),
  });
}
