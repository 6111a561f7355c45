/**
 * One rule's conditions as a plain predicate, for callers that pick a winner themselves (ESP+'s
 * "first match" lists). It needs neither events nor json-rules-engine's completion order, so it
 * skips the microtask-round bookkeeping and short-circuits freely: the pass/fail result is the
 * same (an empty all/any passes, as in json-rules-engine), and it never evaluates a condition the
 * engine would skip; it may stop before one the engine would evaluate, so when the engine would
 * throw the predicate may not (validated ESP+ rules never throw).
 *
 * The predicate is one generated function per rule when the runtime allows it (a bulk evaluation
 * asks every rule of a rule set per account, and a function of its own gives each fact read a
 * single shape to learn, with the built-in operators inline), else a tree of closures. The
 * generated source holds no text from the rule: fact names appear only when they are plain
 * identifiers, every value is passed in by reference (`k`), and anything else calls the closure.
 * test/rules-differential.test.ts checks both forms against json-rules-engine.
 */
import { compileRuleTree, readFact, readSide, type Facts, type LeafNode, type Node, type RuleJson } from './evaluators.js';
import { RUNTIME_COMPILES } from '../generated-source.js';

type Predicate = (facts: Facts) => boolean;

const hasOwn = Object.hasOwn;

export function compileRuleTest(rule: RuleJson): Predicate {
  const root = compileRuleTree(rule);
  return (RUNTIME_COMPILES && generatePredicate(root)) || compilePredicate(root);
}

/** The most rules an 'all' list may have for `compileListPick`: one bit each in a 32-bit integer. */
export const MAX_MASKED_RULES = 31;

/**
 * A whole rule list asked at once, rules in the given order: for 'first', the index of the first
 * rule that passes (the later ones are not evaluated), or -1; for 'all', a bit mask of the rules
 * that pass (at most {@link MAX_MASKED_RULES}). One generated function per list when the runtime
 * allows it, so a bulk evaluation makes one call per list rather than one per rule.
 */
export function compileListPick(rules: readonly RuleJson[], mode: 'first' | 'all'): (facts: Facts) => number {
  if (mode === 'all' && rules.length > MAX_MASKED_RULES) throw new RangeError(`more than ${MAX_MASKED_RULES} rules`);
  const roots = rules.map(compileRuleTree);
  const picked = RUNTIME_COMPILES ? generateListPick(roots, mode) : null;
  if (picked) return picked;
  const tests = roots.map(compilePredicate);
  const n = tests.length;
  if (mode === 'first') {
    return (facts) => {
      for (let i = 0; i < n; i++) if (tests[i]!(facts)) return i;
      return -1;
    };
  }
  return (facts) => {
    let mask = 0;
    for (let i = 0; i < n; i++) if (tests[i]!(facts)) mask |= 1 << i;
    return mask;
  };
}

// ---- closures ----------------------------------------------------------------------------------

/** The fact's value as the engine reads it; an own `undefined` is a value, a missing fact throws. */
function plainRead(read: LeafNode['lhs']): (facts: Facts) => unknown {
  const { fact } = read;
  return (facts) => {
    const value = facts[fact];
    return value !== undefined || hasOwn(facts, fact) ? value : readFact(facts, read);
  };
}

function compileLeafPredicate(node: LeafNode): Predicate {
  const { lhs, ref, evaluate, literal } = node;
  if (ref) return (facts) => evaluate(readSide(facts, lhs), readSide(facts, ref));
  if (lhs.strict || lhs.path) return (facts) => evaluate(readSide(facts, lhs), literal);
  const read = plainRead(lhs);
  return (facts) => evaluate(read(facts), literal);
}

export function compilePredicate(node: Node): Predicate {
  if (node.kind === 'leaf') return compileLeafPredicate(node);
  if (node.kind === 'not') {
    const child = compilePredicate(node.child);
    return (facts) => !child(facts);
  }
  if (node.children.length === 0) return () => true;
  if (node.children.length === 1) return compilePredicate(node.children[0]!);
  // Children in the engine's evaluation order (priority sets, highest first): short-circuiting
  // then never reads a fact the engine would not read.
  const children = node.sets.flat().map(compilePredicate);
  const n = children.length;
  if (node.kind === 'all') {
    return (facts) => {
      for (let i = 0; i < n; i++) if (!children[i]!(facts)) return false;
      return true;
    };
  }
  return (facts) => {
    for (let i = 0; i < n; i++) if (children[i]!(facts)) return true;
    return false;
  };
}

// ---- generated ---------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const RELATIONAL: Readonly<Record<string, string>> = {
  lessThan: '<',
  lessThanInclusive: '<=',
  greaterThan: '>',
  greaterThanInclusive: '>=',
};


class Source {
  /** Values the source refers to by index: literals, fact reads, operators, closures. */
  readonly k: unknown[] = [];

  ref(value: unknown): string {
    this.k.push(value);
    return `k[${this.k.length - 1}]`;
  }

  node(node: Node): string {
    if (node.kind === 'leaf') return this.leaf(node);
    if (node.kind === 'not') return `!(${this.node(node.child)})`;
    if (node.children.length === 0) return 'true';
    if (node.children.length === 1) return this.node(node.children[0]!);
    const parts = node.sets.flat().map((child) => `(${this.node(child)})`);
    return parts.join(node.kind === 'all' ? ' && ' : ' || ');
  }

  private leaf(node: LeafNode): string {
    const { lhs, ref, literal, evaluate } = node;
    if (ref || lhs.strict || lhs.path || !IDENTIFIER.test(lhs.fact)) return `${this.ref(compileLeafPredicate(node))}(f)`;
    // The fact's value, read as `plainRead` does, left in `v`.
    const name = this.ref(lhs.fact);
    const read = `(v = f.${lhs.fact}, v !== undefined || h(f, ${name}) ? v : r(f, ${this.ref(lhs)}))`;
    const lit = this.ref(literal);
    const op = node.source.operator;
    if (op === 'equal') return `${read} === ${lit}`;
    if (op === 'notEqual') return `${read} !== ${lit}`;
    if ((op === 'in' || op === 'notIn') && Array.isArray(literal))
      return `${lit}.indexOf(${read}) ${op === 'in' ? '> -1' : '=== -1'}`;
    // The operators' validators: contains needs an array; a relational one any non-NaN number.
    if (op === 'contains' || op === 'doesNotContain')
      return `(v = ${read}, Array.isArray(v) && v.indexOf(${lit}) ${op === 'contains' ? '> -1' : '=== -1'})`;
    const rel = RELATIONAL[op];
    if (rel && typeof literal === 'number')
      return `(v = ${read}, typeof v === 'number' ? v === v && v ${rel} ${lit} : ${this.ref(evaluate)}(v, ${lit}))`;
    return `${this.ref(evaluate)}(${read}, ${lit})`;
  }
}

function generatePredicate(root: Node): Predicate | null {
  const source = new Source();
  return generate<Predicate>(source, `return ${source.node(root)};`);
}

function generateListPick(roots: readonly Node[], mode: 'first' | 'all'): ((facts: Facts) => number) | null {
  const source = new Source();
  const body = roots
    .map((root, i) => `if (${source.node(root)}) ${mode === 'first' ? `return ${i};` : `m |= ${2 ** i | 0};`}\n`)
    .join('');
  return generate(source, mode === 'first' ? `${body}return -1;` : `let m = 0;\n${body}return m;`);
}

/** `function (f) { let v; <body> }` over the source's values, or null if the runtime refuses. */
function generate<F>(source: Source, body: string): F | null {
  try {
    const make = new Function('k', 'h', 'r', `return function test(f) {\nlet v;\n${body}\n};`) as (
      k: unknown[],
      h: typeof hasOwn,
      r: typeof readFact,
    ) => F;
    return make(source.k, hasOwn, readFact);
  } catch {
    return null;
  }
}
