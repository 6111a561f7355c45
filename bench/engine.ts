/**
 * Engine benchmark (issue 2): all decision stages for N generated accounts (~5 contacts, 2
 * competitors each), our compiled evaluators against json-rules-engine's Engine running the same
 * rules through the same stage code, each phase in its own process for an honest peak RSS.
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

function runPhase(phase: 'ours' | 'jre', count: number): Phase {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'engine-phase.ts'), phase, String(count)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Phase;
}

export async function run(opts: { accounts?: number; baselineAccounts?: number } = {}): Promise<void> {
  const n = opts.accounts ?? 100_000;
  // json-rules-engine is far slower; a smaller sample of the same generated accounts keeps the run short.
  const nBase = opts.baselineAccounts ?? 20_000;
  console.log(`engine: all decision stages, ${n.toLocaleString('en')} accounts (baseline on the first ${nBase.toLocaleString('en')})`);
  const ours = runPhase('ours', n);
  const oursSample = runPhase('ours', nBase);
  const jre = runPhase('jre', nBase);
  const fmt = (x: number) => Math.round(x).toLocaleString('en');
  console.log(`  accounts: ${fmt(ours.accounts)}, contacts/account ${ours.contactsPerAccount.toFixed(2)}, competitors/account ${ours.competitorsPerAccount.toFixed(2)}`);
  const line = (label: string, p: Phase) =>
    console.log(
      `  ${label.padEnd(25)}${fmt(p.accountsPerSecond).padStart(10)} accounts/s wall (${p.seconds.toFixed(2)} s)   ${fmt(p.accountsPerCpuSecond).padStart(10)} accounts/CPU-s   peak RSS ${fmt(p.peakRssMb)} MB`,
    );
  line('ours (compiled)', ours);
  line('json-rules-engine Engine', jre);
  const ratio = oursSample.accountsPerCpuSecond / jre.accountsPerCpuSecond;
  console.log(`  ratio ours / json-rules-engine: ${ratio.toFixed(1)}x (same ${fmt(nBase)} accounts, ${fmt(oursSample.accountsPerCpuSecond)} vs ${fmt(jre.accountsPerCpuSecond)} accounts/CPU-s)`);
  console.log(`  same results: ${oursSample.checksum === jre.checksum ? 'yes' : `NO (checksum ${oursSample.checksum} vs ${jre.checksum})`}`);
  console.log(
    `  targets: >= 100,000 accounts/s on one core ${ours.accountsPerCpuSecond >= 100_000 ? 'met' : 'MISSED'}; >= 20x ${ratio >= 20 ? 'met' : 'MISSED'}; peak RSS <= 1 GB ${ours.peakRssMb <= 1024 ? 'met' : 'MISSED'}`,
  );
}
