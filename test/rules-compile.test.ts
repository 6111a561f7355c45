import { Engine } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import {
  compileRules,
  RuleCompileError,
  UndefinedFactError,
  type FactCondition,
  type NestedCondition,
  type RuleJson,
} from '../engine/json-rules/evaluators.js';
import {
  DECORATOR_NAMES,
  isKnownOperator,
  numberValidator,
  OPERATOR_NAMES,
  parseOperatorName,
  resolveOperator,
} from '../engine/json-rules/operators.js';
import { applyPath, compilePath, isSupportedPath, parsePath, unsupportedPathReason } from '../engine/json-rules/path.js';

type Facts = Record<string, unknown>;

function op(name: string): (factValue: unknown, jsonValue: unknown) => boolean {
  const operator = resolveOperator(name);
  if (!operator) throw new Error(`no operator ${name}`);
  return operator.evaluate;
}

/** json-rules-engine's verdict, for checking that a hand-written expectation is the engine's. */
async function engine(rules: RuleJson[], facts: Facts): Promise<{ events: unknown[]; passed: unknown[] } | { error: string }> {
  try {
    const result = await new Engine(structuredClone(rules) as never[]).run(facts);
    return { events: result.events, passed: result.results.map((r) => r.name) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function compiled(rules: RuleJson[], facts: Facts): { events: unknown[]; passed: unknown[] } | { error: string } {
  try {
    const set = compileRules(rules);
    return {
      events: set.run(facts),
      passed: set
        .explain(facts)
        .filter((e) => e.passed)
        .map((e) => e.name),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

async function expectSameAsEngine(rules: RuleJson[], facts: Facts): Promise<ReturnType<typeof compiled>> {
  const ours = compiled(rules, facts);
  expect(ours).toEqual(await engine(rules, facts));
  return ours;
}

const leaf = (fact: string, operator: string, value: unknown, extra: Partial<FactCondition> = {}): FactCondition => ({
  fact,
  operator,
  value: value as FactCondition['value'],
  ...extra,
});

const rule = (name: string, conditions: RuleJson['conditions'], priority?: number): RuleJson => ({
  name,
  conditions,
  event: { type: name },
  ...(priority === undefined ? {} : { priority }),
});

const passes = (conditions: RuleJson['conditions'], facts: Facts): boolean =>
  compileRules([rule('r', conditions)]).run(facts).length === 1;

describe('operators', () => {
  it.each([
    ['equal', 1, 1, true],
    ['equal', 1, '1', false],
    ['notEqual', 1, '1', true],
    ['notEqual', 'a', 'a', false],
    ['in', 2, [1, 2], true],
    ['in', 3, [1, 2], false],
    ['in', 'b', 'abc', true], // String#indexOf: substring test
    ['notIn', 3, [1, 2], true],
    ['notIn', 1, [1, 2], false],
    ['contains', [1, 2], 2, true],
    ['contains', [1, 2], 3, false],
    ['contains', 'abc', 'b', false], // fact must be an array
    ['doesNotContain', [1], 2, true],
    ['doesNotContain', [1], 1, false],
    ['doesNotContain', 'abc', 'z', false],
    ['lessThan', 1, 2, true],
    ['lessThan', '1', 2, true], // JavaScript coercion after the numeric check
    ['lessThan', null, 1, false], // null < 1, but parseFloat(null) is NaN
    ['lessThan', [5], 6, true], // parseFloat([5]) is 5, [5] < 6
    ['lessThan', '12abc', 100, false], // passes the check (12), then '12abc' < 100 is NaN < 100
    ['lessThanInclusive', 2, 2, true],
    ['lessThanInclusive', 3, 2, false],
    ['greaterThan', 3, 2, true],
    ['greaterThan', true, 0, false], // true > 0, but parseFloat(true) is NaN
    ['greaterThanInclusive', 2, 2, true],
    ['greaterThanInclusive', Number.NaN, 0, false],
  ])('%s(%j, %j) is %s', (name, factValue, jsonValue, expected) => {
    expect(op(name)(factValue, jsonValue)).toBe(expected);
  });

  it('throws the TypeError json-rules-engine throws for a value without indexOf', () => {
    expect(() => op('in')(1, 5)).toThrow('b.indexOf is not a function');
    expect(() => op('notIn')(1, null)).toThrow("Cannot read properties of null (reading 'indexOf')");
  });

  it('numberValidator is parseFloat(x).toString() !== "NaN"', () => {
    for (const value of [0, -1.5, Infinity, '3', ' 4px', [7], '1e3']) expect(numberValidator(value), String(value)).toBe(true);
    for (const value of [Number.NaN, null, undefined, true, '', 'x', [], {}])
      expect(numberValidator(value), String(value)).toBe(false);
  });

  it.each([
    ['someFact:equal', [1, 2], 2, true],
    ['someFact:equal', [1, 2], 3, false],
    ['someFact:equal', 2, 2, false], // decorator validator: fact must be an array
    ['everyFact:greaterThan', [3, 4], 2, true],
    ['everyFact:greaterThan', [3, 1], 2, false],
    ['everyFact:greaterThan', [], 2, true],
    ['someValue:equal', 2, [1, 2], true],
    ['someValue:equal', 3, [1, 2], false],
    ['everyValue:lessThan', 1, [2, 3], true],
    ['everyValue:lessThan', 2, [2, 3], false],
    ['swap:contains', 2, [1, 2], true], // contains([1, 2], 2)
    ['swap:in', [1, 2], 2, true], // in(2, [1, 2])
    ['not:equal', 1, 2, true],
    ['not:equal', 1, 1, false],
    ['not:someFact:equal', 'x', 'x', true], // someFact's validator fails, not flips it
    ['someFact:not:equal', [1, 1], 1, false],
    ['everyFact:someValue:equal', [1, 2], [2, 1, 0], true],
    ['not:not:greaterThan', 3, 2, true],
  ])('%s(%j, %j) is %s', (name, factValue, jsonValue, expected) => {
    expect(op(name)(factValue, jsonValue)).toBe(expected);
  });

  it('someValue/everyValue need an array value, like the engine', () => {
    expect(() => op('someValue:equal')(1, 5)).toThrow('jsonValue.some is not a function');
    expect(() => op('everyValue:equal')(1, 'ab')).toThrow('jsonValue.every is not a function');
  });

  it('lists operator and decorator names and recognises decorated names like OperatorMap.get', () => {
    expect([...OPERATOR_NAMES].sort()).toEqual(
      [
        'contains',
        'doesNotContain',
        'equal',
        'greaterThan',
        'greaterThanInclusive',
        'in',
        'lessThan',
        'lessThanInclusive',
        'notEqual',
        'notIn',
      ].sort(),
    );
    expect([...DECORATOR_NAMES].sort()).toEqual(['everyFact', 'everyValue', 'not', 'someFact', 'someValue', 'swap']);
    expect(parseOperatorName('not:someFact:equal')).toEqual({ decorators: ['not', 'someFact'], operator: 'equal' });
    expect(resolveOperator('not:someFact:equal')?.name).toBe('not:someFact:equal');
    for (const name of ['equal', 'not:not:in', 'swap:everyValue:lessThan']) expect(isKnownOperator(name), name).toBe(true);
    for (const name of ['equals', 'foo:equal', ':equal', 'equal:', 'not:', 'not', '', 42])
      expect(isKnownOperator(name), String(name)).toBe(false);
  });
});

describe('paths', () => {
  it('parses the supported subset', () => {
    expect(parsePath('$')).toEqual([]);
    expect(parsePath('$.a.b')).toEqual(['a', 'b']);
    expect(parsePath('$.a[0].b')).toEqual(['a', '0', 'b']);
    expect(parsePath("$['a b']")).toEqual(['a b']);
    expect(parsePath('$["k.d"][12]')).toEqual(['k.d', '12']);
  });

  it('rejects everything else with a reason', () => {
    for (const path of [
      'a.b',
      '$..a',
      '$.*',
      '$[*]',
      "$['a,b']",
      '$[-1]',
      '$[0:2]',
      '$[?(@.a)]',
      '$.a.',
      "$['']",
      '$.a-b',
      '$.^',
      "$['a#1']",
    ]) {
      expect(isSupportedPath(path), path).toBe(false);
      expect(unsupportedPathReason(path), path).toMatch(/unsupported path/);
    }
    expect(unsupportedPathReason(3)).toMatch(/must be a string/);
    expect(unsupportedPathReason('$.a')).toBeNull();
    expect(() => compilePath('$..a')).toThrow(/unsupported path/);
  });

  it('follows own properties of truthy values only, like jsonpath-plus', () => {
    const value = { a: { b: 1, zero: 0, nil: null }, list: [{ x: 'first' }], s: 'abc', e: '', 'a b': 2 };
    const at = (path: string): unknown => compilePath(path)(value);
    expect(at('$')).toBe(value);
    expect(at('$.a.b')).toBe(1);
    expect(at('$.a.zero')).toBe(0);
    expect(at('$.a.nil')).toBeNull();
    expect(at('$.a.nil.x')).toBeUndefined();
    expect(at('$.a.zero.x')).toBeUndefined();
    expect(at('$.missing.deeper')).toBeUndefined();
    expect(at('$.list[0].x')).toBe('first');
    expect(at('$.list[1].x')).toBeUndefined();
    expect(at('$.list[00]')).toBeUndefined(); // "00" is not an own key of the array
    expect(at('$.s.length')).toBe(3); // truthy strings take part
    expect(at('$.s[1]')).toBe('b');
    expect(at('$.e.length')).toBeUndefined(); // '' is falsy
    expect(at("$['a b']")).toBe(2);
    expect(at('$.a.toString')).toBeUndefined(); // inherited, not own
  });

  it('leaves non-object fact values alone, like the almanac', () => {
    const accessor = compilePath('$.x');
    expect(applyPath(5, accessor)).toBe(5);
    expect(applyPath('abc', accessor)).toBe('abc');
    expect(applyPath(null, accessor)).toBeNull();
    expect(applyPath(undefined, accessor)).toBeUndefined();
    expect(applyPath({ x: 1 }, accessor)).toBe(1);
    expect(applyPath([{ x: 2 }], compilePath('$[0].x'))).toBe(2);
  });

  it('resolves what json-rules-engine resolves', async () => {
    const facts = {
      o: { a: { b: [10, { c: 'deep' }] }, 'a b': 'spaced', 'k.d': 'dotted', s: 'str', z: 0 },
      n: 7,
      arr: [[1], 'x'],
    };
    const paths = [
      '$',
      '$.a',
      '$.a.b',
      '$.a.b[1].c',
      '$.a.b[2]',
      "$['a b']",
      '$["k.d"]',
      '$.s.length',
      '$.z',
      '$.z.q',
      '$.nope',
      '$[0]',
      '$[0][0]',
      '$[1].length',
    ];
    for (const fact of ['o', 'n', 'arr']) {
      const rules = paths.map((path, i) => rule(`p${i}`, { all: [leaf(fact, 'equal', null, { path })] }));
      const ours = compileRules(rules)
        .explain(facts)
        .map((e) => (e.conditions.all?.[0] as { factResult?: unknown }).factResult);
      const { results, failureResults } = await new Engine(structuredClone(rules) as never[]).run(facts);
      const theirs = new Map(
        [...results, ...failureResults].map((r) => [
          r.name,
          (r.conditions as unknown as { all: { factResult?: unknown }[] }).all[0]?.factResult,
        ]),
      );
      expect(ours, fact).toEqual(rules.map((r) => theirs.get(r.name as string)));
    }
  });
});

describe('compileRules: conditions', () => {
  const facts = { age: 30, tier: 'T1', tags: ['vip', 'eu'], account: { owner: { name: 'Ada' }, limit: 40 }, limit: 30 };

  it('evaluates nested all/any/not', async () => {
    const conditions: RuleJson['conditions'] = {
      all: [
        { any: [leaf('tier', 'equal', 'T2'), leaf('tags', 'contains', 'vip')] },
        { not: { all: [leaf('age', 'lessThan', 18), leaf('tier', 'equal', 'T1')] } },
        { not: { not: leaf('age', 'greaterThanInclusive', 30) } },
      ],
    };
    expect(passes(conditions, facts)).toBe(true);
    expect(passes(conditions, { ...facts, tags: [] })).toBe(false);
    expect(passes(conditions, { ...facts, age: 12 })).toBe(false);
    await expectSameAsEngine([rule('r', conditions)], facts);
  });

  it('treats an empty all AND an empty any as true, as json-rules-engine does', async () => {
    expect(passes({ all: [] }, {})).toBe(true);
    // prioritizeAndRun resolves `true` for zero conditions whatever the operator.
    expect(passes({ any: [] }, {})).toBe(true);
    expect(passes({ not: { any: [] } }, {})).toBe(false);
    expect(passes({ all: [{ any: [] }, leaf('age', 'equal', 30)] }, facts)).toBe(true);
    await expectSameAsEngine([rule('a', { all: [] }), rule('b', { any: [] }), rule('c', { not: { any: [] } })], {});
  });

  it('resolves fact references, with and without path', async () => {
    expect(passes({ all: [leaf('age', 'equal', { fact: 'limit' })] }, facts)).toBe(true);
    expect(passes({ all: [leaf('age', 'lessThan', { fact: 'account', path: '$.limit' })] }, facts)).toBe(true);
    expect(passes({ all: [leaf('account', 'equal', 'Ada', { path: '$.owner.name' })] }, facts)).toBe(true);
    expect(
      passes({ all: [leaf('account', 'equal', { fact: 'account', path: '$.nope' }, { path: '$.owner.nope' })] }, facts),
    ).toBe(true);
    await expectSameAsEngine(
      [
        rule('ref', { all: [leaf('age', 'equal', { fact: 'limit' })] }),
        rule('refPath', { all: [leaf('age', 'lessThan', { fact: 'account', path: '$.limit' })] }),
      ],
      facts,
    );
  });

  it('ignores a path on a non-object fact value', async () => {
    expect(passes({ all: [leaf('age', 'equal', 30, { path: '$.x' })] }, facts)).toBe(true);
    await expectSameAsEngine([rule('r', { all: [leaf('age', 'equal', 30, { path: '$.x' })] })], facts);
  });

  it('rejects the run for an undefined fact with the engine error', async () => {
    const set = compileRules([rule('r', { all: [leaf('missing', 'equal', 1)] })]);
    expect(() => set.run({})).toThrow(UndefinedFactError);
    expect(() => set.run({})).toThrow('Undefined fact: missing');
    try {
      set.run({});
    } catch (error) {
      expect((error as UndefinedFactError).code).toBe('UNDEFINED_FACT');
    }
    // Present-but-undefined is a defined fact.
    expect(set.run({ missing: undefined })).toEqual([]);
    // Undefined fact referenced from `value`.
    expect(() => compileRules([rule('r', { all: [leaf('age', 'equal', { fact: 'nope' })] })]).run(facts)).toThrow(
      'Undefined fact: nope',
    );
    // Builtin names are not facts unless the object owns them.
    expect(() => compileRules([rule('r', { all: [leaf('constructor', 'equal', 1)] })]).run({})).toThrow(
      'Undefined fact: constructor',
    );
    expect(compileRules([rule('r', { all: [leaf('constructor', 'equal', 1)] })]).run({ constructor: 1 })).toHaveLength(1);
    await expectSameAsEngine([rule('r', { all: [leaf('constructor', 'equal', 1)] })], {});
  });

  it('only skips conditions in a lower-priority set that is short-circuited', async () => {
    const byPriority: RuleJson['conditions'] = { all: [leaf('age', 'equal', 1, { priority: 2 }), leaf('missing', 'equal', 1)] };
    expect(compiled([rule('r', byPriority)], facts)).toEqual({ events: [], passed: [] });
    await expectSameAsEngine([rule('r', byPriority)], facts);
    // Same priority: every condition of the set is evaluated, so the missing fact rejects the run.
    const samePriority: RuleJson['conditions'] = { all: [leaf('age', 'equal', 1), leaf('missing', 'equal', 1)] };
    expect(compiled([rule('r', samePriority)], facts)).toEqual({ error: 'Undefined fact: missing' });
    await expectSameAsEngine([rule('r', samePriority)], facts);
    // `any` stops once a set passes.
    const anyFirst: RuleJson['conditions'] = { any: [leaf('missing', 'equal', 1), leaf('age', 'equal', 30, { priority: 5 })] };
    expect(compiled([rule('r', anyFirst)], facts)).toEqual({ events: [{ type: 'r' }], passed: ['r'] });
    await expectSameAsEngine([rule('r', anyFirst)], facts);
  });

  it('throws the error json-rules-engine reports first when several conditions fail', async () => {
    const typeErrorLate = leaf('account', 'in', 5, { path: '$.limit' }); // rejects one round later (path)
    const cases: [RuleJson[], string][] = [
      [
        [rule('a', { all: [leaf('missingA', 'equal', 1)] }), rule('b', { all: [leaf('missingB', 'equal', 1)] })],
        'Undefined fact: missingA',
      ],
      [[rule('a', { all: [typeErrorLate] }), rule('b', { all: [leaf('missingB', 'equal', 1)] })], 'Undefined fact: missingB'],
      [[rule('a', { all: [leaf('missingA', 'equal', 1), leaf('missingB', 'equal', 1)] })], 'Undefined fact: missingA'],
      [
        [rule('a', { all: [leaf('age', 'equal', { fact: 'missingV' }), leaf('missingF', 'equal', 1)] })],
        'Undefined fact: missingV',
      ],
      [[rule('a', { all: [leaf('missingF', 'equal', { fact: 'missingV' })] })], 'Undefined fact: missingV'],
      [[rule('a', { all: [{ all: [leaf('missingA', 'equal', 1)] }, leaf('missingB', 'equal', 1)] })], 'Undefined fact: missingB'],
      [
        [rule('low', { all: [leaf('missingLow', 'equal', 1)] }, 1), rule('high', { all: [typeErrorLate] }, 2)],
        'b.indexOf is not a function',
      ],
    ];
    for (const [rules, message] of cases) {
      expect(compiled(rules, facts)).toEqual({ error: message });
      expect(() => compileRules(rules).explain(facts)).toThrow(message);
      await expectSameAsEngine(rules, facts);
    }
  });
});

describe('compileRules: priorities and event order', () => {
  it('runs higher rule priorities first (default 1)', async () => {
    const rules = [rule('p1', { all: [] }), rule('p3', { all: [] }, 3), rule('default', { all: [] }), rule('p2', { all: [] }, 2)];
    expect(compileRules(rules).run({})).toEqual([{ type: 'p3' }, { type: 'p2' }, { type: 'p1' }, { type: 'default' }]);
    await expectSameAsEngine(rules, {});
  });

  it('orders a priority group by how long each rule takes to settle, ties in declaration order', async () => {
    const eq = (fact: string, value: unknown, extra: Partial<FactCondition> = {}) => leaf(fact, 'equal', value, extra);
    const rules = [
      rule('twoConditions', { all: [eq('a', 1), eq('a', 1)] }),
      rule('oneCondition', { all: [eq('a', 1)] }),
      rule('empty', { any: [] }),
      rule('not', { not: eq('a', 2) }),
      rule('withPath', { all: [eq('o', 1, { path: '$.x' })] }),
    ];
    const facts = { a: 1, o: { x: 1 } };
    expect(
      compileRules(rules)
        .run(facts)
        .map((e) => e.type),
    ).toEqual(['empty', 'oneCondition', 'not', 'withPath', 'twoConditions']);
    expect(
      compileRules(rules)
        .explain(facts)
        .map((e) => e.name),
    ).toEqual(['empty', 'oneCondition', 'not', 'withPath', 'twoConditions']);
    await expectSameAsEngine(rules, facts);
  });

  it('evaluates condition priority sets highest first and skips the rest once decided', async () => {
    const conditions: RuleJson['conditions'] = {
      any: [leaf('a', 'equal', 1), leaf('a', 'equal', 2, { priority: 3 }), { all: [leaf('a', 'equal', 3)], priority: 2 }],
    };
    const [explained] = compileRules([rule('r', conditions)]).explain({ a: 2 });
    expect(explained?.passed).toBe(true);
    expect(explained?.conditions.any?.map((c) => c.result)).toEqual([undefined, true, undefined]);
    await expectSameAsEngine([rule('r', conditions)], { a: 2 });
  });
});

describe('compileRules: explain', () => {
  it('annotates the condition tree like RuleResult.conditions', () => {
    const rules: RuleJson[] = [
      {
        name: 'big-account',
        priority: 2,
        conditions: {
          all: [
            leaf('account', 'greaterThan', { fact: 'threshold' }, { path: '$.revenue', priority: 2 }),
            { any: [leaf('tier', 'in', ['T1', 'T2']), { not: leaf('tier', 'equal', 'T4') }] },
          ],
        },
        event: { type: 'flag', params: { level: 'high' } },
      },
      rule('second', { all: [leaf('tier', 'equal', 'T9', { priority: 5 }), leaf('account', 'equal', 1)] }),
    ];
    const explanations = compileRules(rules).explain({ account: { revenue: 100 }, threshold: 50, tier: 'T4' });
    expect(explanations).toEqual([
      {
        name: 'big-account',
        priority: 2,
        passed: false,
        event: { type: 'flag', params: { level: 'high' } },
        conditions: {
          priority: 1,
          all: [
            {
              fact: 'account',
              operator: 'greaterThan',
              value: { fact: 'threshold' },
              path: '$.revenue',
              priority: 2,
              factResult: 100,
              valueResult: 50,
              result: true,
            },
            {
              priority: 1,
              result: false,
              any: [
                { fact: 'tier', operator: 'in', value: ['T1', 'T2'], factResult: 'T4', valueResult: ['T1', 'T2'], result: false },
                {
                  priority: 1,
                  result: false,
                  not: { fact: 'tier', operator: 'equal', value: 'T4', factResult: 'T4', valueResult: 'T4', result: true },
                },
              ],
            },
          ],
        },
      },
      {
        name: 'second',
        priority: 1,
        passed: false,
        event: { type: 'second' },
        conditions: {
          priority: 1,
          all: [
            { fact: 'tier', operator: 'equal', value: 'T9', priority: 5, factResult: 'T4', valueResult: 'T9', result: false },
            { fact: 'account', operator: 'equal', value: 1 }, // not evaluated: the first set already failed
          ],
        },
      },
    ]);
  });
});

describe('compileRules: compilation', () => {
  const bad =
    (conditions: unknown, extra: Record<string, unknown> = {}) =>
    () =>
      compileRules([{ name: 'x', conditions, event: { type: 'x' }, ...extra } as RuleJson]);

  it('rejects what it cannot evaluate exactly, with the rule and location', () => {
    expect(bad({ all: [leaf('a', 'equals', 1)] })).toThrow(/rule #0 at conditions\.all\[0\]\.operator: Unknown operator: equals/);
    expect(bad({ all: [{ condition: 'shared' }] })).toThrow(/condition references/);
    expect(bad({ condition: 'shared' })).toThrow(/condition references/);
    expect(bad({ all: [leaf('a', 'equal', 1, { path: '$..a' })] })).toThrow(/unsupported path/);
    expect(bad({ all: [leaf('a', 'equal', { fact: 'b', path: '$[*]' })] })).toThrow(
      /conditions\.all\[0\]\.value\.path: unsupported path/,
    );
    expect(bad({ all: [{ fact: 'a', operator: 'equal' }] })).toThrow(/"value" property required/);
    expect(bad({ all: {} })).toThrow(/"all" must be an array/);
    expect(bad({ not: [] })).toThrow(/"not" cannot be an array/);
    expect(bad({})).toThrow(/root must contain/);
    expect(bad({ all: [] }, { priority: -1 })).toThrow(/Priority must be greater than zero/);
    expect(bad({ all: [] }, { priority: 'high' })).toThrow(/priority must be a number/);
    expect(() => compileRules([{ name: 'x', conditions: { all: [] } } as unknown as RuleJson])).toThrow(/requires "event"/);
    expect(() => compileRules([{ name: 'x', conditions: { all: [] }, event: {} } as unknown as RuleJson])).toThrow(
      /"type" property/,
    );
    expect(bad({ all: [] })).not.toThrow();
    expect(() => compileRules([rule('ok', { all: [] }), rule('bad', { any: [leaf('a', 'nope', 1)] })])).toThrow(RuleCompileError);
  });

  it('does not mutate its input and returns frozen, shared events', () => {
    const rules: RuleJson[] = [
      {
        name: 'r',
        conditions: { all: [leaf('a', 'equal', 1, { priority: 2.5 })] },
        event: { type: 't', params: { n: 1 } },
        priority: 2.7,
      },
      { name: 's', conditions: { all: [] }, event: { type: 'u', params: null as never } },
    ];
    const before = structuredClone(rules);
    const set = compileRules(rules);
    expect(rules).toEqual(before);
    const [first] = set.run({ a: 1 });
    expect(first).toEqual({ type: 't', params: { n: 1 } });
    expect(Object.isFrozen(first) && Object.isFrozen(first?.params)).toBe(true);
    expect(set.run({ a: 1 })[0]).toBe(first);
    // Falsy params are dropped, like Rule.setEvent.
    expect(set.run({ a: 1 })[1]).toEqual({ type: 'u' });
    expect('params' in (set.run({ a: 1 })[1] as object)).toBe(false);
    expect(set.explain({ a: 1 }).map((e) => e.priority)).toEqual([2, 1]);
  });

  it('throws like Engine.run for a fact with an empty id', async () => {
    const rules = [rule('r', { all: [] })];
    expect(() => compileRules(rules).run({ '': 1 })).toThrow('factId required');
    expect(() => new Engine(rules as never[]).run({ '': 1 })).toThrow('factId required');
  });

  it('keeps runs independent', () => {
    const nested: NestedCondition = { any: [leaf('a', 'equal', 1), leaf('a', 'equal', 2, { priority: 2 })] };
    const set = compileRules([rule('r', { all: [nested] }), rule('s', { not: nested })]);
    expect(set.run({ a: 1 })).toEqual([{ type: 'r' }]);
    expect(set.run({ a: 3 })).toEqual([{ type: 's' }]);
    expect(set.run({ a: 2 })).toEqual([{ type: 'r' }]);
  });
});
