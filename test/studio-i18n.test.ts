/**
 * The message catalogues stay complete: both locales have the same keys and placeholders, every
 * key the studio's code names exists, and every rule-set validation code the engine can produce
 * and every import problem code the importers use has a message. (Rendered pages are checked for
 * raw keys by the end-to-end suite.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  catalogs,
  interpolate,
  negotiateLocale,
  translate,
  translateIssue,
  translateImport,
  translatePlural,
  translateRuleText,
  type MessageKey,
} from '../i18n/catalog.js';
import { validateRuleSet } from '../engine/ruleset-format/validate.js';
import { parseAccountsCsv } from '../db/import/accounts.js';
import { formatProblem } from '../db/import/problems.js';
import { PROFILE_FIELDS } from '../db/profile-fields.js';
import { USER_ROLES } from '../db/schema.js';
import { FACTS } from '../engine/json-rules/facts.js';
import {
  ACCOUNT_STATUSES,
  BEHAVIORS,
  CLASSES,
  DECISION_ROLES,
  FLAGS,
  HEALTHS,
  INVESTMENT_LEVELS,
  LEVELS,
  LINES,
  PRESALES_TIERS,
  STAGES,
  STRATEGIES,
  TIERS,
  TRACKS,
} from '../engine/model.js';
import { PROFILE_ITEMS } from '../engine/ruleset-format/schema.js';
import { EVENT_PARAMS } from '../studio/src/lib/components/rules/labels.js';

const ROOT = resolve(import.meta.dirname, '..');
const STUDIO_SRC = join(ROOT, 'studio', 'src');
const en = catalogs.en as Record<string, string>;
const zh = catalogs['zh-CN'] as Record<string, string>;
const keys = new Set(Object.keys(en));

function filesUnder(dir: string, extensions: string[]): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && extensions.some((x) => e.name.endsWith(x)))
    .map((e) => join(e.parentPath, e.name));
}

const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('have the same keys in en and zh-CN', () => {
    const missingInZh = Object.keys(en).filter((k) => !(k in zh));
    const missingInEn = Object.keys(zh).filter((k) => !(k in en));
    expect(missingInZh, 'keys missing in zh-CN.json').toEqual([]);
    expect(missingInEn, 'keys missing in en.json').toEqual([]);
  });

  it('have no empty messages', () => {
    for (const [name, catalog] of Object.entries({ en, zh })) {
      const empty = Object.entries(catalog).filter(([, v]) => typeof v !== 'string' || v.trim() === '');
      expect(
        empty.map(([k]) => k),
        `empty messages in ${name}`,
      ).toEqual([]);
    }
  });

  it('use the same placeholders in both languages', () => {
    const mismatched = Object.keys(en).filter(
      (k) => zh[k] !== undefined && placeholders(en[k]!).join() !== placeholders(zh[k]!).join(),
    );
    expect(mismatched).toEqual([]);
  });

  it('give every plural key an `.other` form', () => {
    const plurals = [...keys].filter((k) => k.endsWith('.one'));
    const orphans = plurals.filter((k) => !keys.has(k.replace(/\.\w+$/, '.other')));
    expect(orphans).toEqual([]);
  });

  it('use the article’s Chinese terms for the method', () => {
    const expected: Record<string, string> = {
      'term.kam': '大客户管理',
      'term.profile': '客户档案',
      'term.grading': '客户分级',
      'term.compositeScore': '综合积分法',
      'term.classification': '客户分类',
      'term.nineBox': '九宫格',
      'term.twoRelationships': '两种关系',
      'term.reportingLines': '汇报关系',
      'term.politicalMap': '政治版图',
      'term.persona': '个体画像',
      'term.coverage': '覆盖模式',
      'term.regionalLine': '区域线',
      'term.accountLine': '客户线/行业线',
      'term.supportLine': '支持线',
      'term.planning': '做规划 (GOSART)',
      'term.fiveStrategies': '五类策略',
      'strategy.acquire': '客户获取',
      'strategy.grow': '客户提升',
      'strategy.retain': '客户维系',
      'strategy.win-back': '亡羊补牢',
      'strategy.wait-and-watch': '以静制动',
      'term.valueProposition': '价值植入',
      'term.monitoring': '动态监控和评估',
      'term.actionPlan': '行动计划',
      'term.visitManagement': '客户拜访管理',
      'term.majorProjectTrack': '大项目线',
      'term.fastTrack': '项目快速通道',
      'term.review': '评估和考核',
      'term.incubation': '孵化商机',
    };
    for (const [key, term] of Object.entries(expected)) expect(zh[key], key).toBe(term);
  });
});

/**
 * Keys named in the studio's code and the catalogue helpers (i18n/*.ts): arguments of t()/tn()/translate(), and any string literal that
 * looks like a key of a catalogue namespace (`label: 'nav.portfolio'`, `'auth.error.invalid'
 * satisfies MessageKey`). A template literal (`tier.${tier}`) must match at least one key.
 */
function keysUsedInStudio(): { file: string; literal: string; prefix: boolean }[] {
  const namespaces = new Set([...keys].map((k) => k.split('.')[0]!));
  const used: { file: string; literal: string; prefix: boolean }[] = [];
  for (const file of [...filesUnder(STUDIO_SRC, ['.svelte', '.ts']), ...filesUnder(join(ROOT, 'i18n'), ['.ts'])]) {
    const source = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(import|export)\b.*\bfrom\b/.test(line))
      .join('\n');
    const rel = relative(ROOT, file);
    for (const m of source.matchAll(/(['"])([A-Za-z][\w-]*(?:\.[\w-]+)+)\1/g)) {
      const literal = m[2]!;
      if (namespaces.has(literal.split('.')[0]!) && !/\.(js|ts|svelte|json|css|html)$/.test(literal))
        used.push({ file: rel, literal, prefix: false });
    }
    for (const m of source.matchAll(/`([A-Za-z][\w-]*\.(?:[\w-]+\.)*)\$\{/g)) {
      if (namespaces.has(m[1]!.split('.')[0]!)) used.push({ file: rel, literal: m[1]!, prefix: true });
    }
  }
  return used;
}

describe('keys used by the studio', () => {
  const used = keysUsedInStudio();

  it('finds the keys the shell uses (the scan works)', () => {
    const literals = new Set(used.map((u) => u.literal));
    for (const k of ['nav.portfolio', 'auth.error.invalid', 'app.skipToContent', 'error.generic']) expect(literals).toContain(k);
    expect(used.some((u) => u.prefix && u.literal === 'tier.')).toBe(true);
  });

  it('are all in the catalogues', () => {
    const missing = used
      .filter(({ literal, prefix }) =>
        prefix ? ![...keys].some((k) => k.startsWith(literal)) : !keys.has(literal) && !keys.has(`${literal}.other`),
      )
      .map(({ file, literal }) => `${file}: ${literal}`);
    expect(missing).toEqual([]);
  });
});

/** The codes passed to `issue(path, code, …)` in the engine's rule-set validation. */
function issueCodes(): { exact: string[]; prefixes: string[] } {
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  const dir = join(ROOT, 'engine', 'ruleset-format');
  for (const file of filesUnder(dir, ['.ts'])) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const collect = (node: ts.Expression) => {
      if (ts.isStringLiteralLike(node)) exact.add(node.text);
      else if (ts.isConditionalExpression(node)) {
        collect(node.whenTrue);
        collect(node.whenFalse);
      } else if (ts.isTemplateExpression(node)) prefixes.add(node.head.text);
      else if (ts.isParenthesizedExpression(node)) collect(node.expression);
    };
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'issue' && node.arguments[1])
        collect(node.arguments[1]);
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { exact: [...exact].sort(), prefixes: [...prefixes].sort() };
}

describe('rule-set validation messages', () => {
  const codes = issueCodes();

  it('finds the engine’s issue codes (the scan works)', () => {
    expect(codes.exact).toContain('weights.sum');
    expect(codes.exact).toContain('condition.unknownFact');
    expect(codes.exact).toContain('condition.factNotYetKnown');
    expect(codes.prefixes).toContain('schema.');
  });

  it('have a catalogue entry for every code', () => {
    const missing = codes.exact.filter((c) => !keys.has(`issue.${c}`));
    expect(missing).toEqual([]);
    for (const p of codes.prefixes)
      expect(
        [...keys].some((k) => k.startsWith(`issue.${p}`)),
        p,
      ).toBe(true);
  });

  it('translate a real validation issue with its parameters', async () => {
    const base = JSON.parse(readFileSync(join(ROOT, 'rules', 'defaults', 'base.json'), 'utf8')) as {
      grade: { weights: Record<string, number> };
    };
    base.grade.weights['revenue'] = 0.5;
    const result = validateRuleSet(base);
    expect(result.ok).toBe(false);
    const sum = result.issues.find((i) => i.code === 'weights.sum');
    expect(sum).toBeDefined();
    expect(translateIssue('en', sum!)).toBe('The weights must sum to 1; they sum to 1.15.');
    expect(translateIssue('zh-CN', sum!)).toBe('权重之和必须为 1，当前为 1.15。');
  });

  it('fall back to the English message for a code the catalogue does not know', () => {
    expect(translateIssue('zh-CN', { code: 'brand.new', params: {}, message: 'something new' })).toBe('something new');
  });
});

/**
 * The import problem codes: the first argument of every `msg(…)` in db/import (string literals,
 * both branches of a conditional), and `ref.<code>` for the codes of the engine's
 * `accountReferenceIssues`, which the importers report as they are.
 */
function importCodes(): string[] {
  const codes = new Set<string>();
  const scan = (file: string, callee: string, argument: number, prefix = '') => {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const collect = (node: ts.Expression) => {
      if (ts.isStringLiteralLike(node)) codes.add(prefix + node.text);
      else if (ts.isConditionalExpression(node)) {
        collect(node.whenTrue);
        collect(node.whenFalse);
      } else if (ts.isParenthesizedExpression(node)) collect(node.expression);
      else throw new Error(`${relative(ROOT, file)}: a ${callee}() code that is not a literal: ${node.getText(sf)}`);
    };
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === callee) {
        const arg = node.arguments[argument];
        if (arg) collect(arg);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  };
  for (const file of filesUnder(join(ROOT, 'db', 'import'), ['.ts'])) scan(file, 'msg', 0);
  scan(join(ROOT, 'engine', 'model.ts'), 'add', 2, 'ref.');
  return [...codes].sort();
}

describe('import problem messages', () => {
  const codes = importCodes();

  it('finds the importers’ codes (the scan works)', () => {
    for (const c of [
      'csv.unterminatedQuote',
      'json.invalid',
      'cell.notNumber',
      'value.required',
      'crm.duplicateAgent',
      'ref.contact.unknown',
    ])
      expect(codes).toContain(c);
    expect(codes.length).toBeGreaterThan(60);
  });

  it('have a message in both catalogues for every code', () => {
    expect(codes.filter((c) => !keys.has(`import.${c}`))).toEqual([]);
    expect(codes.filter((c) => !zh[`import.${c}`])).toEqual([]);
  });

  it('say a problem in Chinese with its line, column and nested reason', () => {
    const { problems } = parseAccountsCsv('id,name,employees,competitors\nA1,Alpha,many,a:A:lots\n', { file: 'a.csv' });
    expect(problems.list.map((p) => p.code)).toEqual(['cell.notWholeNumber', 'cell.competitorShare']);
    expect(problems.list.map((p) => formatProblem(p))).toEqual([
      'a.csv line 2, column employees: "many" is not a whole number',
      'a.csv line 2, column competitors: competitor "a": share "lots" is not a number (write digits with a decimal point, no thousands separators)',
    ]);
    expect(problems.list.map((p) => formatProblem(p, 'zh-CN'))).toEqual([
      'a.csv 第 2 行，列 employees："many" 不是整数',
      'a.csv 第 2 行，列 competitors：竞争对手 "a"：份额 "lots" 不是数字（请用数字和小数点书写，不要用千位分隔符）',
    ]);
  });

  it('show values as written, not regrouped', () => {
    expect(translateImport('en', { code: 'csv.fieldTooLarge', params: { max: 65536 } })).toBe(
      'field too large (more than 65536 characters)',
    );
  });
});

describe('rule-set texts', () => {
  /** The plan goals and action titles of the default rule sets, in rule set order. */
  function defaultPlanTexts(): string[] {
    const texts: string[] = [];
    for (const file of filesUnder(join(ROOT, 'rules', 'defaults'), ['.json'])) {
      const plan = (
        JSON.parse(readFileSync(file, 'utf8')) as {
          plan?: { goals?: Record<string, string>; templates?: Record<string, { title: string; description?: string }[]> };
        }
      ).plan;
      texts.push(...Object.values(plan?.goals ?? {}));
      for (const list of Object.values(plan?.templates ?? {}))
        for (const t of list) texts.push(t.title, ...(t.description ? [t.description] : []));
    }
    return texts;
  }

  it('have a catalogue entry for every default plan goal and action (the English entry is the text itself)', () => {
    const texts = defaultPlanTexts();
    expect(texts.length).toBeGreaterThan(10);
    const catalogued = new Set(
      Object.entries(en)
        .filter(([k]) => k.startsWith('ruleText.'))
        .map(([, v]) => v),
    );
    expect(texts.filter((text) => !catalogued.has(text))).toEqual([]);
  });

  it('translate the default texts and leave an admin’s own as written', () => {
    expect(translateRuleText('zh-CN', 'Run a pilot')).toBe('开展试点');
    expect(translateRuleText('en', 'Run a pilot')).toBe('Run a pilot');
    expect(translateRuleText('zh-CN', 'Run two pilots')).toBe('Run two pilots');
  });
});

describe('formatter', () => {
  it('fills parameters and formats numbers per locale', () => {
    expect(translate('en', 'pagination.summary', { from: 1, to: 50, total: 12345 })).toBe('1–50 of 12,345');
    expect(translate('zh-CN', 'pagination.summary', { from: 1, to: 50, total: 12345 })).toBe('第 1–50 条，共 12,345 条');
    expect(interpolate('en', 'x {missing} y', {})).toBe('x {missing} y');
  });

  it('chooses plural forms', () => {
    expect(translatePlural('en', 'common.accounts', 1)).toBe('1 account');
    expect(translatePlural('en', 'common.accounts', 2)).toBe('2 accounts');
    expect(translatePlural('zh-CN', 'common.accounts', 1)).toBe('1 个客户');
  });

  it('returns a missing key as itself so that raw keys are visible', () => {
    expect(translate('en', 'no.such.key' as MessageKey)).toBe('no.such.key');
  });

  it('negotiates the locale from Accept-Language or LANG', () => {
    expect(negotiateLocale('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(negotiateLocale('en-US,en;q=0.9')).toBe('en');
    expect(negotiateLocale('fr-FR,zh-TW;q=0.5')).toBe('zh-CN');
    expect(negotiateLocale('de, en;q=0')).toBe('en');
    expect(negotiateLocale('en;q=0.2, zh;q=0.8')).toBe('zh-CN');
    expect(negotiateLocale('zh_CN.UTF-8')).toBe('zh-CN');
    expect(negotiateLocale(undefined)).toBe('en');
  });
});

/**
 * Every identifier the pages show in words has a label in both catalogues: the "why" traces, the
 * condition builder, the missing-field lists and the decision sources read these.
 */
describe('labels of the data values', () => {
  const vocabulary: Record<string, readonly string[]> = {
    fact: FACTS.map((f) => f.name),
    field: [...new Set([...PROFILE_FIELDS, ...PROFILE_ITEMS])],
    strategy: STRATEGIES,
    track: TRACKS,
    line: LINES,
    presales: PRESALES_TIERS,
    investment: INVESTMENT_LEVELS,
    health: HEALTHS,
    flag: FLAGS,
    role: USER_ROLES,
    decisionRole: DECISION_ROLES,
    behavior: BEHAVIORS,
    accountStatus: ACCOUNT_STATUSES,
    tier: TIERS,
    class: CLASSES,
    level: LEVELS,
    stage: STAGES,
    'rules.param': Object.values(EVENT_PARAMS).flatMap((e) => e.params.map((p) => p.key)),
  };

  it('exist for every fact, field, strategy, track, line and role, in both languages', () => {
    const missing = Object.entries(vocabulary).flatMap(([namespace, values]) =>
      values.flatMap((v) => {
        const key = `${namespace}.${v}`;
        return [...(en[key] ? [] : [`en: ${key}`]), ...(zh[key] ? [] : [`zh-CN: ${key}`])];
      }),
    );
    expect(missing).toEqual([]);
  });

  it('name every rule of the default rule sets', () => {
    const names = new Set<string>();
    for (const file of filesUnder(join(ROOT, 'rules', 'defaults'), ['.json']))
      JSON.stringify(JSON.parse(readFileSync(file, 'utf8')), (k, v: unknown) => {
        if (k === 'name' && typeof v === 'string') names.add(v);
        return v;
      });
    expect(names.size).toBeGreaterThan(20);
    expect([...names].filter((n) => !en[`ruleName.${n}`] || !zh[`ruleName.${n}`])).toEqual([]);
  });

  it('are Chinese in zh-CN (not the English label or the identifier)', () => {
    const untranslated = Object.entries(vocabulary)
      .filter(([namespace]) => !['tier', 'class'].includes(namespace))
      .flatMap(([namespace, values]) => values.map((v) => `${namespace}.${v}`))
      .filter((key) => zh[key] && !/[\u4e00-\u9fff]/.test(zh[key]));
    expect(untranslated).toEqual([]);
  });
});
