/**
 * What `npm start` reads from the environment. Every variable is optional; the defaults give the
 * single-machine demo: Temporal dev server on 7233/8233, PGlite and the Temporal database under
 * `.data/`, the studio on http://localhost:3000, 500 demo accounts on first run.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../temporal/binaries.js';

export interface StartConfig {
  /** Folder of the Temporal dev server's `temporal.db` and (without DATABASE_URL) PGlite's `pglite/`. */
  dataDir: string;
  /** The PGlite directory, or undefined with DATABASE_URL (PostgreSQL). */
  pgliteDir: string | undefined;
  /** A Temporal server given by TEMPORAL_ADDRESS: no dev server is started. */
  externalTemporal: string | undefined;
  temporalHost: string;
  temporalPort: number;
  temporalUiPort: number;
  studioHost: string;
  studioPort: number;
  /** adapter-node's ORIGIN: the URL users open. */
  origin: string;
  /** Demo accounts seeded on first run (0: none). */
  demoAccounts: number;
  demoSeed: number;
  /** Workflow start calls in flight at once. */
  startConcurrency: number;
  /** Build the studio when its build is missing or stale (ESP_SKIP_STUDIO_BUILD=1 uses it as it is). */
  buildStudio: boolean;
}

export const ENV_DOC: readonly [string, string][] = [
  ['ESP_DATA_DIR', 'data folder: Temporal dev server db and PGlite (default .data)'],
  ['PORT, HOST', 'studio HTTP port and interface (default 3000, 127.0.0.1)'],
  ['ORIGIN', 'public URL of the studio (default http://localhost:<PORT>)'],
  ['TEMPORAL_PORT, TEMPORAL_UI_PORT', 'dev server gRPC and web UI ports (default 7233, 8233)'],
  ['TEMPORAL_ADDRESS', 'use this Temporal server instead of starting a dev server (TLS/API key: workflows/connection.ts)'],
  ['TEMPORAL_NAMESPACE, ESP_TASK_QUEUE', 'namespace (default) and task queue (esp)'],
  ['DATABASE_URL', 'PostgreSQL instead of PGlite'],
  ['PGLITE_DATA_DIR', 'PGlite folder (default <ESP_DATA_DIR>/pglite)'],
  ['ESP_DEMO_ACCOUNTS, ESP_DEMO_SEED', 'demo accounts seeded on first run (default 500; 0 = none) and seed (1)'],
  ['ESP_START_CONCURRENCY', 'workflow start calls in flight (default 20)'],
  ['ESP_SKIP_STUDIO_BUILD', '1 = serve studio/build as it is, even when older than the sources'],
];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${name} must be a port number (1–65535), not "${raw}"`);
  return n;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(`${name} must be a whole number ≥ ${min}, not "${raw}"`);
  return n;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): StartConfig {
  const dataDir = path.resolve(PROJECT_ROOT, env['ESP_DATA_DIR'] || '.data');
  const pgliteDir = env['DATABASE_URL']
    ? undefined
    : path.resolve(PROJECT_ROOT, env['PGLITE_DATA_DIR'] || path.join(dataDir, 'pglite'));
  const studioPort = port(env, 'PORT', 3000);
  const temporalPort = port(env, 'TEMPORAL_PORT', 7233);
  const temporalUiPort = port(env, 'TEMPORAL_UI_PORT', 8233);
  if (!env['TEMPORAL_ADDRESS'] && new Set([studioPort, temporalPort, temporalUiPort]).size < 3)
    throw new ConfigError(
      `PORT (${studioPort}), TEMPORAL_PORT (${temporalPort}) and TEMPORAL_UI_PORT (${temporalUiPort}) must differ`,
    );
  const origin = (env['ORIGIN'] || `http://localhost:${studioPort}`).replace(/\/+$/, '');
  try {
    new URL(origin);
  } catch {
    throw new ConfigError(`ORIGIN must be a URL such as http://localhost:${studioPort}, not "${origin}"`);
  }
  return {
    dataDir,
    pgliteDir,
    externalTemporal: env['TEMPORAL_ADDRESS'] || undefined,
    temporalHost: '127.0.0.1',
    temporalPort,
    temporalUiPort,
    studioHost: env['HOST'] || '127.0.0.1',
    studioPort,
    origin,
    demoAccounts: wholeNumber(env, 'ESP_DEMO_ACCOUNTS', 500, 0),
    demoSeed: wholeNumber(env, 'ESP_DEMO_SEED', 1, 0),
    startConcurrency: Math.max(1, wholeNumber(env, 'ESP_START_CONCURRENCY', 20, 1)),
    buildStudio: !['1', 'true'].includes(env['ESP_SKIP_STUDIO_BUILD'] ?? ''),
  };
}

/** A path for messages: relative to the working directory when inside it. */
export function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
