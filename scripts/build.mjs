#!/usr/bin/env node
// `npm run build`: the JavaScript that `esp`, the worker and `npm start` run, in dist/.
//
// Each TypeScript file of the folders below is transformed on its own by esbuild (no bundling), so
// dist/ mirrors the source tree: every `import.meta.url`-relative lookup (rules/defaults,
// db/migrations, the i18n catalogues, the CRM mapping) finds the same file beside the compiled
// module, copied there from the sources. Type checking stays with `tsc --noEmit`
// (`isolatedModules` and `verbatimModuleSyntax` make a per-file transform exact). Then the
// workflow bundle is made from the compiled workflows, once, for workers to load by `codePath`.
//
// Plain JavaScript with Node built-ins at the top: scripts/ensure-setup.mjs imports it before
// dependencies may exist; esbuild and the Temporal bundler are imported when a build runs.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, 'dist');
/** Written last: a build is complete and current when this exists and is newer than every source. */
const STAMP = join(OUT_DIR, '.built');
/** Loaded by workers with `workflowBundle: { codePath }` (workflows/worker.ts looks beside itself). */
export const WORKFLOW_BUNDLE = join(OUT_DIR, 'workflows', 'workflow-bundle.js');

/** What ships as JavaScript: the CLI, the worker, `npm start` and everything they import. */
const SOURCE_DIRS = ['engine', 'rules', 'i18n', 'db', 'workflows', 'cli', 'scripts'];
/** Development tools that only tsx runs (they drive vitest or write sources). */
const DEV_ONLY = new Set(['workflows/record-histories.ts', 'scripts/gen-rule-schemas.ts']);
/** Data the compiled modules read at run time, copied beside them. */
const ASSET = /\.(json|sql)$/;

function sourceFiles() {
  const files = [];
  for (const dir of SOURCE_DIRS) {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const file = relative(ROOT, join(e.parentPath, e.name));
      if (DEV_ONLY.has(file)) continue;
      if ((e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) || ASSET.test(e.name)) files.push(file);
    }
  }
  return files;
}

/** Why dist/ must be (re)built, or undefined when it is current. */
export function buildStale() {
  if (!existsSync(STAMP)) return 'dist/ is missing';
  const built = statSync(STAMP).mtimeMs;
  const inputs = [...sourceFiles(), 'package.json', 'scripts/build.mjs'];
  const newer = inputs.find((f) => statSync(join(ROOT, f)).mtimeMs > built);
  return newer ? `${newer} is newer than dist/` : undefined;
}

/**
 * Builds into a fresh folder and swaps it in, so that a process reading dist/ meanwhile sees the
 * old build or the new one, never half of each.
 */
export async function build({ log = (msg) => process.stderr.write(`[build] ${msg}\n`) } = {}) {
  const started = Date.now();
  const tmp = join(ROOT, `.dist-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const files = sourceFiles();
    const { build: esbuild } = await import('esbuild');
    await esbuild({
      entryPoints: files.filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, f)),
      outdir: tmp,
      outbase: ROOT,
      format: 'esm',
      platform: 'node',
      target: 'node20.10', // the first Node 20 with import attributes (`with { type: 'json' }`)
      logLevel: 'warning',
    });
    for (const f of files.filter((f) => ASSET.test(f))) cpSync(join(ROOT, f), join(tmp, f));
    chmodSync(join(tmp, 'cli', 'bin.js'), 0o755);

    const { bundleWorkflowCode } = await import('@temporalio/worker');
    const bundle = await bundleWorkflowCode({
      workflowsPath: join(tmp, 'workflows', 'index.js'),
      logger: quietLogger,
    });
    writeFileSync(join(tmp, relative(OUT_DIR, WORKFLOW_BUNDLE)), bundle.code);
    writeFileSync(join(tmp, relative(OUT_DIR, STAMP)), `${new Date().toISOString()}\n`);

    const old = join(ROOT, `.dist-old-${process.pid}`);
    if (existsSync(OUT_DIR)) renameSync(OUT_DIR, old);
    renameSync(tmp, OUT_DIR);
    rmSync(old, { recursive: true, force: true });
    log(`dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Webpack's progress lines are noise in a build; its warnings and errors are not. */
const quietLogger = {
  trace() {},
  debug() {},
  info() {},
  warn: (message) => process.stderr.write(`[build] ${message}\n`),
  error: (message) => process.stderr.write(`[build] ${message}\n`),
  log(level, message) {
    if (level === 'WARN' || level === 'ERROR') process.stderr.write(`[build] ${message}\n`);
  },
};

const LOCK = join(ROOT, '.dist-lock');

/**
 * Runs `fn` holding a lock directory, so that two processes of one checkout (`npm start` and a
 * test run, two test runs) never build at once; a lock older than five minutes is a killed build's.
 */
async function withBuildLock(fn) {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds when dist/ is missing or older than its sources (once, if another process is at it); says why. */
export async function ensureBuild(opts) {
  const built = buildStale()
    ? await withBuildLock(async () => {
        const why = buildStale();
        if (!why) return false;
        (opts?.log ?? ((msg) => process.stderr.write(`[build] ${msg}\n`)))(`${why}: building…`);
        await build(opts);
        return true;
      })
    : false;
  linkOwnBins();
  return built;
}

/**
 * npm links the project's own bins into node_modules/.bin only when their targets exist at install
 * time, and dist/ is built after the install: link them here so `npx esp` finds the compiled CLI.
 */
function linkOwnBins() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  for (const [name, target] of Object.entries(pkg.bin ?? {})) {
    const link = join(ROOT, 'node_modules', '.bin', name);
    if (existsSync(link) || !existsSync(join(ROOT, 'node_modules'))) continue;
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true }); // a dangling link left by an install before the build
    symlinkSync(relative(dirname(link), join(ROOT, target)), link);
  }
}

// `node scripts/build.mjs` builds; `--if-stale` only when dist/ is missing or out of date.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--if-stale')) await ensureBuild();
  else await withBuildLock(() => build());
}
