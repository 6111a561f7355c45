/**
 * Compiles json-rules-engine rules into synchronous closures with json-rules-engine 7.3's results,
 * event order, errors and RuleResult annotations (reference: node_modules/json-rules-engine/dist).
 *
 * Semantics kept (see test/rules-differential.test.ts for the proof by comparison):
 * - Rules run in priority groups, highest first (default 1). Inside a group the engine runs every rule
 *   "in parallel" and records results in promise-completion order, so event order inside a group is
 *   NOT declaration order: it follows how many microtask rounds each rule's evaluation takes, ties
 *   going to the earlier rule. The compiled closures count those rounds (see ROUNDS below).
 * - `all`/`any` split their children into condition-priority sets (highest first; a fact condition
 *   without a truthy priority counts as 1). Every condition of a set is evaluated, then the next set
 *   only if the result is still open: no short-circuit inside a set, only between sets.
 * - Empty `all` AND empty `any` are true (prioritizeAndRun resolves `true` for no conditions).
 * - A path applies only to non-null object fact values; otherwise the raw fact value is compared.
 * - Default engine options: a condition reading a fact missing from `facts` rejects the run with
 *   `Error("Undefined fact: <id>")` (an {@link UndefinedFactError}, code UNDEFINED_FACT), but only if
 *   the engine would evaluate that condition. Operator TypeErrors (e.g. `in` against a number) reject
 *   it too. When several conditions fail, the one json-rules-engine reports first is thrown.
 *
 * Deliberate differences, all rejected or documented rather than silently diverging:
 * - Unknown operators, condition references (`{condition: name}`), non-string facts and paths outside
 *   the subset of ./path.ts are compile errors (json-rules-engine fails at evaluation time, if ever).
 * - Facts are data: a function-valued fact is compared as a value, not called; thenables are not awaited.
 * - Rules are deep-copied and frozen at compile time, and `run` returns the same frozen event object
 *   for a rule on every call (json-rules-engine clones it per run). Inputs are never mutated
 *   (json-rules-engine's Condition constructor rewrites a fact condition's `priority` in place).
 */
import { resolveOperator, type OperatorEvaluate } from './operators.js';
import { compilePath, unsupportedPathReason, type PathAccessor } from './path.js';

// ---------------------------------------------------------------------------------------------------
// Rule JSON
// ---------------------------------------------------------------------------------------------------

/** A condition `value` that reads another fact (json-rules-engine: any object with an own `fact`). */
export interface FactReference {
  fact: string;
  path?: string;
  /** Accepted for compatibility; constant facts ignore params. */
  params?: Record<string, unknown>;
}

export type ConditionValue =
  FactReference | string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };

export interface FactCondition {
  fact: string;
  operator: string;
  value: ConditionValue;
  path?: string;
  params?: Record<string, unknown>;
  priority?: number;
  name?: string;
}

export interface AllConditions {
  all: NestedCondition[];
  priority?: number;
  name?: string;
}

export interface AnyConditions {
  any: NestedCondition[];
  priority?: number;
  name?: string;
}

export interface NotConditions {
  not: NestedCondition;
  priority?: number;
  name?: string;
}

/** Part of json-rules-engine's TopLevelCondition; rejected by {@link compileRules}. */
export interface ConditionReference {
  condition: string;
  priority?: number;
  name?: string;
}

export type RuleConditionJson = AllConditions | AnyConditions | NotConditions | ConditionReference;
export type NestedCondition = RuleConditionJson | FactCondition;

export interface RuleEvent {
  type: string;
  params?: Record<string, unknown>;
}

export interface RuleJson {
  name?: string | number;
  conditions: RuleConditionJson;
  event: RuleEvent;
  priority?: number;
}

export type Facts = Readonly<Record<string, unknown>>;

// ---------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------

/**
 * An explained condition: the data of json-rules-engine's `RuleResult.conditions` after a run. Fact
 * conditions carry `factResult` (fact value after path), `valueResult` (resolved `value`) and `result`
 * once evaluated, undefined values omitted as in Condition.toJSON; nested all/any/not carry the
 * `result` the engine sets on them (toJSON drops that one). A node without `result` was not evaluated
 * (its priority set was short-circuited). The root never has one: see {@link RuleExplanation.passed}.
 */
export interface ExplainedFactCondition {
  fact: string;
  operator: string;
  value: ConditionValue;
  path?: string;
  params?: Record<string, unknown>;
  priority?: number;
  name?: string;
  factResult?: unknown;
  valueResult?: unknown;
  result?: boolean;
}

export interface ExplainedBooleanCondition {
  priority: number;
  name?: string;
  all?: ExplainedCondition[];
  any?: ExplainedCondition[];
  not?: ExplainedCondition;
  result?: boolean;
}

export type ExplainedCondition = ExplainedFactCondition | ExplainedBooleanCondition;

export interface RuleExplanation {
  name: string | number | undefined;
  priority: number;
  passed: boolean;
  event: RuleEvent;
  conditions: ExplainedBooleanCondition;
}

export interface CompiledRuleSet {
  /** Events of the rules that passed, in json-rules-engine's `run(facts).events` order. */
  run(facts: Facts): RuleEvent[];
  /** Every rule in run order with its annotated conditions; throws whatever `run` throws. */
  explain(facts: Facts): RuleExplanation[];
}

export class UndefinedFactError extends Error {
  readonly code = 'UNDEFINED_FACT';
  constructor(factId: string) {
    super(`Undefined fact: ${factId}`);
    this.name = 'UndefinedFactError';
  }
}

export class RuleCompileError extends Error {
  constructor(
    readonly ruleIndex: number,
    readonly at: string,
    detail: string,
  ) {
    super(`rule #${ruleIndex}${at ? ` at ${at}` : ''}: ${detail}`);
    this.name = 'RuleCompileError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Compiled tree
// ---------------------------------------------------------------------------------------------------

export interface FactRead {
  readonly fact: string;
  /** Names on Object.prototype need an own-property check; the engine never sees inherited builtins. */
  readonly strict: boolean;
  readonly path: PathAccessor | null;
}

export interface LeafNode {
  readonly kind: 'leaf';
  readonly source: FactCondition;
  readonly setPriority: number;
  readonly lhs: FactRead;
  readonly ref: FactRead | null;
  readonly literal: unknown;
  readonly evaluate: OperatorEvaluate;
  /** ROUNDS until the leaf settles: 3, or 4 when either side has a path. */
  readonly rounds: number;
}

export interface GroupNode {
  readonly kind: 'all' | 'any';
  readonly source: AllConditions | AnyConditions;
  readonly priority: number;
  readonly setPriority: number;
  readonly children: readonly Node[];
  /** Children split by condition priority, highest first (used when there are 2+ children). */
  readonly sets: readonly (readonly Node[])[];
}

export interface NotNode {
  readonly kind: 'not';
  readonly source: NotConditions;
  readonly priority: number;
  readonly setPriority: number;
  readonly child: Node;
}

export type Node = LeafNode | GroupNode | NotNode;
export type RootNode = GroupNode | NotNode;

const hasOwn = Object.hasOwn;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

function deepFreeze<T>(value: T): T {
  if (isObject(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze(value[key]);
  }
  return value;
}

/** `parseInt(priority, 10) || 1`, the priority json-rules-engine gives boolean conditions. */
function booleanPriority(priority: unknown): number {
  return Number.parseInt(String(priority), 10) || 1;
}

function groupByPriority<T extends { setPriority: number }>(items: readonly T[]): T[][] {
  const sets = new Map<number, T[]>();
  for (const item of items) {
    const set = sets.get(item.setPriority);
    if (set) set.push(item);
    else sets.set(item.setPriority, [item]);
  }
  return [...sets.keys()].sort((a, b) => (a > b ? -1 : 1)).map((p) => sets.get(p) as T[]);
}

class TreeBuilder {
  constructor(private readonly ruleIndex: number) {}

  private fail(at: string, detail: string): never {
    throw new RuleCompileError(this.ruleIndex, at, detail);
  }

  root(json: unknown): RootNode {
    if (!isObject(json)) this.fail('conditions', 'conditions must be an object');
    const kind = booleanKind(json);
    if (!kind) {
      if (hasOwn(json, 'condition')) this.fail('conditions', 'condition references ({condition: name}) are not supported');
      this.fail('conditions', '"conditions" root must contain a single instance of "all", "any", "not", or "condition"');
    }
    return this.node(json, 'conditions') as RootNode;
  }

  private node(json: unknown, at: string): Node {
    if (!isObject(json)) this.fail(at, 'Condition: constructor options required');
    const kind = booleanKind(json);
    if (kind === 'not') {
      if (Array.isArray(json.not)) this.fail(at, '"not" cannot be an array');
      const priority = booleanPriority(json.priority);
      return {
        kind,
        source: json as unknown as NotConditions,
        priority,
        setPriority: priority,
        child: this.node(json.not, `${at}.not`),
      };
    }
    if (kind) {
      const list = json[kind];
      if (!Array.isArray(list)) this.fail(at, `"${kind}" must be an array`);
      const priority = booleanPriority(json.priority);
      const children = list.map((child, i) => this.node(child, `${at}.${kind}[${i}]`));
      return {
        kind,
        source: json as unknown as AllConditions,
        priority,
        setPriority: priority,
        children,
        sets: groupByPriority(children),
      };
    }
    if (hasOwn(json, 'condition')) this.fail(at, 'condition references ({condition: name}) are not supported');
    return this.leaf(json, at);
  }

  private leaf(json: Record<string, unknown>, at: string): LeafNode {
    for (const key of ['fact', 'operator', 'value']) {
      if (!hasOwn(json, key)) this.fail(at, `Condition: constructor "${key}" property required`);
    }
    const { operator, value, priority } = json;
    if (typeof operator !== 'string') this.fail(`${at}.operator`, 'operator must be a string');
    const evaluate = resolveOperator(operator)?.evaluate;
    if (!evaluate) this.fail(`${at}.operator`, `Unknown operator: ${operator}`);
    if (priority !== undefined && typeof priority !== 'number') this.fail(`${at}.priority`, 'priority must be a number');
    const lhs = this.factRead(json, at);
    // json-rules-engine's Almanac.getValue: any non-null object with an own `fact` is a reference.
    const ref = isObject(value) && hasOwn(value, 'fact') ? this.factRead(value, `${at}.value`) : null;
    return {
      kind: 'leaf',
      source: json as unknown as FactCondition,
      // A fact condition without a truthy priority takes its fact's priority; runtime facts have 1.
      setPriority: priority || 1,
      lhs,
      ref,
      literal: value,
      evaluate,
      rounds: lhs.path || ref?.path ? 4 : 3,
    };
  }

  private factRead(json: Record<string, unknown>, at: string): FactRead {
    const { fact, path } = json;
    if (typeof fact !== 'string') this.fail(`${at}.fact`, 'fact must be a string');
    let accessor: PathAccessor | null = null;
    // Like the almanac, a falsy path (undefined, '') means "no path".
    if (path) {
      const reason = unsupportedPathReason(path);
      if (reason) this.fail(`${at}.path`, reason);
      accessor = compilePath(path as string);
    }
    return { fact, strict: fact in Object.prototype, path: accessor };
  }
}

/** Condition.booleanOperator: own `any` wins over `all`, which wins over `not`. */
function booleanKind(json: Record<string, unknown>): 'all' | 'any' | 'not' | undefined {
  if (hasOwn(json, 'any')) return 'any';
  if (hasOwn(json, 'all')) return 'all';
  if (hasOwn(json, 'not')) return 'not';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// ROUNDS: json-rules-engine's microtask timing
//
// Rules of one priority group start in the same microtask and record their results in completion
// order; because rules share no promises, rules finishing in the same microtask round complete in
// declaration order (and sibling conditions reject in sibling order). Counting rounds from the moment
// a node starts (a `.then` adds 1, Promise.all adds 1 after its last input, resolving with a promise
// adds 2):
//   fact condition       3, or 4 with a path on either side (an extra `.then`); an undefined fact
//                        rejects at 3, a throwing operator at the success round
//   all/any, 0 children  0 (true)           all/any, 1 child   the child's rounds
//   all/any, n children  per priority set: +1 if skipped (decided or rejected earlier), else
//                        +(max child rounds + 4), or +(earliest child rejection + 4) if one rejects
//   nested all/any       +1 (evaluateCondition's `.then`)       nested not  child + 2
//   root all/any         +0                                     root not    child + 1
// ---------------------------------------------------------------------------------------------------

/** Compiled closures return `(rounds << 1) | passed`, so nothing is allocated per evaluation. */
type Evaluator = (facts: Facts) => number;

export function readFact(facts: Facts, read: FactRead): unknown {
  if (read.strict) {
    if (hasOwn(facts, read.fact)) return facts[read.fact];
  } else {
    const value = facts[read.fact];
    if (value !== undefined || hasOwn(facts, read.fact)) return value;
  }
  throw new UndefinedFactError(read.fact);
}

export function readSide(facts: Facts, read: FactRead): unknown {
  const value = readFact(facts, read);
  return read.path !== null && value !== null && typeof value === 'object' ? read.path(value) : value;
}

function compileLeaf(leaf: LeafNode): Evaluator {
  const pass = (leaf.rounds << 1) | 1;
  const fail = leaf.rounds << 1;
  const { lhs, ref, evaluate, literal } = leaf;
  if (ref) return (facts) => (evaluate(readSide(facts, lhs), readSide(facts, ref)) ? pass : fail);
  const { fact, path } = lhs;
  if (lhs.strict || path) return (facts) => (evaluate(readSide(facts, lhs), literal) ? pass : fail);
  return (facts) => {
    let value = facts[fact];
    if (value === undefined && !hasOwn(facts, fact)) value = readFact(facts, lhs);
    return evaluate(value, literal) ? pass : fail;
  };
}

function compileNode(node: Node): Evaluator {
  if (node.kind === 'leaf') return compileLeaf(node);
  if (node.kind === 'not') return compileNot(node, 2);
  return compileGroup(node, 1);
}

function compileNot(node: NotNode, extraRounds: number): Evaluator {
  const child = compileNode(node.child);
  const shift = extraRounds << 1;
  return (facts) => (child(facts) + shift) ^ 1;
}

function compileGroup(node: GroupNode, extraRounds: number): Evaluator {
  const isAll = node.kind === 'all';
  if (node.children.length === 0) {
    const result = (extraRounds << 1) | 1;
    return () => result;
  }
  if (node.children.length === 1) {
    const child = compileNode(node.children[0] as Node);
    const shift = extraRounds << 1;
    return shift === 0 ? child : (facts) => child(facts) + shift;
  }
  const sets = node.sets.map((set) => set.map(compileNode));
  if (sets.length === 1) return compileSingleSet(sets[0] as Evaluator[], isAll, 4 + extraRounds);
  const initial = isAll ? 1 : 0;
  return (facts) => {
    let rounds = 0;
    let passed = initial;
    for (let s = 0; s < sets.length; s++) {
      if (passed !== initial) {
        rounds += 1;
        continue;
      }
      const set = sets[s] as Evaluator[];
      let max = 0;
      let bits = initial;
      for (let i = 0; i < set.length; i++) {
        const r = (set[i] as Evaluator)(facts);
        if (r > max) max = r;
        bits = isAll ? bits & r : bits | (r & 1);
      }
      passed = bits & 1;
      rounds += (max >> 1) + 4;
    }
    return ((rounds + extraRounds) << 1) | passed;
  };
}

function compileSingleSet(set: Evaluator[], isAll: boolean, addRounds: number): Evaluator {
  const n = set.length;
  if (isAll) {
    return (facts) => {
      let max = 0;
      let bits = 1;
      for (let i = 0; i < n; i++) {
        const r = (set[i] as Evaluator)(facts);
        if (r > max) max = r;
        bits &= r;
      }
      return (((max >> 1) + addRounds) << 1) | bits;
    };
  }
  return (facts) => {
    let max = 0;
    let bits = 0;
    for (let i = 0; i < n; i++) {
      const r = (set[i] as Evaluator)(facts);
      if (r > max) max = r;
      bits |= r;
    }
    return (((max >> 1) + addRounds) << 1) | (bits & 1);
  };
}

function compileRoot(root: RootNode): Evaluator {
  return root.kind === 'not' ? compileNot(root, 1) : compileGroup(root, 0);
}

// ---------------------------------------------------------------------------------------------------
// Explain: the same evaluation, step by step, with annotations and rejections
// ---------------------------------------------------------------------------------------------------

type Outcome = { ok: true; passed: boolean; rounds: number } | { ok: false; error: unknown; rounds: number };

interface Explained<J> {
  out: Outcome;
  json: J;
}

function leafJson(leaf: LeafNode): ExplainedFactCondition {
  const { fact, operator, value, path, params, priority, name } = leaf.source;
  const json: ExplainedFactCondition = { operator, value, fact };
  if (priority) json.priority = priority;
  if (name) json.name = name;
  if (params) json.params = params;
  if (path) json.path = path;
  return json;
}

/** The JSON of a node that was never evaluated. */
function staticJson(node: Node): ExplainedCondition {
  if (node.kind === 'leaf') return leafJson(node);
  const json: ExplainedBooleanCondition = { priority: node.priority };
  if (node.source.name) json.name = node.source.name;
  if (node.kind === 'not') json.not = staticJson(node.child);
  else json[node.kind] = node.children.map(staticJson);
  return json;
}

function explainLeaf(leaf: LeafNode, facts: Facts): Explained<ExplainedFactCondition> {
  const json = leafJson(leaf);
  let valueResult: unknown = leaf.literal;
  let factResult: unknown;
  // Promise.all([getValue(value), factValue(fact)]): the value side's rejection is seen first.
  try {
    if (leaf.ref) valueResult = readSide(facts, leaf.ref);
    factResult = readSide(facts, leaf.lhs);
  } catch (error) {
    return { out: { ok: false, error, rounds: 3 }, json };
  }
  let passed: boolean;
  try {
    passed = leaf.evaluate(factResult, valueResult);
  } catch (error) {
    return { out: { ok: false, error, rounds: leaf.rounds }, json };
  }
  if (factResult !== undefined) json.factResult = factResult;
  if (valueResult !== undefined) json.valueResult = valueResult;
  json.result = passed;
  return { out: { ok: true, passed, rounds: leaf.rounds }, json };
}

function explainNode(node: Node, facts: Facts): Explained<ExplainedCondition> {
  if (node.kind === 'leaf') return explainLeaf(node, facts);
  const explained = node.kind === 'not' ? explainNot(node, facts, 2) : explainGroup(node, facts, 1);
  // evaluateCondition records `result` on nested boolean conditions once they resolve.
  if (explained.out.ok) explained.json.result = explained.out.passed;
  return explained;
}

function booleanJson(node: GroupNode | NotNode): ExplainedBooleanCondition {
  const json: ExplainedBooleanCondition = { priority: node.priority };
  if (node.source.name) json.name = node.source.name;
  return json;
}

function explainNot(node: NotNode, facts: Facts, extraRounds: number): Explained<ExplainedBooleanCondition> {
  const child = explainNode(node.child, facts);
  const json = booleanJson(node);
  json.not = child.json;
  const { out } = child;
  const rounds = out.rounds + extraRounds;
  return { out: out.ok ? { ok: true, passed: !out.passed, rounds } : { ...out, rounds }, json };
}

function explainGroup(node: GroupNode, facts: Facts, extraRounds: number): Explained<ExplainedBooleanCondition> {
  const json = booleanJson(node);
  const isAll = node.kind === 'all';
  if (node.children.length <= 1) {
    const only = node.children[0];
    if (!only) {
      json[node.kind] = [];
      return { out: { ok: true, passed: true, rounds: extraRounds }, json };
    }
    const child = explainNode(only, facts);
    json[node.kind] = [child.json];
    return { out: { ...child.out, rounds: child.out.rounds + extraRounds }, json };
  }
  const childJson = new Map<Node, ExplainedCondition>();
  let rounds = 0;
  let passed = isAll;
  let rejection: { error: unknown } | null = null;
  for (const set of node.sets) {
    if (rejection || passed !== isAll) {
      rounds += 1; // the `.then` passing a settled result or a rejection along
      continue;
    }
    let maxOk = 0;
    let firstRejection: { error: unknown; rounds: number } | null = null;
    let setPassed = isAll;
    for (const child of set) {
      const { out, json: cj } = explainNode(child, facts);
      childJson.set(child, cj);
      if (!out.ok) {
        if (!firstRejection || out.rounds < firstRejection.rounds) firstRejection = { error: out.error, rounds: out.rounds };
      } else {
        maxOk = Math.max(maxOk, out.rounds);
        setPassed = isAll ? setPassed && out.passed : setPassed || out.passed;
      }
    }
    if (firstRejection) {
      rejection = { error: firstRejection.error };
      rounds += firstRejection.rounds + 4;
    } else {
      passed = setPassed;
      rounds += maxOk + 4;
    }
  }
  json[node.kind] = node.children.map((child) => childJson.get(child) ?? staticJson(child));
  rounds += extraRounds;
  return { out: rejection ? { ok: false, error: rejection.error, rounds } : { ok: true, passed, rounds }, json };
}

function explainRoot(root: RootNode, facts: Facts): Explained<ExplainedBooleanCondition> {
  return root.kind === 'not' ? explainNot(root, facts, 1) : explainGroup(root, facts, 0);
}

// ---------------------------------------------------------------------------------------------------
// Rule set
// ---------------------------------------------------------------------------------------------------

interface CompiledRule {
  readonly name: string | number | undefined;
  readonly priority: number;
  readonly event: RuleEvent;
  readonly root: RootNode;
  readonly evaluate: Evaluator;
}

function compileRule(json: unknown, index: number): CompiledRule {
  const fail = (at: string, detail: string): never => {
    throw new RuleCompileError(index, at, detail);
  };
  if (!isObject(json)) return fail('', 'Engine: addRule() requires options');
  if (!hasOwn(json, 'event')) fail('', 'Engine: addRule() argument requires "event" property');
  if (!hasOwn(json, 'conditions')) fail('', 'Engine: addRule() argument requires "conditions" property');
  const rule = deepFreeze(structuredClone(json)) as Record<string, unknown>;

  const rawPriority = rule.priority;
  if (rawPriority !== undefined && typeof rawPriority !== 'number') fail('priority', 'priority must be a number');
  // Rule.setPriority(parseInt(priority || 1, 10)); NaN would make the engine's group sort arbitrary.
  const priority = Number.parseInt(String(rawPriority || 1), 10);
  if (Number.isNaN(priority)) fail('priority', 'priority must be a number');
  if (priority <= 0) fail('priority', 'Priority must be greater than zero');

  const event = rule.event;
  if (!isObject(event)) return fail('event', 'Rule: setEvent() requires event object');
  if (!hasOwn(event, 'type')) fail('event', 'Rule: setEvent() requires event object with "type" property');
  // Rule.setEvent keeps only `type`, plus `params` when truthy.
  const ruleEvent: RuleEvent = Object.freeze(
    event.params
      ? { type: event.type as string, params: event.params as Record<string, unknown> }
      : { type: event.type as string },
  );

  const name = rule.name;
  const root = new TreeBuilder(index).root(rule.conditions);
  return {
    name: name || name === 0 ? (name as string | number) : undefined,
    priority,
    event: ruleEvent,
    root,
    evaluate: compileRoot(root),
  };
}

class RuleSet implements CompiledRuleSet {
  /** Reused sort keys for one priority group; a fresh array only if `run` is re-entered. */
  private readonly scratch: Int32Array;
  private busy = false;

  constructor(private readonly groups: readonly (readonly CompiledRule[])[]) {
    this.scratch = new Int32Array(Math.max(1, ...groups.map((g) => g.length)));
  }

  run(facts: Facts): RuleEvent[] {
    // Engine.run builds a Fact per runtime fact, and `new Fact('')` throws before anything runs.
    if (hasOwn(facts, '')) throw new Error('factId required');
    const keys = this.busy ? new Int32Array(this.scratch.length) : this.scratch;
    const out: RuleEvent[] = [];
    this.busy = true;
    try {
      for (let g = 0; g < this.groups.length; g++) {
        const group = this.groups[g] as readonly CompiledRule[];
        const start = out.length;
        for (let i = 0; i < group.length; i++) {
          const rule = group[i] as CompiledRule;
          const r = rule.evaluate(facts);
          if ((r & 1) === 0) continue;
          // Insertion by completion round; equal rounds keep declaration order.
          const rounds = r >> 1;
          let pos = out.length;
          out.push(rule.event);
          while (pos > start && (keys[pos - 1 - start] as number) > rounds) {
            out[pos] = out[pos - 1] as RuleEvent;
            keys[pos - start] = keys[pos - 1 - start] as number;
            pos--;
          }
          out[pos] = rule.event;
          keys[pos - start] = rounds;
        }
      }
    } catch (error) {
      // Several conditions may fail; explain() replays the engine's timing to throw the one it reports.
      this.explain(facts);
      throw error;
    } finally {
      if (keys === this.scratch) this.busy = false;
    }
    return out;
  }

  explain(facts: Facts): RuleExplanation[] {
    if (hasOwn(facts, '')) throw new Error('factId required');
    const explanations: RuleExplanation[] = [];
    for (const group of this.groups) {
      const done: { rounds: number; explanation: RuleExplanation }[] = [];
      let firstRejection: { error: unknown; rounds: number } | null = null;
      for (const rule of group) {
        const { out, json } = explainRoot(rule.root, facts);
        if (!out.ok) {
          if (!firstRejection || out.rounds < firstRejection.rounds) firstRejection = { error: out.error, rounds: out.rounds };
          continue;
        }
        done.push({
          rounds: out.rounds,
          explanation: { name: rule.name, priority: rule.priority, passed: out.passed, event: rule.event, conditions: json },
        });
      }
      // The group's Promise.all rejects with the first rejection; later groups never report.
      if (firstRejection) throw firstRejection.error;
      done.sort((a, b) => a.rounds - b.rounds); // stable: ties keep declaration order
      for (const { explanation } of done) explanations.push(explanation);
    }
    return explanations;
  }
}

/**
 * Compiles rules once; the returned set evaluates synchronously with json-rules-engine 7.3's default
 * engine semantics (`new Engine(rules).run(facts)`). Throws {@link RuleCompileError} for invalid or
 * unsupported rules.
 */
export function compileRules(rules: readonly RuleJson[]): CompiledRuleSet {
  const compiled = rules.map((rule, index) => compileRule(rule, index));
  return new RuleSet(groupByPriority(compiled.map((rule) => ({ ...rule, setPriority: rule.priority }))));
}

/** A rule's compiled condition tree, for the predicates of ./predicates.ts. Throws like {@link compileRules}. */
export function compileRuleTree(rule: RuleJson): RootNode {
  return compileRule(rule, 0).root;
}
