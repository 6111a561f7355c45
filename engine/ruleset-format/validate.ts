/**
 * Rule set validation: every problem at once, each at its JSON path. An invalid set never reaches
 * the evaluator: `resolveRuleSet` is the only way to get a `ValidRuleSet`.
 */
import type { z } from 'zod';
import { DIMENSIONS, TIERS } from '../model.js';
import type { RuleSection } from '../json-rules/facts.js';
import { checkConditions } from './conditions.js';
import { issue, zodMessage, type Issue, type PathSegment } from './issues.js';
import { applyOverride, ruleSetOverrideSchema } from './override.js';
import {
  classifySectionSchema,
  FALLBACK_INDUSTRY,
  gradeSectionSchema,
  relationshipSectionSchema,
  RULE_LISTS,
  ruleSetSchema,
  type RuleSet,
} from './schema.js';

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

type ZodIssue = z.core.$ZodIssue;

/**
 * A union's bare "Invalid input" tells an admin nothing: report the issues of the branch that came
 * closest (fewest issues), e.g. an override's rule list element is either `{ name, remove: true }`
 * or a rule, and a rule with one bad field should report that field.
 */
function flattenUnions(i: ZodIssue, base: readonly PathSegment[]): { path: PathSegment[]; issue: ZodIssue }[] {
  const path = [...base, ...(i.path as PathSegment[])];
  if (i.code === 'invalid_union' && i.errors.length > 0) {
    const branches = i.errors.map((branch) => branch.flatMap((x) => flattenUnions(x, path)));
    const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
    if (best.length > 0) return best;
  }
  return [{ path, issue: i }];
}

function zodIssues(error: z.ZodError): Issue[] {
  return error.issues
    .flatMap((i) => flattenUnions(i, []))
    .filter(({ path }) => !path.includes('conditions'))
    .flatMap(({ path, issue: i }) =>
      // One issue per unknown key, at the key itself: `$.grade.weigths`, not `$.grade`.
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => issue([...path, k], 'schema.unknownKey', `unknown key "${k}" (a typo?)`, { key: k }))
        : [issue(path, `schema.${i.code}`, zodMessage(i))],
    );
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

function bandIssues(allBands: RuleSet['grade']['bands']): Issue[] {
  const issues: Issue[] = [];
  for (const d of DIMENSIONS) {
    const bands = allBands[d];
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

function weightIssues(weights: RuleSet['grade']['weights']): Issue[] {
  const sum = DIMENSIONS.reduce((s, d) => s + weights[d], 0);
  if (Math.abs(sum - 1) > SUM_TOLERANCE)
    return [
      issue(['grade', 'weights'], 'weights.sum', `weights must sum to 1; they sum to ${Math.round(sum * 1e6) / 1e6}`, {
        sum: Math.round(sum * 1e6) / 1e6,
      }),
    ];
  return [];
}

function tierIssues(tierPolicy: RuleSet['grade']['tierPolicy']): Issue[] {
  const issues: Issue[] = [];
  const { thresholds, quotas } = tierPolicy;
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

/** The matrix shape is checked on the raw rows, so a wrong letter does not hide a wrong shape. */
function matrixShapeIssues(matrix: unknown): Issue[] {
  if (!Array.isArray(matrix) || !matrix.every((row) => Array.isArray(row))) return [];
  if (matrix.length !== 3 || matrix.some((row: unknown[]) => row.length !== 3))
    return [issue(['classify', 'matrix'], 'matrix.shape', 'the class matrix must be 3 rows (potential H, M, L) × 3 columns (contribution L, M, H) of A–D')];
  return [];
}

function cutIssues(cuts: RuleSet['classify']['cuts']): Issue[] {
  if (!(cuts.M < cuts.H))
    return [issue(['classify', 'cuts', 'H'], 'cuts.order', `the H cut (${cuts.H}) must be above the M cut (${cuts.M})`, { M: cuts.M, H: cuts.H })];
  return [];
}

function relationshipIssues(levels: RuleSet['relationship']['interactionLevels']): Issue[] {
  const issues: Issue[] = [];
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
 * Cross-field checks, each run on its own part (bands, weights, tier policy, matrix, cuts,
 * interaction levels) as soon as that part has the right shape, so a type error elsewhere (even
 * in the same section) does not hide them.
 */
function semanticIssues(json: unknown): Issue[] {
  if (!isObject(json)) return [];
  const issues: Issue[] = [];
  const check = <T>(schema: z.ZodType<T>, value: unknown, run: (v: T) => Issue[]) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) issues.push(...run(parsed.data));
  };
  const grade = isObject(json['grade']) ? json['grade'] : {};
  const classify = isObject(json['classify']) ? json['classify'] : {};
  const relationship = isObject(json['relationship']) ? json['relationship'] : {};
  check(gradeSectionSchema.shape.bands, grade['bands'], bandIssues);
  check(gradeSectionSchema.shape.weights, grade['weights'], weightIssues);
  check(gradeSectionSchema.shape.tierPolicy, grade['tierPolicy'], tierIssues);
  issues.push(...matrixShapeIssues(classify['matrix']));
  check(classifySectionSchema.shape.cuts, classify['cuts'], cutIssues);
  check(relationshipSectionSchema.shape.interactionLevels, relationship['interactionLevels'], relationshipIssues);
  return issues;
}

declare const valid: unique symbol;
/** A rule set that passed validation; only `validateRuleSet` and `resolveRuleSet` make one. */
export type ValidRuleSet = RuleSet & { readonly [valid]: true };

export type Validation = { ok: true; ruleSet: ValidRuleSet; issues: [] } | { ok: false; issues: Issue[] };

/** How deep all/any/not may nest: far beyond any real rule, low enough for every recursive walker. */
export const MAX_CONDITION_DEPTH = 100;

/** How many all / any / not levels a condition tree nests, counted without recursion and only up to just past the limit. */
function conditionDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0 && max <= MAX_CONDITION_DEPTH) {
    const [node, depth] = stack.pop()!;
    if (!isObject(node) || !('all' in node || 'any' in node || 'not' in node)) continue;
    max = Math.max(max, depth);
    for (const key of ['all', 'any'] as const) {
      const children = node[key];
      if (Array.isArray(children)) for (const c of children) stack.push([c, depth + 1]);
    }
    if ('not' in node) stack.push([node['not'], depth + 1]);
  }
  return max;
}

/**
 * A copy of a rule set document in which `replace` may swap each rule's conditions (it returns
 * undefined to keep them); everything else is shared with the input, which is never mutated.
 */
function mapConditions(json: unknown, replace: (conditions: unknown, at: PathSegment[]) => unknown): unknown {
  if (!isObject(json)) return json;
  let out: Record<string, unknown> = json;
  for (const [sectionKey, listKey] of RULE_LISTS) {
    const section = out[sectionKey];
    const list = isObject(section) ? section[listKey] : undefined;
    if (!isObject(section) || !Array.isArray(list)) continue;
    let copy: unknown[] | undefined;
    list.forEach((rule, i) => {
      if (!isObject(rule) || !('conditions' in rule)) return;
      const replacement = replace(rule['conditions'], [sectionKey, listKey, i, 'conditions']);
      if (replacement === undefined) return;
      copy ??= [...list];
      copy[i] = { ...rule, conditions: replacement };
    });
    if (copy) out = { ...out, [sectionKey]: { ...section, [listKey]: copy } };
  }
  return out;
}

/**
 * Conditions nested deeper than the limit are reported and replaced by `{ all: [] }` in a copy, so
 * the rest of the set is still checked (the schema and the condition walker recurse, and a hostile
 * tree thousands of levels deep would overflow the stack).
 */
function limitDepth(json: unknown): { json: unknown; issues: Issue[] } {
  const issues: Issue[] = [];
  const out = mapConditions(json, (conditions, at) => {
    if (conditionDepth(conditions) <= MAX_CONDITION_DEPTH) return undefined;
    issues.push(
      issue(at, 'condition.tooDeep', `conditions may nest at most ${MAX_CONDITION_DEPTH} levels of all / any / not`, {
        max: MAX_CONDITION_DEPTH,
      }),
    );
    return { all: [] };
  });
  return { json: out, issues };
}

/**
 * The zod schemas parse every rule's conditions with a stand-in: the condition walker
 * (`checkConditions`) checks them with clearer messages and is stricter than the schema, whose
 * condition issues were discarded anyway, and a union per condition node made the schema parse
 * the bulk of validation time (and far more on invalid conditions).
 */
function stubConditions(json: unknown): unknown {
  return mapConditions(json, () => ({ all: [] }));
}

/** Puts the real conditions (copied: the input is the caller's) back into a parsed rule set. */
function restoreConditions(parsed: RuleSet, json: unknown): RuleSet {
  for (const [sectionKey, listKey] of RULE_LISTS) {
    const source = (json as Record<string, Record<string, { conditions: unknown }[]>>)[sectionKey]![listKey]!;
    const rules = (parsed as unknown as Record<string, Record<string, { conditions: unknown }[]>>)[sectionKey]![listKey]!;
    rules.forEach((rule, i) => {
      rule.conditions = structuredClone(source[i]!.conditions);
    });
  }
  return parsed;
}

/** Validates a complete rule set (the fallback `*`, or an effective one). Never throws. */
export function validateRuleSet(input: unknown): Validation {
  const { json, issues: depthIssues } = limitDepth(input);
  const parsed = ruleSetSchema.safeParse(stubConditions(json));
  const issues = [...depthIssues, ...(parsed.success ? [] : zodIssues(parsed.error)), ...ruleListIssues(json), ...semanticIssues(json)];
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, ruleSet: restoreConditions(parsed.data, json) as ValidRuleSet, issues: [] };
}

/** `{ name, remove: true }` must name an inherited rule: a typo would otherwise silently keep it. */
function removalIssues(base: unknown, override: unknown): Issue[] {
  if (!isObject(base) || !isObject(override)) return [];
  const issues: Issue[] = [];
  for (const [sectionKey, listKey] of RULE_LISTS) {
    const baseSection = base[sectionKey];
    const section = override[sectionKey];
    const baseList = isObject(baseSection) ? baseSection[listKey] : undefined;
    const list = isObject(section) ? section[listKey] : undefined;
    if (!Array.isArray(list) || !Array.isArray(baseList)) continue;
    const inherited = new Set(baseList.map((r) => (isObject(r) ? r['name'] : undefined)));
    list.forEach((rule, i) => {
      if (isObject(rule) && rule['remove'] === true && typeof rule['name'] === 'string' && !inherited.has(rule['name']))
        issues.push(
          issue([sectionKey, listKey, i, 'name'], 'rule.removeUnknown', `there is no inherited rule "${rule['name']}" to remove`, {
            name: rule['name'],
          }),
        );
    });
  }
  return issues;
}

const RULE_PATH = /^\$\.(\w+)\.(\w+)\[(\d+)\]/;

/**
 * A problem of the merged set inside a rule the override brought (replaced or added) is reported
 * at that rule's index in the override, the file the admin edits, not at its merged position.
 */
function atOverridePath(i: Issue, merged: unknown, override: unknown): Issue {
  const m = RULE_PATH.exec(i.path);
  if (!m || !RULE_LISTS.some(([section, list]) => section === m[1] && list === m[2])) return i;
  const listOf = (doc: unknown) => {
    const section = isObject(doc) ? doc[m[1]!] : undefined;
    return isObject(section) ? section[m[2]!] : undefined;
  };
  const mergedList = listOf(merged);
  const overrideList = listOf(override);
  if (!Array.isArray(mergedList) || !Array.isArray(overrideList)) return i;
  const at = overrideList.indexOf(mergedList[Number(m[3])]);
  if (at < 0) return i;
  const path = `$.${m[1]}.${m[2]}[${at}]${i.path.slice(m[0].length)}`;
  return { ...i, path, params: { ...i.params, path } };
}

/**
 * The effective rule set of an industry: the valid fallback with the industry's override applied,
 * validated as a whole. Override problems are reported at their path in the override.
 */
export function resolveRuleSet(base: unknown, overrideInput?: unknown): Validation {
  if (overrideInput === undefined) {
    const v = validateRuleSet(base);
    if (v.ok && v.ruleSet.industry !== FALLBACK_INDUSTRY)
      return { ok: false, issues: [issue(['industry'], 'ruleset.notFallback', 'a complete rule set must be the fallback "*"')] };
    return v;
  }
  const { json: override, issues: depthIssues } = limitDepth(overrideInput);
  const parsedOverride = ruleSetOverrideSchema.safeParse(stubConditions(override));
  const overrideIssues = [
    ...depthIssues,
    ...(parsedOverride.success ? [] : zodIssues(parsedOverride.error)),
    ...ruleListIssues(override),
    ...removalIssues(base, override),
  ];
  const merged = applyOverride(base, override);
  const effective = validateRuleSet(merged);
  const seen = new Set(overrideIssues.map((i) => `${i.path}|${i.code}`));
  const mergedIssues = effective.ok ? [] : effective.issues.map((i) => atOverridePath(i, merged, override));
  const issues = [...overrideIssues, ...mergedIssues.filter((i) => !seen.has(`${i.path}|${i.code}`))];
  // An override's own structure errors may not show in the merged set (e.g. a stray key stripped by merge).
  if (issues.length > 0) return { ok: false, issues };
  return effective;
}
