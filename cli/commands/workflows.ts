/**
 * `esp workflows start [<accountId>...] [--all]`: starts the account workflows (already running
 * ones are left alone); `esp workflows state <accountId>`: what an account's workflow is doing.
 * Temporal is found through TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / ESP_TASK_QUEUE (see
 * workflows/connection.ts).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { listAccountIds } from '../../db/repositories/accounts.js';
import { accountState, connectClient, startAccountWorkflows, type EspClient } from '../../workflows/client.js';
import type { AccountState } from '../../workflows/types.js';
import { CliError, parseOptions } from '../io.js';
import { withDatabase } from './db.js';
import type { CommandRunner } from './index.js';

export async function withTemporal<T>(fn: (c: EspClient) => Promise<T>): Promise<T> {
  let c: EspClient;
  try {
    c = await connectClient();
  } catch (error) {
    throw new CliError(
      `cannot reach Temporal: ${(error as Error).message} (set TEMPORAL_ADDRESS, or start it with \`npm start\`)`,
      1,
    );
  }
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${name} must be a whole number ≥ 1, not "${value}"`);
  return n;
}

export function formatState(s: AccountState): string {
  const lines = [
    `account    ${s.accountId} (cycle ${s.cycleYear}, run ${s.run})`,
    `stage      ${s.stage}${s.waitingFor ? `, waiting for ${s.waitingFor}` : ''}${s.nextMonitorAt && s.waitingFor === 'next-monitor' ? ` (${s.nextMonitorAt})` : ''}`,
    `grading    tier ${s.tier ?? '-'}, class ${s.class ?? '-'}, score ${s.score ?? '-'}`,
    `strategy   ${s.strategy ?? '-'}, health ${s.health ?? '-'}, track ${s.track ?? '-'}, owner ${s.owner ?? '-'}`,
    `plan       ${s.plan ? `v${s.plan.version} ${s.plan.strategy} (${s.plan.status})` : '-'}`,
    `execution  ${s.openActions.length} open actions, ${s.overdueVisits} overdue visits, last visit ${s.lastVisit ?? '-'}, ${s.monitors} monitors`,
  ];
  if (s.lastError)
    lines.push(`last error ${s.lastError.stage}: ${s.lastError.message}${s.lastError.resolvedAt ? ' (resolved)' : ''}`);
  lines.push('history');
  for (const h of s.history)
    lines.push(`  ${h.startedAt}  ${h.stage.padEnd(12)} ${h.error ? `ERROR ${h.error}` : (h.summary ?? '…')}`);
  return lines.join('\n') + '\n';
}

export const workflowsStartCommand: CommandRunner = {
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      all: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      'task-activities': { type: 'boolean', default: false },
    });
    if (values.all === positionals.length > 0) throw new CliError('give account ids or --all (not both)');
    const concurrency = positiveInt('concurrency', values.concurrency, 20);
    const ids = values.all ? await withDatabase((db) => listAccountIds(db)) : positionals;
    const result = await withTemporal((c) =>
      startAccountWorkflows(c.client, ids, {
        taskQueue: c.taskQueue,
        concurrency,
        workflow: { localActivities: !values['task-activities'] },
      }),
    );
    process.stdout.write(
      `started ${result.started.length}, already running ${result.existing.length}, failed ${result.failed.length}\n`,
    );
    for (const f of result.failed) process.stderr.write(`  ${f.accountId}: ${f.error}\n`);
    return result.failed.length > 0 ? 1 : 0;
  },
};

export const workflowsStateCommand: CommandRunner = {
  async run(args) {
    const { values, positionals } = parseOptions(args, { format: { type: 'string', default: 'text' } });
    if (positionals.length !== 1) throw new CliError('give one account id');
    if (values.format !== 'text' && values.format !== 'json')
      throw new CliError(`--format must be text or json, not "${values.format}"`);
    const accountId = positionals[0]!;
    const state = await withTemporal(async (c) => {
      try {
        return await accountState(c.client, accountId);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError)
          throw new CliError(`account "${accountId}" has no workflow: start it with \`esp workflows start ${accountId}\``, 1);
        throw error;
      }
    });
    process.stdout.write(values.format === 'json' ? JSON.stringify(state, null, 2) + '\n' : formatState(state));
    return 0;
  },
};
