/**
 * Checks the json-rules-engine conditions of a rule against the documented facts of its rule list:
 * structure (all/any/not/leaf), known facts and operators, and values that fit the fact's type
 * (so an unknown tier, class, strategy or flag is caught at publish time, not at run time).
 */
import { factsFor, FACTS_BY_NAME, type FactDefinition, type RuleSection } from '../json-rules/facts.js';
import { issue, type Issue, type PathSegment } from './issues.js';

type OperatorKind = 'equality' | 'numeric' | 'membership' | 'contains';
const OPERATORS: Record<string, OperatorKind> = {
  equal: 'equality',
  notEqual: 'equality',
  lessThan: 'numeric',
  lessThanInclusive: 'numeric',
  greaterThan: 'numeric',
  greaterThanInclusive: 'numeric',
  in: 'membership',
  notIn: 'membership',
  contains: 'contains',
  doesNotContain: 'contains',
};
export const RULE_OPERATORS = Object.keys(OPERATORS);

const LEAF_KEYS = new Set(['fact', 'operator', 'value', 'priority']);
const GROUP_KEYS = new Set(['all', 'any', 'not', 'priority']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as an admin wrote it, shortened; never throws (NaN, cycles, absurd nesting). */
function describe(v: unknown): string {
  let text: string;
  try {
    text = typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    text = Array.isArray(v) ? 'a list' : typeof v;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const KNOWN_FACTS = new Map<RuleSection, Map<string, FactDefinition>>();

/** The facts a rule list may use, by name; built once per list. */
function knownFacts(section: RuleSection): Map<string, FactDefinition> {
  let known = KNOWN_FACTS.get(section);
  if (!known) KNOWN_FACTS.set(section, (known = new Map(factsFor(section).map((f) => [f.name, f]))));
  return known;
}

export function checkConditions(conditions: unknown, section: RuleSection, at: PathSegment[]): Issue[] {
  const issues: Issue[] = [];
  const known = knownFacts(section);

  const checkPriority = (node: Record<string, unknown>, path: PathSegment[]) => {
    const p = node['priority'];
    if (p !== undefined && !(typeof p === 'number' && Number.isInteger(p) && p > 0))
      issues.push(issue([...path, 'priority'], 'condition.priority', 'priority must be a positive whole number'));
  };

  const checkValue = (fact: FactDefinition, kind: OperatorKind, value: unknown, path: PathSegment[]) => {
    const t = fact.type;
    const wrongType = (expected: string) =>
      issues.push(
        issue(path, 'condition.valueType', `fact "${fact.name}" with this operator needs ${expected}, got ${describe(value)}`, {
          fact: fact.name,
          expected,
          value: describe(value),
        }),
      );
    const checkEnumMember = (v: unknown, p: PathSegment[]) => {
      if (t.kind !== 'enum' && t.kind !== 'set') return;
      if (typeof v !== 'string' || !t.values.includes(v))
        issues.push(
          issue(p, 'condition.unknownValue', `unknown ${fact.name} ${describe(v)}; expected one of ${t.values.join(', ')}`, {
            fact: fact.name,
            value: describe(v),
            allowed: t.values.join(', '),
          }),
        );
    };
    switch (kind) {
      case 'numeric':
        if (t.kind !== 'number')
          issues.push(
            issue(path, 'condition.operatorType', `operator compares numbers but fact "${fact.name}" is not a number`, {
              fact: fact.name,
            }),
          );
        else if (typeof value !== 'number' || !Number.isFinite(value)) wrongType('a number');
        return;
      case 'equality':
        if (t.kind === 'set')
          issues.push(
            issue(path, 'condition.operatorType', `fact "${fact.name}" is a set: use contains or doesNotContain`, {
              fact: fact.name,
            }),
          );
        else if (t.kind === 'number' && typeof value !== 'number') wrongType('a number');
        else if (t.kind === 'string' && typeof value !== 'string') wrongType('a string');
        else checkEnumMember(value, path);
        return;
      case 'membership':
        if (t.kind === 'set')
          issues.push(
            issue(path, 'condition.operatorType', `fact "${fact.name}" is a set: use contains or doesNotContain`, {
              fact: fact.name,
            }),
          );
        else if (!Array.isArray(value)) wrongType('a list of values');
        else
          value.forEach((v, i) => {
            if (t.kind === 'number' && typeof v !== 'number') wrongType('a list of numbers');
            else if (t.kind === 'string' && typeof v !== 'string') wrongType('a list of strings');
            else checkEnumMember(v, [...path, i]);
          });
        return;
      case 'contains':
        if (t.kind !== 'set')
          issues.push(
            issue(path, 'condition.operatorType', `contains needs a set fact such as "flags"; "${fact.name}" is not a set`, {
              fact: fact.name,
            }),
          );
        else checkEnumMember(value, path);
        return;
    }
  };

  const walk = (node: unknown, path: PathSegment[], top: boolean) => {
    if (!isObject(node)) {
      issues.push(issue(path, 'condition.malformed', 'a condition must be an object with all, any, not or fact'));
      return;
    }
    const groups = ['all', 'any', 'not'].filter((k) => k in node);
    if (groups.length > 1 || (groups.length === 1 && 'fact' in node)) {
      issues.push(issue(path, 'condition.malformed', 'a condition has exactly one of all, any, not or fact'));
      return;
    }
    const group = groups[0];
    if (group) {
      for (const k of Object.keys(node))
        if (!GROUP_KEYS.has(k)) issues.push(issue([...path, k], 'condition.unknownKey', `unexpected key "${k}"`, { key: k }));
      checkPriority(node, path);
      const children = node[group];
      if (group === 'not') walk(children, [...path, 'not'], false);
      else if (!Array.isArray(children))
        issues.push(issue([...path, group], 'condition.malformed', `${group} must be a list of conditions`));
      else children.forEach((c, i) => walk(c, [...path, group, i], false));
      return;
    }
    if (top) {
      issues.push(issue(path, 'condition.malformed', 'the top of a rule\'s conditions must be all, any or not'));
      return;
    }
    if (!('fact' in node)) {
      issues.push(issue(path, 'condition.malformed', 'a condition must be an object with all, any, not or fact'));
      return;
    }
    for (const k of Object.keys(node))
      if (!LEAF_KEYS.has(k)) issues.push(issue([...path, k], 'condition.unknownKey', `unexpected key "${k}"`, { key: k }));
    checkPriority(node, path);
    const factName = node['fact'];
    const operator = node['operator'];
    const fact = typeof factName === 'string' ? known.get(factName) : undefined;
    if (typeof factName !== 'string' || !fact) {
      const later = typeof factName === 'string' && FACTS_BY_NAME.has(factName);
      issues.push(
        issue(
          [...path, 'fact'],
          later ? 'condition.factNotYetKnown' : 'condition.unknownFact',
          later
            ? `fact "${String(factName)}" is not known yet when ${section} rules run`
            : `unknown fact ${describe(factName)}`,
          { fact: describe(factName), section },
        ),
      );
    }
    // Own keys only: "constructor" or "toString" must not pass as operators through the prototype.
    const kind = typeof operator === 'string' && Object.hasOwn(OPERATORS, operator) ? OPERATORS[operator] : undefined;
    if (operator === undefined)
      issues.push(
        issue([...path, 'operator'], 'condition.missingOperator', `a condition needs an operator, one of ${RULE_OPERATORS.join(', ')}`, {
          allowed: RULE_OPERATORS.join(', '),
        }),
      );
    else if (!kind)
      issues.push(
        issue([...path, 'operator'], 'condition.unknownOperator', `unknown operator ${describe(operator)}; expected one of ${RULE_OPERATORS.join(', ')}`, {
          operator: describe(operator),
          allowed: RULE_OPERATORS.join(', '),
        }),
      );
    if (!('value' in node)) issues.push(issue([...path, 'value'], 'condition.missingValue', 'a condition needs a value'));
    else if (fact && kind) checkValue(fact, kind, node['value'], [...path, 'value']);
  };

  walk(conditions, at, true);
  return issues;
}
