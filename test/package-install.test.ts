/**
 * The package as a user installs it: `npm pack`, then `npm install ./esp-plus-studio-*.tgz` into an
 * empty folder outside the repository (tsx is a devDependency, so it is not there): the installed
 * `esp` runs the compiled JavaScript and finds its data (rule sets, catalogues, migrations) inside the package.
 * Dependencies come from the npm cache (`--prefer-offline`); the install takes most of a minute.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 300_000 });

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'esp-package-'));
const app = join(dir, 'app');
const installed = join(app, 'node_modules', 'esp-plus-studio');
let packed: string[] = [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { filename: string; files: { path: string }[] }[];
  packed = pack!.files.map((f) => f.path);
  mkdirSync(app);
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, pack!.filename)], {
    cwd: app,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  copyFileSync(join(ROOT, 'test/fixtures/engine/accounts.json'), join(app, 'accounts.json'));
});

function npxEsp(...args: string[]) {
  const r = spawnSync('npx', ['--no', '--', 'esp', ...args], {
    cwd: app,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LANG: 'C', LC_ALL: '', LC_MESSAGES: '', DATABASE_URL: '', PGLITE_DATA_DIR: join(dir, 'pglite') },
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the installed package', () => {
  it('ships the compiled code and its data, not the TypeScript sources or the tests', () => {
    expect(packed).toContain('dist/cli/bin.js');
    expect(packed).toContain('dist/workflows/workflow-bundle.js');
    expect(packed).toContain('dist/rules/defaults/base.json');
    expect(packed).toContain('dist/i18n/zh-CN.json');
    expect(packed).toContain('dist/db/migrations/meta/_journal.json');
    // Not the sources, the tests, the studio, nor `npm start` (it runs the repository's studio build).
    expect(packed.filter((f) => /\.ts$|^(test|studio|dist\/scripts)\//.test(f))).toEqual([]);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
  });

  it('npx esp --help, in English and in Chinese', () => {
    const r = npxEsp('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('esp evaluate --accounts <file.json>');
    expect(npxEsp('--lang', 'zh-CN', '--help').stdout).toMatch(/^用法：/);
  });

  it('npx esp evaluate with the default rule sets inside the package', () => {
    const r = npxEsp('evaluate', '--accounts', 'accounts.json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; tier: string; ruleSet: { industry: string } }[];
    expect(rows.map((x) => x.id)).toEqual(['fin-001', 'gov-002', 'acme-003', 'hc-004']);
    expect(rows[0]).toMatchObject({ tier: 'T1', ruleSet: { industry: 'finance' } });
  });

  it('npx esp rules validate on the shipped defaults, and an unknown option', () => {
    const r = npxEsp('rules', 'validate', join(installed, 'dist/rules/defaults'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/base\.json: ok\n/);
    expect(npxEsp('rules', 'validate', '--fix', '.')).toMatchObject({
      code: 2,
      stderr: 'esp rules validate: unknown option "--fix" [cli.args.unknownOption]\n',
    });
  });

  it('npx esp db migrate applies the shipped migrations', { timeout: 120_000 }, () => {
    const r = npxEsp('db', 'migrate');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/migrations applied\npublished the default rule sets of \*, /);
  });
});
