/**
 * Replays the recorded histories (test/fixtures/histories, from `npx tsx
 * workflows/record-histories.ts`) against the workflow bundle that ships (dist/, prebuilt by `npm
 * run build`, which the test setup keeps current): any change that would break a running workflow
 * (a non-determinism) fails here. Such changes go through `patched()`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_BUNDLE } from '../scripts/build.mjs';
import { historyFromFileText, HISTORIES_DIR as DIR, RECORDED_HISTORIES } from './helpers/temporal.js';

function recorded() {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, ...historyFromFileText(readFileSync(path.join(DIR, f), 'utf8')) }));
}

async function replayAll(
  bundle: { code: string } | { codePath: string },
  histories: ReturnType<typeof recorded>,
): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'esp-replay' }, histories))
    results.push(r);
  return results;
}

describe('workflow replay', () => {
  it('replays every recorded history with the current workflow code', { timeout: 90_000 }, async () => {
    const histories = recorded();
    expect(histories.map((h) => h.file)).toEqual(
      expect.arrayContaining([
        'account-year.json',
        'account-year-two.json',
        'review.json',
        'account-plan-revision.json',
        // account-workflow-v4: stage inputs that name the account changes they read.
        'account-year.workflow-v4.json',
        'account-plan-revision.workflow-v4.json',
        // account-workflow-v5: the review refuses plan decisions while it runs and withdraws a
        // plan still waiting for approval; the next cycle refuses a decision on it (that
        // scenario's first recording, so under its recorder's names).
        'account-year.workflow-v5.json',
        'account-year-two.workflow-v5.json',
        'account-plan-revision.workflow-v5.json',
        'account-review-pending-plan.json',
        'account-review-pending-plan-two.json',
        'review.workflow-v5.json',
      ]),
    );
    expect(existsSync(WORKFLOW_BUNDLE)).toBe(true);
    const results = await replayAll({ codePath: WORKFLOW_BUNDLE }, histories);
    expect(results).toHaveLength(histories.length);
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error!.message}`)).toEqual([]);
  });

  it('holds a committed history at every path a recording writes, which `git checkout` restores', () => {
    const files = readdirSync(DIR);
    expect(RECORDED_HISTORIES.map((name) => `${name}.json`).filter((f) => !files.includes(f))).toEqual([]);
  });

  it('fails on a non-deterministic change', { timeout: 90_000 }, async () => {
    const variant = await bundleWorkflowCode({
      workflowsPath: path.join(DIR, 'nondeterministic-variant.ts'),
      logger: Runtime.instance().logger,
    });
    const [result] = await replayAll(
      { code: variant.code },
      recorded().filter((h) => h.file === 'account-year.json'),
    );
    expect(result?.error).toBeInstanceOf(DeterminismViolationError);
  });
});
