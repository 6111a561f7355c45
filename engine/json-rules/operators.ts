/**
 * json-rules-engine 7.3 operators and operator decorators, rebuilt as plain synchronous closures.
 *
 * Reference: json-rules-engine/dist/engine-default-operators.js, engine-default-operator-decorators.js,
 * operator.js, operator-decorator.js and operator-map.js. The engine constructor registers both lists,
 * so every decorator below is available by default.
 *
 * The callbacks keep json-rules-engine's parameter names (`a`, `b`, `factValue`, `jsonValue`) on
 * purpose: V8 builds TypeError messages from the source text ("b.indexOf is not a function",
 * "jsonValue.some is not a function"), and the compiled evaluator must fail with the same message.
 */

/** `evaluate(factValue, jsonValue)`: the validator gates the callback, exactly like `Operator.evaluate`. */
export type OperatorEvaluate = (factValue: unknown, jsonValue: unknown) => boolean;

export interface Operator {
  readonly name: string;
  readonly evaluate: OperatorEvaluate;
}

type Validator = (factValue: unknown) => boolean;
type DecoratorCallback = (factValue: unknown, jsonValue: unknown, next: OperatorEvaluate) => boolean;

interface Decorator {
  readonly name: string;
  readonly cb: DecoratorCallback;
  readonly validator: Validator | undefined;
}

interface Indexable {
  indexOf(searchElement: unknown): number;
}

type Ordered = number;

/** `Number.parseFloat(x).toString() !== 'NaN'`; numbers take a shortcut with the same answer. */
export function numberValidator(factValue: unknown): boolean {
  if (typeof factValue === 'number') return factValue === factValue;
  return Number.parseFloat(factValue as string).toString() !== 'NaN';
}

function makeOperator(name: string, cb: OperatorEvaluate, validator?: Validator): Operator {
  // No validator means json-rules-engine's `() => true`, so the callback result is returned as is.
  const evaluate: OperatorEvaluate = validator ? (factValue, jsonValue) => validator(factValue) && cb(factValue, jsonValue) : cb;
  return { name, evaluate };
}

const BASE_OPERATORS: ReadonlyMap<string, Operator> = new Map(
  [
    makeOperator('equal', (a, b) => a === b),
    makeOperator('notEqual', (a, b) => a !== b),
    makeOperator('in', (a, b) => (b as Indexable).indexOf(a) > -1),
    makeOperator('notIn', (a, b) => (b as Indexable).indexOf(a) === -1),
    makeOperator('contains', (a, b) => (a as Indexable).indexOf(b) > -1, Array.isArray),
    makeOperator('doesNotContain', (a, b) => (a as Indexable).indexOf(b) === -1, Array.isArray),
    // Relational operators keep JavaScript's coercing comparison, like the original.
    makeOperator('lessThan', (a, b) => (a as Ordered) < (b as Ordered), numberValidator),
    makeOperator('lessThanInclusive', (a, b) => (a as Ordered) <= (b as Ordered), numberValidator),
    makeOperator('greaterThan', (a, b) => (a as Ordered) > (b as Ordered), numberValidator),
    makeOperator('greaterThanInclusive', (a, b) => (a as Ordered) >= (b as Ordered), numberValidator),
  ].map((op) => [op.name, op] as const),
);

const DECORATORS: ReadonlyMap<string, Decorator> = new Map(
  (
    [
      ['someFact', (factValue, jsonValue, next) => (factValue as unknown[]).some((fv) => next(fv, jsonValue)), Array.isArray],
      ['someValue', (factValue, jsonValue, next) => (jsonValue as unknown[]).some((jv) => next(factValue, jv)), undefined],
      ['everyFact', (factValue, jsonValue, next) => (factValue as unknown[]).every((fv) => next(fv, jsonValue)), Array.isArray],
      ['everyValue', (factValue, jsonValue, next) => (jsonValue as unknown[]).every((jv) => next(factValue, jv)), undefined],
      ['swap', (factValue, jsonValue, next) => next(jsonValue, factValue), undefined],
      ['not', (factValue, jsonValue, next) => !next(factValue, jsonValue), undefined],
    ] satisfies [string, DecoratorCallback, Validator | undefined][]
  ).map(([name, cb, validator]) => [name, { name, cb, validator }] as const),
);

/** The ten built-in operator names. */
export const OPERATOR_NAMES: readonly string[] = [...BASE_OPERATORS.keys()];

/** Decorator names; a decorated operator is `decorator:...:operator`, e.g. `not:someFact:equal`. */
export const DECORATOR_NAMES: readonly string[] = [...DECORATORS.keys()];

/**
 * Splits `dec1:dec2:op` the way `OperatorMap.get` does: peel `name:` prefixes (the colon must not be
 * the first character) until a base operator remains. Returns null for names the engine would report
 * as "Unknown operator".
 */
export function parseOperatorName(name: string): { decorators: string[]; operator: string } | null {
  const decorators: string[] = [];
  let rest = name;
  while (!BASE_OPERATORS.has(rest)) {
    const colon = rest.indexOf(':');
    if (colon <= 0) return null;
    const decorator = rest.slice(0, colon);
    if (!DECORATORS.has(decorator)) return null;
    decorators.push(decorator);
    rest = rest.slice(colon + 1);
  }
  return { decorators, operator: rest };
}

export function isKnownOperator(name: unknown): name is string {
  return typeof name === 'string' && parseOperatorName(name) !== null;
}

function decorate(decorator: Decorator, inner: Operator): Operator {
  const next = inner.evaluate;
  const { cb } = decorator;
  // The decorated operator validates with the decorator's validator only; `next` still runs the
  // inner operator's own validator, as in OperatorDecorator.decorate.
  return makeOperator(
    `${decorator.name}:${inner.name}`,
    (factValue, jsonValue) => cb(factValue, jsonValue, next),
    decorator.validator,
  );
}

/** The operator for a (possibly decorated) name, or null when json-rules-engine would not know it. */
export function resolveOperator(name: string): Operator | null {
  const parsed = parseOperatorName(name);
  if (!parsed) return null;
  let op = BASE_OPERATORS.get(parsed.operator) as Operator;
  // Innermost decorator first: `not:someFact:equal` is not(someFact(equal)).
  for (let i = parsed.decorators.length - 1; i >= 0; i--) {
    op = decorate(DECORATORS.get(parsed.decorators[i] as string) as Decorator, op);
  }
  return op;
}
