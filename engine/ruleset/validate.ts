/**
 * Rule set validation: every problem at once, each at its JSON path. An invalid set never reaches
 * the evaluator: `resolveRuleSet` is the only way to get a `ValidRuleSet`.
 */
import type { z } from 'zod';
import { DIMENSIONS, TIERS } from '../model.js';
import type { RuleSection } from '../rules/facts.js';
import { checkConditions } from './conditions.js';
import { issue, zodMessage, type Issue, type PathSegment } from './issues.js';
import { applyOverride, ruleSetOverrideSchema } from './override.js';
import { FALLBACK_INDUSTRY, RULE_LISTS, ruleSetSchema, type RuleSet } from './schema.js';

const SUM_TOLERANCE = 1e-9;

const SECTION_OF_LIST: Record<string, RuleSection> = {
  'relationship.flagRules': 'flags',
  'coverage.rules': 'coverage',
  'strategy.rules': 'strategy',
  'investment.rules': 'investment',
  'monitor.healthRules': 'health',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function zodIssues(error: z.ZodError): Issue[] {
  return error.issues
    .filter((i) => !i.path.includes('conditions'))
    .map((i) => issue(i.path as PathSegment[], `schema.${i.code}`, zodMessage(i)));
}

/** Condition problems found by the condition walker, which gives clearer messages than a union. */
function ruleListIssues(json: unknown): Issue[] {
  if (!isObject(json)) return [];
  const issues: Issue[] = [];
  for (const [sectionKey, listKey] of RULE_LISTS) {
    const section = json[sectionKey];
    const list = isObject(section) ? section[listKey] : undefined;
    if (!Array.isArray(list)) continue;
    const names = new Map<string, number>();
    list.forEach((rule, i) => {
      const at: PathSegment[] = [sectionKey, listKey, i];
      if (!isObject(rule) || rule['remove'] === true) return;
      if (typeof rule['name'] === 'string') {
        const first = names.get(rule['name']);
        if (first !== undefined)
          issues.push(
            issue([...at, 'name'], 'rule.duplicateName', `rule name "${rule['name']}" is already used at index ${first}`, {
              name: rule['name'],
              index: first,
            }),
          );
        else names.set(rule['name'], i);
      }
      if ('conditions' in rule)
        issues.push(...checkConditions(rule['conditions'], SECTION_OF_LIST[`${sectionKey}.${listKey}`]!, [...at, 'conditions']));
      else issues.push(issue([...at, 'conditions'], 'rule.missingConditions', 'a rule needs conditions'));
    });
  }
  return issues;
}

function bandIssues(grade: RuleSet['grade']): Issue[] {
  const issues: Issue[] = [];
  for (const d of DIMENSIONS) {
    const bands = grade.bands[d];
    for (let i = 1; i < bands.length; i++) {
      if (!(bands[i]!.min < bands[i - 1]!.min))
        issues.push(
          issue(['grade', 'bands', d, i, 'min'], 'bands.order', `bands must be strictly descending by min: ${bands[i]!.min} is not below ${bands[i - 1]!.min}`, {
            dimension: d,
            min: bands[i]!.min,
            previous: bands[i - 1]!.min,
          }),
        );
    }
  }
  return issues;
}

function weightIssues(grade: RuleSet['grade']): Issue[] {
  const sum = DIMENSIONS.reduce((s, d) => s + grade.weights[d], 0);
  if (Math.abs(sum - 1) > SUM_TOLERANCE)
    return [
      issue(['grade', 'weights'], 'weights.sum', `weights must sum to 1; they sum to ${Math.round(sum * 1e6) / 1e6}`, {
        sum: Math.round(sum * 1e6) / 1e6,
      }),
    ];
  return [];
}

function tierIssues(grade: RuleSet['grade']): Issue[] {
  const issues: Issue[] = [];
  const { thresholds, quotas } = grade.tierPolicy;
  const ordered = TIERS.slice(0, 3) as ('T1' | 'T2' | 'T3')[];
  for (let i = 1; i < ordered.length; i++) {
    const hi = ordered[i - 1]!;
    const lo = ordered[i]!;
    if (!(thresholds[lo] < thresholds[hi]))
      issues.push(
        issue(['grade', 'tierPolicy', 'thresholds', lo], 'tiers.order', `tier thresholds must descend: ${lo} (${thresholds[lo]}) must be below ${hi} (${thresholds[hi]})`, {
          tier: lo,
          value: thresholds[lo],
          above: hi,
          aboveValue: thresholds[hi],
        }),
      );
  }
  const quotaSum = quotas.T1 + quotas.T2 + quotas.T3;
  if (quotaSum > 1 + SUM_TOLERANCE)
    issues.push(
      issue(['grade', 'tierPolicy', 'quotas'], 'quotas.sum', `quotas must not sum above 1; they sum to ${Math.round(quotaSum * 1e6) / 1e6}`, {
        sum: Math.round(quotaSum * 1e6) / 1e6,
      }),
    );
  return issues;
}

function classifyIssues(classify: RuleSet['classify']): Issue[] {
  const issues: Issue[] = [];
  const { matrix, cuts } = classify;
  if (matrix.length !== 3 || matrix.some((row) => row.length !== 3))
    issues.push(issue(['classify', 'matrix'], 'matrix.shape', 'the class matrix must be 3 rows (potential H, M, L) × 3 columns (contribution L, M, H) of A–D'));
  if (!(cuts.M < cuts.H))
    issues.push(issue(['classify', 'cuts', 'H'], 'cuts.order', `the H cut (${cuts.H}) must be above the M cut (${cuts.M})`, { M: cuts.M, H: cuts.H }));
  return issues;
}

function relationshipIssues(relationship: RuleSet['relationship']): Issue[] {
  const issues: Issue[] = [];
  const levels = relationship.interactionLevels;
  for (let i = 1; i < levels.length; i++)
    if (!(levels[i]!.min < levels[i - 1]!.min))
      issues.push(
        issue(['relationship', 'interactionLevels', i, 'min'], 'levels.order', 'interaction levels must be strictly descending by min'),
      );
  if (levels.at(-1)?.min !== 0)
    issues.push(
      issue(['relationship', 'interactionLevels'], 'levels.zero', 'the last interaction level must start at 0 so every count has a level'),
    );
  return issues;
}

/**
 * Cross-field checks, each run on its own section as soon as that section has the right shape, so
 * a type error elsewhere does not hide them.
 */
function semanticIssues(json: unknown): Issue[] {
  if (!isObject(json)) return [];
  const sections = ruleSetSchema.shape;
  const issues: Issue[] = [];
  const grade = sections.grade.safeParse(json['grade']);
  if (grade.success) issues.push(...bandIssues(grade.data), ...weightIssues(grade.data), ...tierIssues(grade.data));
  const classify = sections.classify.safeParse(json['classify']);
  if (classify.success) issues.push(...classifyIssues(classify.data));
  const relationship = sections.relationship.safeParse(json['relationship']);
  if (relationship.success) issues.push(...relationshipIssues(relationship.data));
  return issues;
}

declare const valid: unique symbol;
/** A rule set that passed validation; only `validateRuleSet` and `resolveRuleSet` make one. */
export type ValidRuleSet = RuleSet & { readonly [valid]: true };

export type Validation = { ok: true; ruleSet: ValidRuleSet; issues: [] } | { ok: false; issues: Issue[] };

/** Validates a complete rule set (the fallback `*`, or an effective one). Never throws. */
export function validateRuleSet(json: unknown): Validation {
  const parsed = ruleSetSchema.safeParse(json);
  const issues = [...(parsed.success ? [] : zodIssues(parsed.error)), ...ruleListIssues(json), ...semanticIssues(json)];
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, ruleSet: parsed.data as ValidRuleSet, issues: [] };
}

/**
 * The effective rule set of an industry: the valid fallback with the industry's override applied,
 * validated as a whole. Override problems are reported at their path in the override.
 */
export function resolveRuleSet(base: unknown, override?: unknown): Validation {
  if (override === undefined) {
    const v = validateRuleSet(base);
    if (v.ok && v.ruleSet.industry !== FALLBACK_INDUSTRY)
      return { ok: false, issues: [issue(['industry'], 'ruleset.notFallback', 'a complete rule set must be the fallback "*"')] };
    return v;
  }
  const parsedOverride = ruleSetOverrideSchema.safeParse(override);
  const overrideIssues = [...(parsedOverride.success ? [] : zodIssues(parsedOverride.error)), ...ruleListIssues(override)];
  const merged = applyOverride(base, override);
  const effective = validateRuleSet(merged);
  const seen = new Set(overrideIssues.map((i) => `${i.path}|${i.code}`));
  const issues = [...overrideIssues, ...(effective.ok ? [] : effective.issues.filter((i) => !seen.has(`${i.path}|${i.code}`)))];
  // An override's own structure errors may not show in the merged set (e.g. a stray key stripped by merge).
  if (issues.length > 0) return { ok: false, issues };
  return effective;
}
