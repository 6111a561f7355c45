/**
 * CLI start benchmark (issue 16): `esp --help` through the compiled bin that package.json names,
 * against a bare `node -e 0`, each a fresh process, median of 5. The two are interleaved so that a
 * change in the machine's load hits both alike. Target: at most 5× the bare start.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNote } from './support.js';

const ROOT = join(import.meta.dirname, '..');
const RUNS = 5;
const TARGET = 5;

function startMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  const bin = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { esp: string } }).bin.esp;
  const esp = [join(ROOT, bin), '--help'];
  const bare = ['-e', '0'];
  // One unmeasured start each: the first reads the files from disk.
  startMs(esp);
  startMs(bare);
  const espMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    espMs.push(startMs(esp));
    bareMs.push(startMs(bare));
  }
  const ratio = median(espMs) / median(bareMs);
  console.log(`CLI start (${await loadNote()})`);
  console.log(`  esp --help (${bin})  median of ${RUNS}: ${median(espMs).toFixed(0)} ms`);
  console.log(`  node -e 0 (baseline)        median of ${RUNS}: ${median(bareMs).toFixed(0)} ms`);
  console.log(`  ratio ${ratio.toFixed(2)}×  (target ≤ ${TARGET}×: ${ratio <= TARGET ? 'met' : 'NOT met'})`);
}
