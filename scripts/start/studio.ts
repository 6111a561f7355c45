/**
 * The studio inside `npm start`'s process: its adapter-node production build (`studio/build`),
 * rebuilt first when missing or older than its sources, served by a `node:http` server through
 * adapter-node's `handler.js`. In-process (not `node studio/build`) so that the studio uses the
 * process's one database handle (db/shared.ts): PGlite is one process per data directory.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../temporal/binaries.js';

export const STUDIO_DIR = path.join(PROJECT_ROOT, 'studio');
export const BUILD_DIR = path.join(STUDIO_DIR, 'build');
const BUILD_ENTRY = path.join(BUILD_DIR, 'handler.js');

/**
 * What the build is made of: the studio and the project code it bundles (every layer the studio may
 * import, as eslint-rules/layers.js lists them; test/start-studio-build.test.ts holds the two together).
 */
export const STUDIO_BUILD_SOURCES = [
  'studio/src',
  'studio/static',
  'studio/svelte.config.js',
  'studio/vite.config.ts',
  'studio/aliases.js',
  'studio/vite-plugins',
  'engine',
  'rules',
  'i18n',
  'db',
  'workflows',
  'package.json',
];

function newestSource(): { file: string; mtimeMs: number } {
  let newest = { file: '', mtimeMs: 0 };
  const consider = (file: string): void => {
    const m = statSync(file).mtimeMs;
    if (m > newest.mtimeMs) newest = { file, mtimeMs: m };
  };
  for (const s of STUDIO_BUILD_SOURCES) {
    const p = path.join(PROJECT_ROOT, s);
    if (!existsSync(p)) continue;
    if (!statSync(p).isDirectory()) {
      consider(p);
      continue;
    }
    for (const e of readdirSync(p, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) consider(path.join(e.parentPath, e.name));
    }
  }
  return newest;
}

export function studioBuildExists(): boolean {
  return existsSync(BUILD_ENTRY);
}

/** Why the build must be (re)made, or undefined when it is up to date. */
export function studioBuildStale(): string | undefined {
  if (!existsSync(BUILD_ENTRY)) return 'studio/build is missing';
  const built = statSync(BUILD_ENTRY).mtimeMs;
  const newest = newestSource();
  return newest.mtimeMs > built ? `${path.relative(PROJECT_ROOT, newest.file)} is newer than studio/build` : undefined;
}

const LOCK = path.join(tmpdir(), `esp-studio-build-${createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12)}.lock`);

/**
 * Runs `fn` holding the studio build lock (one per checkout, shared by every process: `npm start`
 * and the e2e harness's parallel test files), so that no two builds run at the same time, and `npm start` never loads a build
 * that is being replaced. `skip()` is checked while waiting: true ends the wait without `fn`.
 */
async function withBuildLock<T>(
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; skip?: () => boolean } = {},
): Promise<T | undefined> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  for (;;) {
    if (opts.skip?.()) return undefined;
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left by a killed build must not block forever.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for another studio build (lock ${LOCK})`);
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds the studio when it is missing or stale (waiting for a build already running). */
export async function ensureStudioBuild(
  opts: { onBuild?: (why: string) => void; timeoutMs?: number } = {},
): Promise<{ built: boolean; seconds: number }> {
  const started = Date.now();
  const seconds = (): number => (Date.now() - started) / 1000;
  const result = await withBuildLock(
    async () => {
      const why = studioBuildStale();
      if (!why) return { built: false, seconds: seconds() };
      opts.onBuild?.(why);
      const vite = path.join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
      const output: string[] = [];
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
          cwd: STUDIO_DIR,
          env: { ...process.env, NODE_ENV: 'production' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        for (const s of [child.stdout, child.stderr]) s.on('data', (d: Buffer) => output.push(d.toString()));
        child.once('error', reject);
        child.once('exit', (c) => resolve(c));
      });
      if (code !== 0) throw new Error(`the studio build failed (vite build exited ${code}):\n${output.join('').trimEnd()}`);
      return { built: true, seconds: seconds() };
    },
    { ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), skip: () => studioBuildStale() === undefined },
  );
  return result ?? { built: false, seconds: seconds() };
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, next?: () => void) => void;

export interface StudioServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the build in this process. `ORIGIN` must be in the environment before the handler is
 * imported (adapter-node reads it once); without it adapter-node assumes https, refusing the form
 * posts of plain http and marking cookies `secure`.
 */
export async function serveStudio(opts: { host: string; port: number; origin: string }): Promise<StudioServer> {
  process.env['ORIGIN'] ??= opts.origin;
  // Not while a build replaces the files (its chunks are loaded by this import).
  const loaded = await withBuildLock(async () => (await import(pathToFileURL(BUILD_ENTRY).href)) as { handler: Handler }, {
    timeoutMs: 300_000,
  });
  const handler = loaded!.handler;
  const server = http.createServer((req, res) => {
    // Static assets are served by adapter-node before the studio's hooks run, so the header the
    // hooks set on every other response is set here for them.
    res.setHeader('x-content-type-options', 'nosniff');
    handler(req, res, () => {
      res.statusCode = 404;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('Not found');
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(opts.port, 'PORT', 'the studio')
          : new Error(`the studio cannot listen on ${opts.host}:${opts.port}: ${error.message}`),
      );
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    url: process.env['ORIGIN'] ?? opts.origin,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Browsers keep idle connections open; in-flight requests get a moment to finish.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      })),
  };
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly variable: string,
    what: string,
  ) {
    super(
      `port ${port} (${what}) is already in use: stop what listens there (another \`npm start\`?) or set ${variable} to a free port`,
    );
  }
}
