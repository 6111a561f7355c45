/**
 * The compiled `esp` (dist/cli/bin.js): a command loads its modules only when it runs, so that
 * `esp --help` and `esp rules validate` start without the database drivers or the Temporal client;
 * and misused arguments are coded errors that name the option, in the user's language, exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'dist/cli/bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'esp-cli-commands-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A module loader hook that writes down every module the process loads, one URL a line.
const HOOKS = join(tmp, 'record-loads.mjs');
writeFileSync(
  HOOKS,
  `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  appendFileSync(log, url + '\\n');
  return next(url, context);
}
`,
);

function esp(args: string[], opts: { recordLoads?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const log = join(tmp, `loads-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, '');
  const register =
    `import { register } from 'node:module';` +
    `register(${JSON.stringify(pathToFileURL(HOOKS).href)}, { data: { log: ${JSON.stringify(log)} } });`;
  const nodeArgs = opts.recordLoads ? ['--import', `data:text/javascript,${encodeURIComponent(register)}`] : [];
  const r = spawnSync(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LANG: 'C', LC_ALL: '', LC_MESSAGES: '', ...opts.env },
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const HEAVY = /\/node_modules\/(postgres|@electric-sql\/pglite|drizzle-orm|@temporalio\/client|@temporalio\/worker)\//;

describe('lazy commands', () => {
  it('esp --help loads no database driver, drizzle or Temporal client, and lists every command', () => {
    const r = esp(['--help'], { recordLoads: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('esp rules validate <file|dir>');
    expect(r.stdout).toContain('esp workflows start');
    // The hook saw the CLI itself: an empty list would prove nothing.
    expect(r.loaded.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(r.loaded.filter((u) => HEAVY.test(u))).toEqual([]);
    expect(r.loaded.filter((u) => u.includes('/dist/cli/commands/') && !u.endsWith('/index.js'))).toEqual([]);
  });

  it('esp rules validate loads the rules and the engine, but no database driver, drizzle or Temporal client', () => {
    const r = esp(['rules', 'validate', join(ROOT, 'rules/defaults')], { recordLoads: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/base\.json: ok/);
    expect(r.loaded.some((u) => u.endsWith('/dist/rules/load.js'))).toBe(true);
    expect(r.loaded.filter((u) => HEAVY.test(u))).toEqual([]);
  });

  it('a command that needs the database does load it (the hook would see it)', () => {
    const r = esp(['rules', 'list', '--bogus'], { recordLoads: true });
    expect(r.code).toBe(2);
    // Loading the module is what runs the command; the bad flag is refused before any connection.
    expect(r.loaded.some((u) => /node_modules\/drizzle-orm\//.test(u))).toBe(true);
  });
});

describe('arguments', () => {
  it('an unknown option is a coded error naming it, exit 2, nothing on stdout', () => {
    const r = esp(['evaluate', '--acounts', 'x.json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('esp evaluate: unknown option "--acounts" [cli.args.unknownOption]\n');
  });

  it('in Chinese with --lang zh-CN or LANG', () => {
    expect(esp(['--lang', 'zh-CN', 'rules', 'validate', '--strict', 'rules/defaults']).stderr).toBe(
      'esp rules validate: 未知选项“--strict” [cli.args.unknownOption]\n',
    );
    expect(esp(['evaluate', '-x'], { env: { LANG: 'zh_CN.UTF-8' } }).stderr).toBe(
      'esp evaluate: 未知选项“-x” [cli.args.unknownOption]\n',
    );
  });

  it('a string option without its value, a value on a flag, a stray argument: each named', () => {
    expect(esp(['evaluate', '--accounts']).stderr).toBe(
      'esp evaluate: option "--accounts" needs a value [cli.args.missingValue]\n',
    );
    expect(esp(['rules', 'diff', 'x', '1', '2', '--json=yes']).stderr).toBe(
      'esp rules diff: option "--json" takes no value [cli.args.unexpectedValue]\n',
    );
    expect(esp(['evaluate', '--accounts', 'a.json', 'b.json']).stderr).toBe(
      'esp evaluate: unexpected argument "b.json" [cli.args.unexpectedArgument]\n',
    );
    const r = esp(['db', 'migrate', '--force']);
    expect([r.code, r.stderr]).toEqual([2, 'esp db migrate: unknown option "--force" [cli.args.unknownOption]\n']);
  });

  it('--lang without a value, and an unknown command, are usage errors too', () => {
    expect(esp(['evaluate', '--lang'])).toMatchObject({
      code: 2,
      stderr: 'esp: option "--lang" needs a value [cli.args.missingValue]\n',
    });
    const r = esp(['--lang=zh-CN', 'evalute']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^esp: 未知命令“evalute” \[cli\.unknownCommand\]\n\n用法：/);
  });
});
