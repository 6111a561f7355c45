/**
 * `esp evaluate` and `esp rules validate`: the contract of issue 2 (bad input exits 2 with every
 * problem on stderr and nothing on stdout) and every rule file error with file and JSON path.
 * Most cases call the CLI in this process; a few run the compiled `node dist/cli/bin.js` (and once
 * `npx esp`, the package.json `bin`) as a user does, to check what reaches the process's exit code
 * and streams.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT as ROOT, runEsp, spawnEsp, type EspRun } from './helpers/cli.js';

// The whole-process cases start node on the compiled CLI: a second or more each on a busy machine.
vi.setConfig({ testTimeout: 180_000 });

const FIXTURE = join(ROOT, 'test/fixtures/engine/accounts.json');
const tmp = mkdtempSync(join(tmpdir(), 'esp-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = join(tmp, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

const good = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>[];

describe('esp evaluate --format json', () => {
  let run: EspRun;
  let rows: Record<string, unknown>[];
  beforeAll(async () => {
    run = await runEsp('evaluate', '--accounts', FIXTURE, '--format', 'json');
    rows = JSON.parse(run.stdout) as Record<string, unknown>[];
  });

  it('exits 0 with a JSON array in input order and nothing on stderr', () => {
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(Array.isArray(rows)).toBe(true);
    expect(rows.map((r) => r['id'])).toEqual(['fin-001', 'gov-002', 'acme-003', 'hc-004']);
  });

  it('finance: bands ×2, T1, class A, retain', () => {
    // revenue 20,000,000 → 85 (finance: 40M→100, 20M→85); potential 100,000,000 → 85 (200M→100, 100M→85);
    // demonstration 60 → 75; winnability 80 → 100.
    // score = 0.35·85 + 0.30·85 + 0.15·75 + 0.20·100 = 29.75 + 25.5 + 11.25 + 20 = 86.5 → T1; H × H → A
    // closeness: c1 5·1·1 = 5; c2 3·(3/4)·0.9 = 2.025; c3 2·(1/4)·0.5 = 0.25 → 7.275 / 10 → 72.75
    // k1: c1 5·(2/4) = 2.5; c2 3·(3/4) = 2.25; c3 2·1 = 2 → 67.5; k2: 2.5 + 3·(1/4) + 2·(2/4) = 4.25 → 42.5
    // advantage 72.75 − 67.5 = 5.25; no flags (a champion, 2 supporters, c1 neutral to k1, no cold key contact)
    expect(rows[0]).toMatchObject({
      id: 'fin-001',
      score: 86.5,
      dimensions: { revenue: 85, potential: 85, demonstration: 75, winnability: 100 },
      tier: 'T1',
      class: 'A',
      closeness: 72.75,
      advantage: 5.25,
      flags: [],
      coverage: { line: 'industry', presalesTier: 'dedicated', track: 'major-project' },
      strategy: 'retain',
      investment: 'medium',
    });
  });

  it('government: bands ×1.2 and its weights, T3, class B, declining → win-back', () => {
    // revenue 1,200,000 → 50; potential 6,000,000 → 50; demonstration 80 → 100; winnability 40 → 50
    // score = 0.25·50 + 0.30·50 + 0.25·100 + 0.20·50 = 12.5 + 15 + 25 + 10 = 62.5 → T3; M × M → B
    // closeness: 4·(2/4)·0.5 / 4 = 0.25 → 25; no competitors → advantage 25
    // declining and class B → win-back; not T1/T2 → medium
    expect(rows[1]).toMatchObject({
      id: 'gov-002',
      score: 62.5,
      dimensions: { revenue: 50, potential: 50, demonstration: 100, winnability: 50 },
      tier: 'T3',
      class: 'B',
      closeness: 25,
      advantage: 25,
      flags: ['cold-decision-maker', 'no-coach', 'single-threaded'],
      coverage: { line: 'regional', presalesTier: 'pooled', track: 'fast-track' },
      strategy: 'win-back',
      investment: 'medium',
    });
  });

  it('an unknown industry (aerospace) uses *: T4, class C, prospect → acquire', () => {
    // revenue 0 → 0; potential 60,000,000 → 85; demonstration 20 → 25; winnability 59.99 → 50
    // score = 0 + 25.5 + 3.75 + 10 = 39.25 → T4; contribution L × potential H → C
    // no contacts: closeness 0, the competitor 0, advantage 0
    expect(rows[2]).toMatchObject({
      id: 'acme-003',
      score: 39.25,
      dimensions: { revenue: 0, potential: 85, demonstration: 25, winnability: 50 },
      tier: 'T4',
      class: 'C',
      closeness: 0,
      advantage: 0,
      flags: ['no-coach', 'no-contacts', 'single-threaded'],
      coverage: { line: 'regional', presalesTier: 'on-demand', track: 'fast-track' },
      strategy: 'acquire',
      investment: 'low',
    });
    expect(rows[2]!['ruleSet']).toMatchObject({ industry: '*' });
  });

  it('healthcare: bands ×0.8, T2 below its T1 of 78, closeness fell exactly 15 → win-back', () => {
    // revenue 8,000,000 → 85 (16M→100, 8M→85); potential 40,000,000 → 85 (80M→100, 40M→85); 40 → 50; 60 → 75
    // score = 29.75 + 25.5 + 7.5 + 15 = 77.75 → T2 in healthcare (T1 ≥ 78); H × H → A
    // closeness: h1 5·(2/4)·1 = 2.5; h2 2·1·0.75 = 1.5 → 4 / 7 = 57.142… → 57.14
    // kx: h1 5·(3/4) = 3.75; h2 0 → 3.75 / 7 = 53.571… → 53.57; advantage 57.14 − 53.57 = 3.57
    // previousCloseness 72.14 − 57.14 = 15 → active A → win-back; T2 → high
    // flags: h1 (influence 5) is +1 to kx and 0 to us → decision-maker-with-competitor; one supporter → single-threaded
    expect(rows[3]).toMatchObject({
      id: 'hc-004',
      score: 77.75,
      dimensions: { revenue: 85, potential: 85, demonstration: 50, winnability: 75 },
      tier: 'T2',
      class: 'A',
      closeness: 57.14,
      advantage: 3.57,
      flags: ['decision-maker-with-competitor', 'single-threaded'],
      coverage: { line: 'industry', presalesTier: 'priority', track: 'major-project' },
      strategy: 'win-back',
      investment: 'high',
    });
  });

  it('every row has the contract fields with the right types', () => {
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining([
          'id',
          'score',
          'dimensions',
          'tier',
          'class',
          'closeness',
          'advantage',
          'flags',
          'coverage',
          'strategy',
          'investment',
        ]),
      );
      expect(Object.keys(r['dimensions'] as object).sort()).toEqual(['demonstration', 'potential', 'revenue', 'winnability']);
      const flags = r['flags'] as string[];
      expect([...flags].sort()).toEqual(flags);
      for (const k of ['score', 'closeness', 'advantage'] as const) {
        const v = r[k] as number;
        expect(Math.round(v * 100) / 100).toBe(v);
      }
    }
  });

  it('json is the default format, and the process prints what main() does', () => {
    const r = spawnEsp('evaluate', '--accounts', FIXTURE);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(rows);
  });
});

describe('esp evaluate --format table', () => {
  it('prints a header and one line per account', async () => {
    const r = await runEsp('evaluate', '--accounts', FIXTURE, '--format', 'table');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 4);
    expect(lines[0]).toMatch(/^id\s+score\s+tier\s+class\s+closeness\s+advantage\s+strategy\s+investment/);
    expect(lines[1]).toMatch(/^-+\s+-+/);
    expect(lines[2]).toMatch(/^fin-001\s+86\.50\s+T1\s+A\s+72\.75\s+5\.25\s+retain\s+medium\s+major-project\s+finance/);
    expect(lines[4]).toMatch(
      /^acme-003\s+39\.25\s+T4\s+C\s+0\.00\s+0\.00\s+acquire\s+low\s+fast-track\s+\*\s+no-coach,no-contacts,single-threaded$/,
    );
  });

  it('rejects an unknown format with exit 2', async () => {
    const r = await runEsp('evaluate', '--accounts', FIXTURE, '--format', 'xml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--format must be json or table/);
  });
});

describe('esp evaluate: bad input → exit 2, stderr names index, id and field, stdout empty', () => {
  const bad = async (name: string, content: unknown) => {
    const r = await runEsp('evaluate', '--accounts', write(name, content), '--format', 'json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    return r.stderr;
  };

  it.each([
    [
      'not JSON: names the line and column',
      'syntax.json',
      '[\n  {"id": "a", "name": "A"},\n  {"id": "b",, "name": "B"}\n]\n',
      /syntax\.json: invalid JSON at line 3, column 14/,
    ],
    ['not JSON at all (a bare word)', 'word.json', 'hello', /invalid JSON at line 1, column 1/],
    ['not an array', 'object.json', { id: 'a' }, /expected a JSON array of accounts/],
  ])('%s', async (_case, name, content, expected) => {
    expect(await bad(name, content)).toMatch(expected);
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fixture edited freely, as a user would
  type Edit = (accounts: Record<string, any>[]) => void;
  it.each<[string, Edit, (string | RegExp)[]]>([
    [
      'wrong types',
      (a) => {
        a[1]!['revenueWithUs'] = 'lots';
        a[2]!['contacts'] = 'nobody';
      },
      ['account[1] (id "gov-002"): $.revenueWithUs:', 'account[2] (id "acme-003"): $.contacts:', /2 problems/],
    ],
    [
      'missing fields (and a missing id)',
      (a) => {
        delete a[0]!['potential'];
        delete a[3]!['id'];
      },
      ['account[0] (id "fin-001"): $.potential: is required', /account\[3\]: \$\.id: /],
    ],
    [
      'out-of-range values: demonstration 101, stance 3, influence 6, share 1.5',
      (a) => {
        a[0]!['demonstration'] = 101;
        a[0]!['contacts'][1].stance = 3;
        a[3]!['contacts'][0].influence = 6;
        a[2]!['competitors'][0].share = 1.5;
      },
      [
        'account[0] (id "fin-001"): $.demonstration:',
        'account[0] (id "fin-001"): $.contacts[1].stance:',
        'account[3] (id "hc-004"): $.contacts[0].influence:',
        'account[2] (id "acme-003"): $.competitors[0].share:',
      ],
    ],
    [
      'a negative amount and an unknown status',
      (a) => {
        a[1]!['revenueWithUs'] = -5;
        a[1]!['status'] = 'asleep';
      },
      ['account[1] (id "gov-002"): $.revenueWithUs:', 'account[1] (id "gov-002"): $.status:'],
    ],
    [
      'duplicate ids',
      (a) => {
        a[2]!['id'] = 'fin-001';
      },
      ['account[2] (id "fin-001"): $.id: duplicate id, first used by account[0]'],
    ],
    [
      'an unknown contact in reportsTo, and in an influence link',
      (a) => {
        a[0]!['contacts'][2].reportsTo = 'zz';
        a[0]!['influenceLinks'] = [{ from: 'c3', to: 'nobody', weight: 1 }];
      },
      [
        'account[0] (id "fin-001"): $.contacts[2].reportsTo: unknown contact "zz"',
        'account[0] (id "fin-001"): $.influenceLinks[0].to: unknown contact "nobody"',
      ],
    ],
  ])('%s', async (title, edit, expected) => {
    const accounts = good();
    edit(accounts);
    const err = await bad(`${title.replace(/\W+/g, '-')}.json`, accounts);
    for (const e of expected)
      if (typeof e === 'string') expect(err).toContain(e);
      else expect(err).toMatch(e);
  });

  it('a missing file', async () => {
    const r = await runEsp('evaluate', '--accounts', join(tmp, 'nope.json'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/nope\.json: no such file/);
  });

  it('a missing --accounts option (the process exits 2)', () => {
    const r = spawnEsp('evaluate');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--accounts <file\.json> is required/);
  });
});

describe('esp evaluate --rules <dir>', () => {
  it('uses the rule sets of the directory, each an override of * (not of the default industry file)', async () => {
    const dir = mkdtempSync(join(tmp, 'rules-'));
    writeFileSync(
      join(dir, 'finance.json'),
      JSON.stringify({ industry: 'finance', grade: { tierPolicy: { thresholds: { T1: 90 } } } }),
    );
    writeFileSync(
      join(dir, 'government.json'),
      JSON.stringify({
        industry: 'government',
        grade: { bandScale: { revenue: 1.2, potential: 1.2 }, tierPolicy: { thresholds: { T3: 62.51 } } },
      }),
    );
    const r = await runEsp('evaluate', '--accounts', FIXTURE, '--rules', dir);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; tier: string; score: number }[];
    // finance here has no bandScale: 20,000,000 → 100, 100,000,000 → 100, 60 → 75, 80 → 100
    // 35 + 30 + 11.25 + 20 = 96.25 ≥ 90 → T1
    expect(rows[0]).toMatchObject({ id: 'fin-001', score: 96.25, tier: 'T1' });
    // government here keeps the * weights: 50/50/100/50 → 17.5 + 15 + 15 + 10 = 57.5 < 62.51 → T4
    expect(rows[1]).toMatchObject({ id: 'gov-002', score: 57.5, tier: 'T4' });
    // healthcare has no file in this directory: it falls back to * (bands unscaled, T1 ≥ 80)
    // revenue 8,000,000 → 70, potential 40,000,000 → 70: 24.5 + 21 + 7.5 + 15 = 68 → T2
    expect(rows[3]).toMatchObject({ id: 'hc-004', score: 68, tier: 'T2' });
  });

  it('an invalid rule set is never used: exit 2, the file and the problem on stderr', async () => {
    const dir = mkdtempSync(join(tmp, 'rules-bad-'));
    writeFileSync(join(dir, 'finance.json'), JSON.stringify({ industry: 'finance', grade: { weights: { revenue: 0.9 } } }));
    const r = await runEsp('evaluate', '--accounts', FIXTURE, '--rules', dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('finance.json');
    expect(r.stderr).toContain('$.grade.weights: weights must sum to 1');
  });
});

describe('esp rules validate', () => {
  it('the default rule sets are valid: exit 0', async () => {
    const r = await runEsp('rules', 'validate', 'rules/defaults');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(
      ['base', 'energy', 'finance', 'government', 'healthcare', 'manufacturing', 'retail'].map(
        (f) => `${join('rules/defaults', `${f}.json`)}: ok`,
      ),
    );
  });

  it('a single valid file: exit 0', async () => {
    expect((await runEsp('rules', 'validate', 'rules/defaults/healthcare.json')).code).toBe(0);
  });

  it('a broken rule file: exit 1 and every error with file and JSON path', async () => {
    const dir = mkdtempSync(join(tmp, 'broken-'));
    const file = join(dir, 'retail.json');
    writeFileSync(
      file,
      JSON.stringify({
        industry: 'retail',
        grade: { weigths: { revenue: 0.5 }, tierPolicy: { thresholds: { T2: 90 } } },
        strategy: {
          rules: [
            {
              name: 'grow',
              priority: 20,
              conditions: { all: [{ fact: 'klass', operator: 'equal', value: 'C' }] },
              event: { type: 'strategy', params: { strategy: 'grow' } },
            },
            {
              name: 'x',
              conditions: { all: [{ fact: 'tier', operator: 'equals', value: 'T5' }] },
              event: { type: 'strategy', params: { strategy: 'conquer' } },
            },
          ],
        },
      }),
    );
    writeFileSync(join(dir, 'energy.json'), JSON.stringify({ industry: 'energy' }));
    const r = await runEsp('rules', 'validate', dir);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    for (const expected of [
      `${file}: $.grade.weigths: unknown key "weigths"`,
      `${file}: $.grade.tierPolicy.thresholds.T2: tier thresholds must descend`,
      `${file}: $.strategy.rules[0].conditions.all[0].fact: unknown fact "klass"`,
      `${file}: $.strategy.rules[1].conditions.all[0].operator: unknown operator "equals"`,
      `${file}: $.strategy.rules[1].event.params.strategy: `,
    ])
      expect(
        lines.some((l) => l.startsWith(expected)),
        `${expected}\n--- stderr:\n${r.stderr}`,
      ).toBe(true);
    expect(lines.at(-1)).toMatch(/^\d+ problems in 2 files$/);
    expect(r.stdout).toContain('energy.json: ok');
  });

  it('a file with a JSON syntax error names the line', async () => {
    const dir = mkdtempSync(join(tmp, 'syntax-'));
    const file = join(dir, 'energy.json');
    writeFileSync(file, '{\n  "industry": "energy",\n  "grade": {\n    "bandScale": { "revenue": 1.5, }\n  }\n}\n');
    const r = await runEsp('rules', 'validate', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${file.replaceAll('/', '\\/')}: invalid JSON at line 4, column 36`));
  });

  it('a broken fallback in a directory is reported too', async () => {
    const dir = mkdtempSync(join(tmp, 'base-'));
    const base = JSON.parse(readFileSync(join(ROOT, 'rules/defaults/base.json'), 'utf8')) as { classify: { matrix: string[][] } };
    base.classify.matrix = [['A', 'B', 'C']];
    writeFileSync(join(dir, 'base.json'), JSON.stringify(base));
    const r = await runEsp('rules', 'validate', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'base.json')}: $.classify.matrix: the class matrix must be 3 rows`);
  });

  it('a missing path exits 2', async () => {
    const r = await runEsp('rules', 'validate', join(tmp, 'nothing-here'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such file or directory/);
  });
});

describe('npx esp (package.json bin)', () => {
  it('resolves to the compiled dist/cli/bin.js', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['esp']).toBe('dist/cli/bin.js');
    // --no: never download; the project's own bin must be found locally
    const r = spawnSync('npx', ['--no', '--', 'esp', 'evaluate', '--accounts', FIXTURE], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id)).toEqual(['fin-001', 'gov-002', 'acme-003', 'hc-004']);
  });
});
