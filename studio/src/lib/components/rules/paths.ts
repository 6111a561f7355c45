/**
 * JSON paths as the validator writes them (`$.strategy.rules[1].conditions.all[0].value`), and
 * which editor field shows an issue found at a path. Pure, and spelt by the engine's own `jsonPath`:
 * the server maps issues with it and the browser renders the same anchors, so both agree on where a
 * message goes.
 */
import { jsonPath, type PathSegment } from '$engine/ruleset-format/issues.js';

export { jsonPath };
export type Segment = PathSegment;

/** The inverse of `jsonPath`; null for text that is not such a path. */
export function parsePath(path: string): Segment[] | null {
  if (!path.startsWith('$')) return null;
  const out: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      const m = /^[A-Za-z_$][\w$]*/.exec(path.slice(i + 1));
      if (!m) return null;
      out.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i + 1);
      const num = /^(\d+)\]/.exec(rest);
      if (num) {
        out.push(Number(num[1]));
        i += 1 + num[0].length;
        continue;
      }
      const str = /^("(?:[^"\\]|\\.)*")\]/.exec(rest);
      if (!str) return null;
      out.push(JSON.parse(str[1]!) as string);
      i += 1 + str[0].length;
    } else return null;
  }
  return out;
}

export const DIMENSION_KEYS = ['revenue', 'potential', 'demonstration', 'winnability'] as const;
export const TIER_KEYS3 = ['T1', 'T2', 'T3'] as const;

/** The rule lists of a rule set, with the rule section whose facts they may use. */
export const RULE_LIST_PATHS = [
  { section: 'flags', path: ['relationship', 'flagRules'] },
  { section: 'coverage', path: ['coverage', 'rules'] },
  { section: 'strategy', path: ['strategy', 'rules'] },
  { section: 'investment', path: ['investment', 'rules'] },
  { section: 'health', path: ['monitor', 'healthRules'] },
] as const;
export type RuleSectionName = (typeof RULE_LIST_PATHS)[number]['section'];

const isDimension = (s: Segment | undefined): s is string =>
  typeof s === 'string' && (DIMENSION_KEYS as readonly string[]).includes(s);
const isTier3 = (s: Segment | undefined): s is string => typeof s === 'string' && (TIER_KEYS3 as readonly string[]).includes(s);

/** Within a rule's conditions: the condition node, or its fact / operator / value input. */
function conditionField(node: Segment[], rest: readonly Segment[]): string {
  let at = [...node];
  for (let i = 0; i < rest.length;) {
    const s = rest[i];
    if ((s === 'all' || s === 'any') && typeof rest[i + 1] === 'number') {
      at = [...at, s, rest[i + 1]!];
      i += 2;
    } else if (s === 'not') {
      at = [...at, 'not'];
      i += 1;
    } else if (s === 'fact' || s === 'operator' || s === 'value') {
      return jsonPath([...at, s]);
    } else break;
  }
  return jsonPath(at);
}

function ruleField(rule: Segment[], rest: readonly Segment[]): string {
  const [first, second, third] = rest;
  if (first === 'name' || first === 'priority' || first === 'description') return jsonPath([...rule, first]);
  if (first === 'event' && second === 'params' && typeof third === 'string') return jsonPath([...rule, 'event', 'params', third]);
  if (first === 'conditions') return conditionField([...rule, 'conditions'], rest.slice(1));
  return jsonPath(rule);
}

/**
 * The editor field that shows an issue at `path`: the input itself where the form has one (a
 * weight, a band's min, a condition's value), else the nearest enclosing group (the weights as a
 * whole, a band list, a rule, a condition). Null when the form has no place for it (a key
 * the format does not know, such as a typo): those show at the JSON view.
 */
export function fieldFor(path: string): string | null {
  const s = parsePath(path);
  if (!s || s.length === 0) return null;
  const [a, b, c, d, e] = s;
  if (a === 'description' && s.length === 1) return '$.description';
  if (a === 'grade') {
    if (b === 'weights') return isDimension(c) ? jsonPath(['grade', 'weights', c]) : '$.grade.weights';
    if (b === 'bandScale') return isDimension(c) ? jsonPath(['grade', 'bandScale', c]) : '$.grade.bandScale';
    if (b === 'bands') {
      if (!isDimension(c)) return '$.grade.bands';
      if (typeof d === 'number' && (e === 'min' || e === 'score')) return jsonPath(['grade', 'bands', c, d, e]);
      return jsonPath(['grade', 'bands', c]);
    }
    if (b === 'tierPolicy') {
      if (c === 'mode') return '$.grade.tierPolicy.mode';
      if (c === 'thresholds' || c === 'quotas')
        return isTier3(d) ? jsonPath(['grade', 'tierPolicy', c, d]) : jsonPath(['grade', 'tierPolicy', c]);
      return '$.grade.tierPolicy';
    }
    return '$.grade';
  }
  if (a === 'classify') {
    if (b === 'cuts') return c === 'M' || c === 'H' ? jsonPath(['classify', 'cuts', c]) : '$.classify.cuts';
    if (b === 'matrix') return '$.classify.matrix';
    return '$.classify';
  }
  for (const list of RULE_LIST_PATHS) {
    if (a !== list.path[0] || b !== list.path[1]) continue;
    if (typeof c !== 'number') return jsonPath(list.path);
    return ruleField([...list.path, c], s.slice(3));
  }
  if ((a === 'strategy' || a === 'investment') && b === 'fallback') return jsonPath([a, 'fallback']);
  const typed = typedField(s);
  if (typed) return typed;
  if (a === 'coverage' && b === 'fallback')
    return c === 'line' || c === 'presalesTier' || c === 'track' ? jsonPath(['coverage', 'fallback', c]) : '$.coverage.fallback';
  return null;
}

// The typed forms' fields below the rule lists: `*` stands for any key, `#` for any index. An
// issue shows at the deepest field whose pattern matches the start of its path.
const TYPED_FIELDS: readonly (readonly string[])[] = [
  ['profile'],
  ['profile', 'checklist'],
  ['profile', 'minCompleteness'],
  ['relationship', 'interactionLevels'],
  ['relationship', 'interactionLevels', '#', 'min'],
  ['relationship', 'interactionLevels', '#', 'level'],
  ['relationship', 'interactionLevels', '#', 'factor'],
  ['relationship', 'competitorFactor'],
  ['plan'],
  ['plan', 'objectiveGrowth'],
  ['plan', 'objectiveGrowth', '*'],
  ['plan', 'acquireFirstDealShare'],
  ['plan', 'approvalTiers'],
  ['plan', 'approverRole'],
  ['plan', 'goals'],
  ['plan', 'goals', '*'],
  ['plan', 'templates'],
  ['plan', 'templates', '*'],
  ['plan', 'templates', '*', '#', 'title'],
  ['plan', 'templates', '*', '#', 'role'],
  ['plan', 'templates', '*', '#', 'dueInDays'],
  ['plan', 'checkpointsPerYear'],
  ['monitor', 'intervalDays'],
  ['execute'],
  ['execute', 'visitCadenceDays'],
  ['execute', 'visitCadenceDays', '*'],
  ['review'],
  ['review', 'schedule'],
  ['review', 'schedule', 'month'],
  ['review', 'schedule', 'day'],
];

function typedField(s: readonly Segment[]): string | null {
  let best: readonly string[] | null = null;
  for (const pattern of TYPED_FIELDS) {
    if (pattern.length > s.length || (best && pattern.length <= best.length)) continue;
    const fits = pattern.every((p, i) =>
      p === '#' ? typeof s[i] === 'number' : p === '*' ? typeof s[i] === 'string' : p === s[i],
    );
    if (fits) best = pattern;
  }
  return best ? jsonPath(s.slice(0, best.length)) : null;
}

/** A DOM id for a field path, unique per path, safe in `#…` links and CSS selectors. */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}
