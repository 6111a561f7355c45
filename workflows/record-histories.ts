/**
 * Regenerates the recorded workflow histories the replay test replays
 * (test/fixtures/histories/*.json): runs the one-year scenario, the plan revision scenario and the
 * review of a plan still waiting for approval on the time-skipping server with RECORD_HISTORIES=1.
 *
 *   npx tsx workflows/record-histories.ts
 *
 * Record new histories when the workflows change in a way existing executions never see (a new
 * patch, a new message). Keep the old files too, renamed: every history still running in
 * production must keep replaying (see workflows/README.md).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const result = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    'test/workflow-year.test.ts',
    'test/workflow-plan-revision.test.ts',
    'test/workflow-review-pending-plan.test.ts',
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, RECORD_HISTORIES: '1' },
  },
);
if (result.status === 0) console.log('histories written to test/fixtures/histories/');
process.exit(result.status ?? 1);
