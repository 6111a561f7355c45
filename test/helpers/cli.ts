/**
 * Runs `esp` for a test. `runEsp` calls the CLI's `main()` in this process with stdout and stderr
 * captured: no process start per case. `spawnEsp` runs the compiled `node dist/cli/bin.js`
 * as a user does, for the few cases about the whole process (the entry point, the exit code).
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { vi } from 'vitest';
import { main } from '../../cli/main.js';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

export interface EspRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runEsp(...argv: string[]): Promise<EspRun> {
  let stdout = '';
  let stderr = '';
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

export function spawnEsp(...argv: string[]): EspRun {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'dist/cli/bin.js'), ...argv], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
