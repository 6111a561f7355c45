/**
 * Records the workflow histories the replay test replays (test/fixtures/histories/): runs the
 * one-year scenario, the plan revision scenario and the review of a plan still waiting for
 * approval on the time-skipping server with RECORD_HISTORIES=1, which write their runs over the
 * committed files named in `RECORDED_HISTORIES` (test/helpers/temporal.ts).
 *
 *   npx tsx workflows/record-histories.ts
 *
 * Record new histories when the workflows change in a way existing executions never see (a new
 * patch, a new message). Every history still running in production must keep replaying: save the
 * new recordings under new names, then `git checkout test/fixtures/histories` puts the old ones
 * back (see workflows/README.md).
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
if (result.status === 0)
  console.log(
    'histories written over test/fixtures/histories/ (RECORDED_HISTORIES): save them under new names, then git checkout test/fixtures/histories',
  );
process.exit(result.status ?? 1);
