/**
 * After an import: the workflows of the accounts it created are started, and those of the accounts
 * it changed are told (`accountUpdated`), so a waiting profile stage wakes and re-reads its account.
 * The import has committed by then; what Temporal could not be told is reported, not retried: a
 * worker catches up on accounts changed since their workflow last read them when it starts.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { mapConcurrent, notifyAccountUpdated, startAccountWorkflows } from './client.js';

export interface ImportedAccounts {
  createdIds: readonly string[];
  updatedIds: readonly string[];
}

export interface ImportedAccountsReport {
  started: number;
  /** Changed accounts whose running workflow was told. */
  told: number;
  /** Changed accounts without a running workflow: nothing to tell. */
  notRunning: number;
  failed: { accountId: string; error: string }[];
}

export async function tellWorkflowsOfImport(
  client: Client,
  imported: ImportedAccounts,
  opts: { taskQueue?: string; concurrency?: number } = {},
): Promise<ImportedAccountsReport> {
  const concurrency = opts.concurrency ?? 20;
  const start = await startAccountWorkflows(client, imported.createdIds, { taskQueue: opts.taskQueue, concurrency });
  const report: ImportedAccountsReport = { started: start.started.length, told: 0, notRunning: 0, failed: [...start.failed] };
  // An account that was new to the database but already had a workflow (deleted and re-imported) hears of it too.
  await mapConcurrent([...start.existing, ...imported.updatedIds], concurrency, async (accountId) => {
    try {
      if (await notifyAccountUpdated(client, accountId)) report.told++;
      else report.notRunning++;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) report.notRunning++;
      else report.failed.push({ accountId, error: (error as Error).message });
    }
  });
  return report;
}
