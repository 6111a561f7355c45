/**
 * `esp evaluate` benchmark (issue 16): the whole process as a user runs it, over N generated
 * accounts (50,000 by default), beside a plain json-rules-engine script doing the same decisions
 * (bench/evaluate-jre.ts), each median of R runs; then where the time goes (read, parse, validate,
 * decide, write) measured in this process with the same functions the command calls, and the
 * process's start-up as the rest.
 *
 * The CLI runs as package.json's `bin` says (the compiled JavaScript once the build emits it,
 * else cli/bin.js through tsx).
 *
 *   npm run bench -- evaluate            # or: node --import tsx bench/evaluate.ts --accounts=50000 --runs=3
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { evaluationRows, writeJson } from '../cli/commands/evaluate.js';
import { generateAccounts } from '../db/demo/generate.js';
import { EVALUATION_REQUIRED, parseAccounts } from '../engine/index.js';
import { loadRuleBook, parseJsonFile } from '../rules/load.js';
import { fmt, loadNote, numberOption } from './support.js';

const ROOT = resolve(import.meta.dirname, '..');
const USAGE = join(import.meta.dirname, 'usage-at-exit.mjs');

interface ProcessRun {
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

/** The CLI entry point package.json's `bin` names. */
function espBin(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: string | Record<string, string> };
  return join(ROOT, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['esp']!);
}

function runProcess(nodeArgs: string[], out: string, scratch: string): ProcessRun {
  const usage = join(scratch, 'usage.json');
  // Output to a file, as `esp evaluate ... > out.json` does.
  const fd = openSync(out, 'w');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(USAGE).href, ...nodeArgs], {
    cwd: ROOT,
    env: { ...process.env, ESP_BENCH_USAGE: usage },
    stdio: ['ignore', fd, 'pipe'],
  });
  const seconds = (performance.now() - t0) / 1000;
  closeSync(fd);
  if (r.status !== 0) throw new Error(`${nodeArgs.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 2000)}`);
  const u = JSON.parse(readFileSync(usage, 'utf8')) as NodeJS.ResourceUsage;
  return { seconds, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, peakRssMb: u.maxRSS / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function medianRun(runs: ProcessRun[]): ProcessRun {
  return { seconds: median(runs.map((r) => r.seconds)), cpuSeconds: median(runs.map((r) => r.cpuSeconds)), peakRssMb: median(runs.map((r) => r.peakRssMb)) };
}

/** CPU seconds of `fn` in this process. */
async function cpu<T>(fn: () => T | Promise<T>): Promise<{ value: T; seconds: number }> {
  const c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, seconds: (c.user + c.system) / 1e6 };
}

export async function run(opts: { accounts?: number; runs?: number } = {}): Promise<void> {
  const n = opts.accounts ?? numberOption('accounts', 50_000);
  const runs = opts.runs ?? numberOption('runs', 3);
  const scratch = mkdtempSync(join(tmpdir(), 'esp-bench-evaluate-'));
  try {
    const input = join(scratch, 'accounts.json');
    writeFileSync(input, JSON.stringify(generateAccounts(n, 7)));
    const bin = espBin();
    console.log(
      `evaluate: whole process, ${fmt(n)} generated accounts, median of ${runs} runs each; esp is ${bin.slice(ROOT.length + 1)}; ${await loadNote()}`,
    );
    const oursOut = join(scratch, 'ours.json');
    const jreOut = join(scratch, 'jre.json');
    const ours: ProcessRun[] = [];
    const jre: ProcessRun[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so a change in the machine's load falls on both.
      ours.push(runProcess([bin, 'evaluate', '--accounts', input], oursOut, scratch));
      jre.push(runProcess(['--import', 'tsx', join(import.meta.dirname, 'evaluate-jre.ts'), input], jreOut, scratch));
    }
    const o = medianRun(ours);
    const b = medianRun(jre);
    const line = (label: string, r: ProcessRun) =>
      console.log(`  ${label.padEnd(30)}${r.cpuSeconds.toFixed(2).padStart(7)} CPU-s ${r.seconds.toFixed(2).padStart(7)} s wall   peak RSS ${fmt(r.peakRssMb).padStart(5)} MB`);
    line('esp evaluate', o);
    line('json-rules-engine script', b);
    const ratio = b.cpuSeconds / o.cpuSeconds;
    console.log(`  ratio json-rules-engine / esp evaluate: ${ratio.toFixed(1)}x CPU (${(b.seconds / o.seconds).toFixed(1)}x wall)`);
    const same = readFileSync(oursOut).equals(readFileSync(jreOut));
    console.log(`  same output: ${same ? 'yes' : 'NO'}`);

    // Where the time goes: the command's own steps, one after another, in this process.
    const book = loadRuleBook();
    const read = await cpu(() => readFileSync(input, 'utf8'));
    const parse = await cpu(() => parseJsonFile(input, read.value));
    const validate = await cpu(() => parseAccounts(parse.value, { required: EVALUATION_REQUIRED }).accounts);
    const decide = await cpu(() => [...evaluationRows(validate.value, book)]);
    const sink = createWriteStream(join(scratch, 'phases.json'));
    const write = await cpu(() => writeJson(decide.value, sink));
    await new Promise((done) => sink.end(done));
    const steps = { read, parse, validate, decide, write };
    const inSteps = Object.values(steps).reduce((s, p) => s + p.seconds, 0);
    console.log(
      `  where the time goes (CPU-s): ${Object.entries(steps)
        .map(([k, p]) => `${k} ${p.seconds.toFixed(2)}`)
        .join(', ')}; start-up and the rest ${Math.max(0, o.cpuSeconds - inSteps).toFixed(2)}`,
    );
    console.log(`  targets: >= 5x the json-rules-engine script ${ratio >= 5 ? 'met' : 'MISSED'} (aim 8x)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
