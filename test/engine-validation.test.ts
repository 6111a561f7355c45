/**
 * Rule set validation (issue section 3): every problem at once, each at its JSON path with a message
 * an admin understands; an invalid set is never used. Also: the JSON Schema files shipped in rules/
 * are generated from the zod schemas and are current, and the default rule files satisfy them.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuleBook, resolveRuleSet, validateRuleSet, ValidationError, type Issue, type Validation } from '../engine/index.js';
import { DEFAULT_RULES_DIR, jsonSyntaxErrorOffset, loadRuleBook, parseJsonFile } from '../rules/load.js';
import { ruleSchemaFiles } from '../scripts/gen-rule-schemas.js';
import { baseDocument, readDefaultDocument } from './helpers/accounts.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

function issuesOf(v: Validation): Issue[] {
  expect(v.ok).toBe(false);
  return v.ok ? [] : v.issues;
}

/** Validates the base with `edit` applied, expects exactly one issue, and returns it. */
function only(edit: (d: Doc) => void): Issue {
  const d = baseDocument();
  edit(d);
  const issues = issuesOf(validateRuleSet(d));
  expect(issues, JSON.stringify(issues, null, 1)).toHaveLength(1);
  return issues[0]!;
}

const RULES_ROOT = resolve(DEFAULT_RULES_DIR, '..');

describe('the default rule sets are valid', () => {
  it('the fallback and every shipped industry resolve without issues', () => {
    expect(validateRuleSet(baseDocument())).toMatchObject({ ok: true, issues: [] });
    for (const f of readdirSync(DEFAULT_RULES_DIR).filter((x) => x.endsWith('.json') && x !== 'base.json')) {
      const v = resolveRuleSet(baseDocument(), readDefaultDocument(f));
      expect(v.issues, f).toEqual([]);
      expect(v.ok, f).toBe(true);
    }
    expect(loadRuleBook().industries).toEqual(['*', 'energy', 'finance', 'government', 'healthcare', 'manufacturing', 'retail']);
  });
});

describe('grade', () => {
  it('a weight above 1', () => {
    const i = only((d) => {
      d.grade.weights.revenue = 1.5;
    });
    expect(i.path).toBe('$.grade.weights.revenue');
    expect(i.message).toMatch(/1/);
  });

  it('a negative weight (also breaking the sum: only the range is reported, the sum needs valid weights)', () => {
    const i = only((d) => {
      d.grade.weights.potential = -0.3;
    });
    expect(i.path).toBe('$.grade.weights.potential');
    expect(i.message).toMatch(/0/);
  });

  it('weights not summing to 1', () => {
    const i = only((d) => {
      d.grade.weights.revenue = 0.36;
    });
    expect(i).toMatchObject({ path: '$.grade.weights', code: 'weights.sum' });
    expect(i.message).toBe('weights must sum to 1; they sum to 1.01');
  });

  it('float sums within 1e-9 pass: 0.1 + 0.2 + 0.3 + 0.4, and 0.7 + 0.1 + 0.1 + 0.1', () => {
    for (const w of [
      { revenue: 0.1, potential: 0.2, demonstration: 0.3, winnability: 0.4 },
      { revenue: 0.7, potential: 0.1, demonstration: 0.1, winnability: 0.1 },
      { revenue: 0.3333, potential: 0.3333, demonstration: 0.3334, winnability: 0 },
    ]) {
      const d = baseDocument() as Doc;
      d.grade.weights = w;
      expect(validateRuleSet(d).issues).toEqual([]);
    }
  });

  it('a sum off by more than 1e-9 fails', () => {
    const d = baseDocument() as Doc;
    d.grade.weights = { revenue: 0.35, potential: 0.3, demonstration: 0.15, winnability: 0.200000002 };
    expect(issuesOf(validateRuleSet(d)).map((i) => i.code)).toEqual(['weights.sum']);
  });

  it('bands not strictly descending by min (equal mins)', () => {
    const i = only((d) => {
      d.grade.bands.revenue[2].min = 10_000_000;
    });
    expect(i).toMatchObject({ path: '$.grade.bands.revenue[2].min', code: 'bands.order' });
    expect(i.message).toMatch(/strictly descending/);
  });

  it('ascending bands report every out-of-order band', () => {
    const d = baseDocument() as Doc;
    d.grade.bands.potential.reverse();
    expect(issuesOf(validateRuleSet(d)).map((i) => i.path)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `$.grade.bands.potential[${n}].min`),
    );
  });

  it('a band score outside 0–100', () => {
    expect(
      only((d) => {
        d.grade.bands.demonstration[1].score = 101;
      }).path,
    ).toBe('$.grade.bands.demonstration[1].score');
    expect(
      only((d) => {
        d.grade.bands.winnability[0].score = -1;
      }).path,
    ).toBe('$.grade.bands.winnability[0].score');
  });

  it('tier thresholds not descending', () => {
    const i = only((d) => {
      d.grade.tierPolicy.thresholds.T2 = 85;
    });
    expect(i).toMatchObject({ path: '$.grade.tierPolicy.thresholds.T2', code: 'tiers.order' });
    expect(i.message).toBe('tier thresholds must descend: T2 (85) must be below T1 (80)');
    const eq = only((d) => {
      d.grade.tierPolicy.thresholds.T3 = 65;
    });
    expect(eq.path).toBe('$.grade.tierPolicy.thresholds.T3');
  });

  it('quotas summing above 1', () => {
    const i = only((d) => {
      d.grade.tierPolicy.quotas.T3 = 0.71;
    });
    expect(i).toMatchObject({ path: '$.grade.tierPolicy.quotas', code: 'quotas.sum' });
    expect(i.message).toBe('quotas must not sum above 1; they sum to 1.01');
  });

  it('quotas summing to exactly 1 (in floats 0.1 + 0.2 + 0.7) pass', () => {
    const d = baseDocument() as Doc;
    d.grade.tierPolicy.quotas = { T1: 0.1, T2: 0.2, T3: 0.7 };
    expect(validateRuleSet(d).ok).toBe(true);
  });

  it('an unknown tier policy mode', () => {
    expect(
      only((d) => {
        d.grade.tierPolicy.mode = 'ranked';
      }).path,
    ).toBe('$.grade.tierPolicy.mode');
  });
});

describe('classify', () => {
  it('a matrix that is not 3×3', () => {
    const i = only((d) => {
      d.classify.matrix = [
        ['A', 'B', 'C'],
        ['A', 'B', 'C'],
      ];
    });
    expect(i).toMatchObject({ path: '$.classify.matrix', code: 'matrix.shape' });
    expect(i.message).toMatch(/3 rows .* 3 columns/);
    expect(
      only((d) => {
        d.classify.matrix[1].push('A');
      }).code,
    ).toBe('matrix.shape');
  });

  it('a letter outside A–D', () => {
    const i = only((d) => {
      d.classify.matrix[1][2] = 'E';
    });
    expect(i.path).toBe('$.classify.matrix[1][2]');
    expect(i.message).toMatch(/"A"\|"B"\|"C"\|"D"/);
  });

  it('a wrong letter does not hide a wrong shape', () => {
    const d = baseDocument() as Doc;
    d.classify.matrix = [
      ['A', 'B'],
      ['C', 'X'],
    ];
    expect(
      issuesOf(validateRuleSet(d))
        .map((i) => i.path)
        .sort(),
    ).toEqual(['$.classify.matrix', '$.classify.matrix[1][1]']);
  });

  it('cuts out of order', () => {
    expect(
      only((d) => {
        d.classify.cuts = { M: 70, H: 40 };
      }),
    ).toMatchObject({ path: '$.classify.cuts.H', code: 'cuts.order' });
  });
});

describe('rules', () => {
  it('an unknown fact', () => {
    const i = only((d) => {
      d.strategy.rules[0].conditions.all[0].fact = 'statuz';
    });
    expect(i).toMatchObject({
      path: '$.strategy.rules[0].conditions.all[0].fact',
      code: 'condition.unknownFact',
      message: 'unknown fact "statuz"',
    });
  });

  it('an unknown operator', () => {
    const i = only((d) => {
      d.strategy.rules[0].conditions.all[0].operator = 'equals';
    });
    expect(i).toMatchObject({ path: '$.strategy.rules[0].conditions.all[0].operator', code: 'condition.unknownOperator' });
    expect(i.message).toMatch(/^unknown operator "equals"; expected one of equal, notEqual/);
  });

  it('an unknown strategy in an event and as the fallback', () => {
    expect(
      only((d) => {
        d.strategy.rules[0].event.params.strategy = 'conquer';
      }).path,
    ).toBe('$.strategy.rules[0].event.params.strategy');
    expect(
      only((d) => {
        d.strategy.fallback = 'hope';
      }).path,
    ).toBe('$.strategy.fallback');
  });

  it('an unknown strategy in a condition', () => {
    const i = only((d) => {
      d.investment.rules[0].conditions.all[0].value = 'conquer';
    });
    expect(i).toMatchObject({ path: '$.investment.rules[0].conditions.all[0].value', code: 'condition.unknownValue' });
    expect(i.message).toMatch(/unknown strategy "conquer"; expected one of wait-and-watch, win-back, acquire, grow, retain/);
  });

  it('an unknown flag in a condition and in a flag event', () => {
    const i = only((d) => {
      d.monitor.healthRules[1].conditions.all[0].value = 'no-friends';
    });
    expect(i).toMatchObject({ path: '$.monitor.healthRules[1].conditions.all[0].value', code: 'condition.unknownValue' });
    expect(i.message).toMatch(/no-friends/);
    expect(
      only((d) => {
        d.relationship.flagRules[0].event.params.flag = 'scary';
      }).path,
    ).toBe('$.relationship.flagRules[0].event.params.flag');
  });

  it('an unknown tier in a condition (also inside an "in" list)', () => {
    expect(
      only((d) => {
        d.coverage.rules[0].conditions.all[0].value = 'T5';
      }),
    ).toMatchObject({
      path: '$.coverage.rules[0].conditions.all[0].value',
      code: 'condition.unknownValue',
      message: 'unknown tier "T5"; expected one of T1, T2, T3, T4',
    });
    expect(
      only((d) => {
        d.strategy.rules[1].conditions.any[0].all[1].any[0].value = ['T1', 'T0'];
      }).path,
    ).toBe('$.strategy.rules[1].conditions.any[0].all[1].any[0].value[1]');
  });

  it('wrong value types for the operator', () => {
    expect(
      only((d) => {
        d.strategy.rules[1].conditions.any[1].all[2].any[0].value = '15';
      }),
    ).toMatchObject({ path: '$.strategy.rules[1].conditions.any[1].all[2].any[0].value', code: 'condition.valueType' });
    expect(
      only((d) => {
        d.strategy.rules[0].conditions.all[0] = { fact: 'tier', operator: 'in', value: 'T1' };
      }).message,
    ).toMatch(/needs a list of values/);
    expect(
      only((d) => {
        d.strategy.rules[0].conditions.all[0] = { fact: 'flags', operator: 'equal', value: 'no-coach' };
      }).message,
    ).toMatch(/use contains or doesNotContain/);
    expect(
      only((d) => {
        d.strategy.rules[0].conditions.all[0] = { fact: 'tier', operator: 'contains', value: 'T1' };
      }).message,
    ).toMatch(/not a set/);
  });

  it('malformed conditions', () => {
    // a leaf at the top
    expect(
      only((d) => {
        d.strategy.rules[0].conditions = { fact: 'status', operator: 'equal', value: 'lost' };
      }),
    ).toMatchObject({ path: '$.strategy.rules[0].conditions', code: 'condition.malformed' });
    // all is not a list
    expect(
      only((d) => {
        d.strategy.rules[0].conditions = { all: { fact: 'status' } };
      }),
    ).toMatchObject({
      path: '$.strategy.rules[0].conditions.all',
      code: 'condition.malformed',
      message: 'all must be a list of conditions',
    });
    // two groups in one node
    expect(
      only((d) => {
        d.strategy.rules[0].conditions = { all: [], any: [] };
      }).code,
    ).toBe('condition.malformed');
    // a number where a condition belongs
    expect(
      only((d) => {
        d.strategy.rules[0].conditions.all[0] = 42;
      }),
    ).toMatchObject({ path: '$.strategy.rules[0].conditions.all[0]', code: 'condition.malformed' });
    // an unexpected key
    expect(
      only((d) => {
        d.strategy.rules[0].conditions.all[0].vaule = 1;
      }),
    ).toMatchObject({ path: '$.strategy.rules[0].conditions.all[0].vaule', code: 'condition.unknownKey' });
    // a missing conditions object
    expect(
      only((d) => {
        delete d.strategy.rules[0].conditions;
      }),
    ).toMatchObject({ path: '$.strategy.rules[0].conditions', code: 'rule.missingConditions' });
  });

  it('a leaf without operator and value reports both', () => {
    const d = baseDocument() as Doc;
    d.strategy.rules[0].conditions = { all: [{ fact: 'status' }] };
    expect(issuesOf(validateRuleSet(d)).map((i) => [i.path, i.code, i.message])).toEqual([
      [
        '$.strategy.rules[0].conditions.all[0].operator',
        'condition.missingOperator',
        'a condition needs an operator, one of equal, notEqual, lessThan, lessThanInclusive, greaterThan, greaterThanInclusive, in, notIn, contains, doesNotContain',
      ],
      ['$.strategy.rules[0].conditions.all[0].value', 'condition.missingValue', 'a condition needs a value'],
    ]);
  });

  it('a fact not known yet in that list (strategy in a flag rule, flags in a flag rule)', () => {
    expect(
      only((d) => {
        d.relationship.flagRules[0].conditions.all[0] = { fact: 'strategy', operator: 'equal', value: 'grow' };
      }),
    ).toMatchObject({
      path: '$.relationship.flagRules[0].conditions.all[0].fact',
      code: 'condition.factNotYetKnown',
      message: 'fact "strategy" is not known yet when flags rules run',
    });
    expect(
      only((d) => {
        d.relationship.flagRules[0].conditions.all[0] = { fact: 'flags', operator: 'contains', value: 'no-coach' };
      }).code,
    ).toBe('condition.factNotYetKnown');
    expect(
      only((d) => {
        d.investment.rules[0].conditions.all[0] = { fact: 'overdueVisits', operator: 'greaterThan', value: 0 };
      }).code,
    ).toBe('condition.factNotYetKnown');
  });

  it('facts of earlier lists are fine later (flags in a health rule, strategy in investment)', () => {
    expect(validateRuleSet(baseDocument()).ok).toBe(true); // health rules already use flags; investment uses strategy
  });

  it('duplicate rule names in one list', () => {
    const i = only((d) => {
      d.strategy.rules[3].name = 'acquire';
    });
    expect(i).toMatchObject({
      path: '$.strategy.rules[3].name',
      code: 'rule.duplicateName',
      message: 'rule name "acquire" is already used at index 2',
    });
  });

  it('the same name in different lists is fine (grow is a strategy and an investment rule)', () => {
    const d = baseDocument() as Doc;
    expect(d.strategy.rules.some((r: Doc) => r.name === 'grow') && d.investment.rules.some((r: Doc) => r.name === 'grow')).toBe(
      true,
    );
    expect(validateRuleSet(d).ok).toBe(true);
  });

  it('a non-positive or fractional priority', () => {
    expect(
      only((d) => {
        d.strategy.rules[0].priority = 0;
      }).path,
    ).toBe('$.strategy.rules[0].priority');
    expect(
      only((d) => {
        d.strategy.rules[0].conditions.all[0].priority = 1.5;
      }),
    ).toMatchObject({ path: '$.strategy.rules[0].conditions.all[0].priority', code: 'condition.priority' });
  });
});

describe('structure', () => {
  it('an unknown key (typo "weigths") is reported at the key, plus the missing "weights"', () => {
    const d = baseDocument() as Doc;
    d.grade.weigths = d.grade.weights;
    delete d.grade.weights;
    expect(issuesOf(validateRuleSet(d)).map((i) => [i.path, i.message])).toEqual([
      ['$.grade.weights', 'is required'],
      ['$.grade.weigths', 'unknown key "weigths" (a typo?)'],
    ]);
  });

  it('a missing section', () => {
    expect(
      only((d) => {
        delete d.monitor;
      }),
    ).toMatchObject({ path: '$.monitor', message: 'is required' });
  });

  it('wrong types', () => {
    expect(
      only((d) => {
        d.grade.bands.revenue = 'high';
      }).path,
    ).toBe('$.grade.bands.revenue');
    expect(
      only((d) => {
        d.strategy.rules = null;
      }).path,
    ).toBe('$.strategy.rules');
    expect(issuesOf(validateRuleSet(null))[0]!.path).toBe('$');
    expect(issuesOf(validateRuleSet([]))[0]!.path).toBe('$');
  });

  it('interaction levels out of order or not ending at 0', () => {
    const d = baseDocument() as Doc;
    d.relationship.interactionLevels[3].min = 1;
    expect(issuesOf(validateRuleSet(d)).map((i) => i.code)).toEqual(['levels.order', 'levels.zero']);
  });

  it('a complete rule set must be the fallback "*"', () => {
    const d = baseDocument() as Doc;
    d.industry = 'finance';
    expect(issuesOf(resolveRuleSet(d))).toEqual([expect.objectContaining({ path: '$.industry', code: 'ruleset.notFallback' })]);
  });
});

describe('several problems at once', () => {
  it('reports every problem of a set in one pass, even within one section', () => {
    const d = baseDocument() as Doc;
    d.grade.weights.revenue = -0.1; // range
    d.grade.tierPolicy.thresholds.T1 = 40; // order (T2 65 is not below 40)
    d.grade.bands.revenue[1].min = 30_000_000; // order
    d.classify.matrix = [['A']]; // shape
    d.strategy.rules[0].conditions.all[0].fact = 'statuz'; // unknown fact
    d.investment.rules[0].conditions.all[0].operator = 'is'; // unknown operator
    d.coverage.rules[2].name = 't1-key-account'; // duplicate
    d.monitor.intervalDays = 0; // range
    const paths = issuesOf(validateRuleSet(d))
      .map((i) => i.path)
      .sort();
    expect(paths).toEqual(
      [
        '$.classify.matrix',
        '$.coverage.rules[2].name',
        '$.grade.bands.revenue[1].min',
        '$.grade.tierPolicy.thresholds.T2',
        '$.grade.weights.revenue',
        '$.investment.rules[0].conditions.all[0].operator',
        '$.monitor.intervalDays',
        '$.strategy.rules[0].conditions.all[0].fact',
      ].sort(),
    );
  });

  it('every issue has a $-path, a code, a non-empty message and the path in its params', () => {
    const d = baseDocument() as Doc;
    d.grade.weights.revenue = 2;
    d.classify.matrix[0][0] = 'Z';
    for (const i of issuesOf(validateRuleSet(d))) {
      expect(i.path.startsWith('$')).toBe(true);
      expect(i.code).toMatch(/\w/);
      expect(i.message.length).toBeGreaterThan(0);
      expect(i.params.path).toBe(i.path);
    }
  });
});

describe('overrides', () => {
  const resolve = (override: Doc) => resolveRuleSet(baseDocument(), { industry: 'x', ...override });

  it('an override with one number changed is valid', () => {
    expect(resolve({ grade: { tierPolicy: { thresholds: { T1: 85 } } } }).ok).toBe(true);
  });

  it('problems of the merged set are reported at the path an admin knows', () => {
    expect(issuesOf(resolve({ grade: { weights: { revenue: 0.5 } } }))).toEqual([
      expect.objectContaining({ path: '$.grade.weights', message: 'weights must sum to 1; they sum to 1.15' }),
    ]);
  });

  it('a typo in an override', () => {
    expect(issuesOf(resolve({ grade: { weigths: { revenue: 0.5 } } })).map((i) => [i.path, i.code])).toEqual([
      ['$.grade.weigths', 'schema.unknownKey'],
    ]);
  });

  it('a bad rule in an override is reported once, at its index in the override', () => {
    const grow = {
      name: 'grow',
      priority: 20,
      conditions: { all: [{ fact: 'klass', operator: 'equal', value: 'C' }] },
      event: { type: 'strategy', params: { strategy: 'grow' } },
    };
    expect(issuesOf(resolve({ strategy: { rules: [grow] } })).map((i) => i.path)).toEqual([
      '$.strategy.rules[0].conditions.all[0].fact',
    ]);
    const added = {
      ...grow,
      name: 'new-rule',
      event: { type: 'strategy', params: { strategy: 'conquer' } },
      conditions: { all: [] },
    };
    expect(
      issuesOf(resolve({ strategy: { rules: [{ name: 'acquire', remove: true }, added] } })).map((i) => [i.path, i.code]),
    ).toEqual([['$.strategy.rules[1].event.params.strategy', 'schema.invalid_value']]);
  });

  it('a rule without a name in an override', () => {
    const r = { conditions: { all: [] }, event: { type: 'strategy', params: { strategy: 'grow' } } };
    expect(issuesOf(resolve({ strategy: { rules: [r] } })).map((i) => [i.path, i.message])).toContainEqual([
      '$.strategy.rules[0].name',
      'is required',
    ]);
  });

  it('removing a rule that does not exist is an error (a typo would silently keep it)', () => {
    expect(issuesOf(resolve({ strategy: { rules: [{ name: 'retian', remove: true }] } }))).toEqual([
      expect.objectContaining({
        path: '$.strategy.rules[0].name',
        code: 'rule.removeUnknown',
        message: 'there is no inherited rule "retian" to remove',
      }),
    ]);
  });

  it('removing an existing rule is fine; an override duplicating a name is not', () => {
    expect(resolve({ strategy: { rules: [{ name: 'retain', remove: true }] } }).ok).toBe(true);
    const r = { name: 'x1', conditions: { all: [] }, event: { type: 'strategy', params: { strategy: 'grow' } } };
    expect(issuesOf(resolve({ strategy: { rules: [r, r] } })).map((i) => i.path)).toEqual(['$.strategy.rules[1].name']);
  });

  it('an override cannot be "*" nor extend anything but "*"', () => {
    expect(issuesOf(resolveRuleSet(baseDocument(), { industry: '*' }))[0]).toMatchObject({ path: '$.industry' });
    expect(issuesOf(resolve({ extends: 'finance' }))[0]).toMatchObject({ path: '$.extends' });
  });

  it('several problems of an override at once', () => {
    const v = resolve({
      grade: { weights: { revenue: -0.1 }, tierPolicy: { thresholds: { T1: 40 } } },
      classify: { matrix: [['A']] },
    });
    expect(
      issuesOf(v)
        .map((i) => i.path)
        .sort(),
    ).toEqual(['$.classify.matrix', '$.grade.tierPolicy.thresholds.T2', '$.grade.weights.revenue']);
  });
});

describe('hostile input', () => {
  it('prototype names are not operators or facts ("constructor", "toString")', () => {
    expect(
      only((d) => {
        d.strategy.rules[0].conditions.all[0].operator = 'constructor';
      }),
    ).toMatchObject({ path: '$.strategy.rules[0].conditions.all[0].operator', code: 'condition.unknownOperator' });
    expect(
      only((d) => {
        d.strategy.rules[0].conditions.all[0].fact = 'toString';
      }),
    ).toMatchObject({ path: '$.strategy.rules[0].conditions.all[0].fact', code: 'condition.unknownFact' });
  });

  it('an own "__proto__" key (as JSON.parse makes it) is an unknown key, in a set and in an override', () => {
    const text = JSON.stringify(baseDocument()).replace('"grade":{', '"grade":{"__proto__":{"x":1},');
    expect(issuesOf(validateRuleSet(JSON.parse(text))).map((i) => i.path)).toEqual(['$.grade.__proto__']);
    const override = JSON.parse('{"industry":"x","__proto__":{"grade":{"weights":{"revenue":5}}}}');
    expect(issuesOf(resolveRuleSet(baseDocument(), override)).map((i) => i.path)).toEqual(['$.__proto__']);
  });

  it('conditions nested deeper than 100 levels are reported, not a stack overflow', () => {
    const d = baseDocument() as Doc;
    let node: unknown = { fact: 'tier', operator: 'equal', value: 'T1' };
    for (let i = 0; i < 50_000; i++) node = { not: node };
    d.strategy.rules[0].conditions = node;
    d.grade.weights.revenue = 0.5; // still reported alongside
    expect(issuesOf(validateRuleSet(d)).map((i) => [i.path, i.code])).toEqual([
      ['$.strategy.rules[0].conditions', 'condition.tooDeep'],
      ['$.grade.weights', 'weights.sum'],
    ]);
    const override = {
      industry: 'x',
      strategy: { rules: [{ name: 'grow', conditions: node, event: { type: 'strategy', params: { strategy: 'grow' } } }] },
    };
    expect(issuesOf(resolveRuleSet(baseDocument(), override)).map((i) => i.code)).toEqual(['condition.tooDeep']);
  });

  it('100 levels are fine', () => {
    const d = baseDocument() as Doc;
    let node: unknown = { fact: 'tier', operator: 'equal', value: 'T1' };
    for (let i = 0; i < 99; i++) node = { all: [node] };
    d.strategy.rules[0].conditions = { any: [node] };
    expect(validateRuleSet(d).ok).toBe(true);
  });

  it('a validated rule set does not share its conditions with the input', () => {
    const d = baseDocument() as Doc;
    const v = validateRuleSet(d);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.ruleSet.strategy.rules[0]!.conditions).toEqual(d.strategy.rules[0].conditions);
    d.strategy.rules[0].conditions.all[0].value = 'active';
    expect(v.ruleSet.strategy.rules[0]!.conditions).toEqual({ all: [{ fact: 'status', operator: 'equal', value: 'lost' }] });
  });

  it('very long values are shortened in messages', () => {
    const i = only((d) => {
      d.coverage.rules[0].conditions.all[0].value = 'T'.repeat(500);
    });
    expect(i.message.length).toBeLessThan(200);
  });
});

describe('rule file JSON syntax errors name the line and column', () => {
  const at = (text: string) => {
    try {
      parseJsonFile('x.json', text);
      return 'parsed';
    } catch (error) {
      return (error as Error).message;
    }
  };
  it('for each kind of mistake', () => {
    expect(at('{\n  "a": 1,\n}')).toMatch(/^x\.json: invalid JSON at line 3, column 1/);
    expect(at('{"a": tru}')).toMatch(/line 1, column 7/);
    expect(at('[1, 2')).toMatch(/line 1, column 6/);
    expect(at('{"a": 1}\n}')).toMatch(/line 2, column 1/);
    expect(at('{"a": "\\q"}')).toMatch(/line 1, column 9/);
    expect(at('\n\n  nope')).toMatch(/line 3, column 3/);
    expect(at('{"a": [1, {"b": null}], "c": -1.5e3, "d": "\\u00e9"}')).toBe('parsed');
  });
  it('jsonSyntaxErrorOffset agrees with JSON.parse on valid input', () => {
    for (const t of ['{}', '[]', '"x"', '0', '-0.5e-3', 'true', ' null ', '{"a":[{"b":[]}]}'])
      expect(jsonSyntaxErrorOffset(t), t).toBe(-1);
  });
});

describe('an invalid rule set is never used', () => {
  it('RuleBook throws a ValidationError naming the file, with every issue', () => {
    const make = () =>
      new RuleBook({ industry: '*', version: 1, document: baseDocument(), source: 'rules/base.json' }, [
        {
          industry: 'bad',
          version: 1,
          document: { industry: 'bad', grade: { weights: { revenue: 2 } }, classify: { matrix: [] } },
          source: 'rules/bad.json',
        },
      ]);
    expect(make).toThrow(ValidationError);
    try {
      make();
    } catch (error) {
      const e = error as ValidationError;
      expect(e.source).toBe('rules/bad.json');
      expect(e.message).toMatch(/^rules\/bad\.json: 2 problems:/);
      expect(e.message).toContain('$.grade.weights.revenue');
      expect(e.message).toContain('$.classify.matrix');
      expect(e.issues).toHaveLength(2);
    }
  });

  it('an invalid fallback throws naming its file', () => {
    const d = baseDocument() as Doc;
    d.grade.weights.revenue = 0.9;
    expect(() => new RuleBook({ industry: '*', version: 1, document: d, source: 'rules/base.json' }, [])).toThrow(
      /^rules\/base\.json: 1 problem:\n {2}\$\.grade\.weights: weights must sum to 1/,
    );
  });
});

// ---- JSON Schema files ----------------------------------------------------------------------

type Schema = Record<string, unknown>;
const KNOWN_KEYWORDS = new Set([
  '$id',
  '$schema',
  '$ref',
  '$defs',
  'title',
  'description',
  'default',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'not',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'minItems',
]);

/** A small validator for the JSON Schema subset the generated files use; throws on any other keyword. */
function schemaErrors(root: Schema, schema: Schema, value: unknown, at = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN_KEYWORDS.has(k)) throw new Error(`unsupported keyword ${k} at ${at}`);
  if (typeof schema['$ref'] === 'string') {
    const ref = schema['$ref'];
    if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((n, p) => (n as Schema)[p], root) as Schema;
    return schemaErrors(root, target, value, at);
  }
  const errors: string[] = [];
  const t = schema['type'];
  if (typeof t === 'string') {
    const ok =
      t === 'integer'
        ? Number.isInteger(value)
        : t === 'number'
          ? typeof value === 'number'
          : t === 'array'
            ? Array.isArray(value)
            : t === 'object'
              ? typeof value === 'object' && value !== null && !Array.isArray(value)
              : t === 'null'
                ? value === null
                : typeof value === t;
    if (!ok) return [`${at}: expected ${t}`];
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) errors.push(`${at}: not in enum`);
  if ('const' in schema && schema['const'] !== value) errors.push(`${at}: not the const`);
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) errors.push(`${at}: below minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) errors.push(`${at}: above maximum`);
    if (typeof schema['exclusiveMinimum'] === 'number' && value <= schema['exclusiveMinimum'])
      errors.push(`${at}: not above exclusiveMinimum`);
  }
  if (typeof value === 'string' && typeof schema['minLength'] === 'number' && value.length < schema['minLength'])
    errors.push(`${at}: too short`);
  if (Array.isArray(value)) {
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) errors.push(`${at}: too few items`);
    if (schema['items']) value.forEach((v, i) => errors.push(...schemaErrors(root, schema['items'] as Schema, v, `${at}[${i}]`)));
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const r of (schema['required'] ?? []) as string[]) if (!(r in obj)) errors.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...schemaErrors(root, props[k]!, v, `${at}.${k}`));
      else if (schema['additionalProperties'] === false) errors.push(`${at}.${k}: not allowed`);
      else if (typeof schema['additionalProperties'] === 'object')
        errors.push(...schemaErrors(root, schema['additionalProperties'] as Schema, v, `${at}.${k}`));
    }
  }
  if (Array.isArray(schema['anyOf']) && !(schema['anyOf'] as Schema[]).some((s) => schemaErrors(root, s, value, at).length === 0))
    errors.push(`${at}: matches no anyOf branch`);
  if (schema['not'] && schemaErrors(root, schema['not'] as Schema, value, at).length === 0) errors.push(`${at}: matches "not"`);
  return errors;
}

describe('JSON Schema files in rules/', () => {
  const generated = ruleSchemaFiles();

  it('are generated from the zod schemas and current (run scripts/gen-rule-schemas.ts after a change)', () => {
    expect(Object.keys(generated)).toEqual(expect.arrayContaining(['override.schema.json', 'ruleset.schema.json']));
    for (const [file, text] of Object.entries(generated)) {
      expect(readFileSync(join(RULES_ROOT, file), 'utf8'), `${file} is stale`).toBe(text);
    }
  });

  it('every default rule file points its $schema at an existing schema file of the right kind', () => {
    for (const f of readdirSync(DEFAULT_RULES_DIR).filter((x) => x.endsWith('.json'))) {
      const doc = readDefaultDocument(f);
      const ref = doc['$schema'];
      expect(typeof ref, f).toBe('string');
      const target = resolve(dirname(join(DEFAULT_RULES_DIR, f)), ref as string);
      expect(existsSync(target), `${f} → ${target}`).toBe(true);
      expect(target.endsWith(f === 'base.json' ? 'ruleset.schema.json' : 'override.schema.json'), f).toBe(true);
    }
  });

  it('the default rule files satisfy their schema', () => {
    const ruleset = JSON.parse(generated['ruleset.schema.json']!) as Schema;
    const override = JSON.parse(generated['override.schema.json']!) as Schema;
    expect(schemaErrors(ruleset, ruleset, baseDocument())).toEqual([]);
    for (const f of readdirSync(DEFAULT_RULES_DIR).filter((x) => x.endsWith('.json') && x !== 'base.json'))
      expect(schemaErrors(override, override, readDefaultDocument(f)), f).toEqual([]);
  });

  it('the schema check is not vacuous: a typo, a wrong type and an unknown strategy fail it', () => {
    const ruleset = JSON.parse(generated['ruleset.schema.json']!) as Schema;
    const d = baseDocument() as Doc;
    d.grade.weigths = 1;
    d.execute.visitCadenceDays.T1 = 'monthly';
    d.strategy.rules[0].event.params.strategy = 'conquer';
    expect(schemaErrors(ruleset, ruleset, d)).toEqual([
      '$.grade.weigths: not allowed',
      '$.strategy.rules[0].event.params.strategy: not in enum',
      '$.execute.visitCadenceDays.T1: expected integer',
    ]);
  });
});
