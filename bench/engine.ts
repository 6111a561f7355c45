/**
 * Engine benchmark (issues 2, 16): all decision stages for N generated accounts (~5 contacts, 2
 * competitors each), our compiled evaluators in the explained mode (the stage results and the
 * plan) and in the decision-only mode (`monitorInto`), against json-rules-engine's Engine running
 * the same rules through the same stage code, each phase in its own process for an honest peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

interface Phase {
  phase: string;
  accounts: number;
  contactsPerAccount: number;
  competitorsPerAccount: number;
  seconds: number;
  cpuSeconds: number;
  accountsPerSecond: number;
  accountsPerCpuSecond: number;
  peakRssMb: number;
  checksum: number;
}

/** `taskset` (util-linux) pins a phase to one CPU, so "on one core" includes the GC and JIT threads. */
const PIN = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return ['taskset', '-c', '0'];
  } catch {
    return [];
  }
})();

function runPhase(phase: 'ours' | 'decide' | 'jre', count: number, warmup: number): Phase {
  const script = join(import.meta.dirname, 'engine-phase.ts');
  // Concurrent sweeping would finish the phase's forced collection (of the generated accounts'
  // garbage) on a helper thread pinned to the same core during the timed pass, and count in its CPU
  // time: measured, it slowed the first 10,000 accounts 3-4x.
  const node = [
    process.execPath,
    '--expose-gc',
    '--no-concurrent-sweeping',
    '--import',
    'tsx',
    script,
    phase,
    String(count),
    String(warmup),
  ];
  const [command, ...args] = [...PIN, ...node] as [string, ...string[]];
  const out = execFileSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Phase;
}

export async function run(opts: { accounts?: number; baselineAccounts?: number; warmup?: number } = {}): Promise<void> {
  const n = opts.accounts ?? 100_000;
  const warmup = opts.warmup ?? 10_000;
  // json-rules-engine is far slower; a smaller sample of the same generated accounts keeps the run short.
  const nBase = opts.baselineAccounts ?? 20_000;
  console.log(
    `engine: all decision stages, ${n.toLocaleString('en')} accounts (baseline on the first ${nBase.toLocaleString('en')}), each after an untimed warm-up pass over ${warmup.toLocaleString('en')}`,
  );
  const ours = runPhase('ours', n, warmup);
  const decide = runPhase('decide', n, warmup);
  const oursSample = runPhase('ours', nBase, warmup);
  const decideSample = runPhase('decide', nBase, warmup);
  const jre = runPhase('jre', nBase, warmup);
  const fmt = (x: number) => Math.round(x).toLocaleString('en');
  console.log(
    `  accounts: ${fmt(ours.accounts)}, contacts/account ${ours.contactsPerAccount.toFixed(2)}, competitors/account ${ours.competitorsPerAccount.toFixed(2)}`,
  );
  const line = (label: string, p: Phase) =>
    console.log(
      `  ${label.padEnd(34)}${fmt(p.accountsPerSecond).padStart(10)} accounts/s wall (${p.seconds.toFixed(2)} s)   ${fmt(p.accountsPerCpuSecond).padStart(10)} accounts/CPU-s   peak RSS ${fmt(p.peakRssMb)} MB`,
    );
  line('ours, explained (+ GOSART plan)', ours);
  line('ours, decision-only (monitorInto)', decide);
  line('json-rules-engine Engine', jre);
  const ratio = (p: Phase) => p.accountsPerCpuSecond / jre.accountsPerCpuSecond;
  for (const [label, p] of [
    ['explained', oursSample],
    ['decision-only', decideSample],
  ] as const)
    console.log(
      `  ratio ${label} / json-rules-engine: ${ratio(p).toFixed(1)}x (same ${fmt(nBase)} accounts, ${fmt(p.accountsPerCpuSecond)} vs ${fmt(jre.accountsPerCpuSecond)} accounts/CPU-s)`,
    );
  console.log(
    `  ratio decision-only / explained: ${(decide.accountsPerCpuSecond / ours.accountsPerCpuSecond).toFixed(2)}x (${fmt(n)} accounts)`,
  );
  const same = (p: Phase) => (p.checksum === jre.checksum ? 'yes' : `NO (checksum ${p.checksum} vs ${jre.checksum})`);
  console.log(`  same results: explained ${same(oursSample)}, decision-only ${same(decideSample)}`);
  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(
    `  targets: >= 250,000 accounts/s on one core (aim 300,000): decision-only ${met(decide.accountsPerCpuSecond >= 250_000)}, explained ${met(ours.accountsPerCpuSecond >= 250_000)}; >= 20x ${met(ratio(oursSample) >= 20)}; peak RSS <= 1 GB ${met(Math.max(ours.peakRssMb, decide.peakRssMb) <= 1024)}`,
  );
}
