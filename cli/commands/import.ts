/**
 * `esp import accounts|contacts|crm`. All or nothing: a file with any problem prints every problem
 * (file, line, column, reason; the first 100, then a count) and exits 2 with nothing written.
 * Formats: docs/import.md.
 */
import { readFile } from 'node:fs/promises';
import { importAccountsFile, type AccountImportResult } from '../../db/import/accounts.js';
import { importContactsFile } from '../../db/import/contacts.js';
import { importCrm, summarizePlan } from '../../db/import/crm.js';
import { formatProblemCount, formatProblems, ImportError } from '../../db/import/problems.js';
import { connectClient } from '../../workflows/client.js';
import { tellWorkflowsOfImport, type ImportedAccounts } from '../../workflows/imported-accounts.js';
import { CliError, cliUser, parseOptions } from '../io.js';
import { locale } from '../locale.js';
import { withDatabase } from './db.js';
import type { CommandRunner } from './index.js';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

/** Problems go to stderr in full, in the CLI's language (`--lang`, `LANG`); the exit code says "bad input". */
async function reporting<T>(fn: () => Promise<T>): Promise<T | number> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ImportError) {
      process.stderr.write(`${formatProblems(error.problems, error.total, locale())}\n`);
      process.stderr.write(`${formatProblemCount(error.total, locale())}\n`);
      return 2;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR')
      throw new CliError((error as Error).message);
    throw error;
  }
}

const WORKFLOWS_OPTION = { 'no-workflows': { type: 'boolean', default: false } } as const;

function oneFile(args: string[], what: string): { file: string; workflows: boolean } {
  const { positionals, values } = parseOptions(args, WORKFLOWS_OPTION);
  if (positionals.length !== 1) throw new CliError(`expected one ${what} file (.csv or .json)`);
  return { file: positionals[0]!, workflows: !values['no-workflows'] };
}

/**
 * Starts the new accounts' workflows and tells the changed accounts' ones. The import stands
 * whatever happens here; an unreachable Temporal is said plainly and is not an error.
 */
async function tellWorkflows(imported: ImportedAccounts): Promise<void> {
  if (imported.createdIds.length + imported.updatedIds.length === 0) return;
  let connected;
  try {
    // A short wait: an import without Temporal next to it should not hang for the default 10 s.
    connected = await connectClient({ connectTimeout: '3 seconds' });
  } catch (error) {
    out(
      `Temporal is not reachable (${(error as Error).message}): no workflow was started or told. The import stands; the worker catches up on changed accounts when it starts, and \`esp workflows start --all\` starts the new ones.`,
    );
    return;
  }
  try {
    const r = await tellWorkflowsOfImport(connected.client, imported, { taskQueue: connected.taskQueue });
    out(
      `workflows: ${r.started} started, ${r.told} told of the change, ${r.notRunning} changed accounts without a running workflow`,
    );
    for (const f of r.failed.slice(0, 5)) out(`workflow of ${f.accountId} not reached: ${f.error}`);
    if (r.failed.length > 5) out(`… and ${r.failed.length - 5} more not reached`);
  } finally {
    await connected.close();
  }
}

function describeAccounts(file: string, r: AccountImportResult): void {
  out(`${file}: ${r.accounts} account${r.accounts === 1 ? '' : 's'} imported (${r.inserted} new, ${r.updated} updated)`);
  if (r.format === 'csv' && r.competitorLists) out(`competitor lists replaced on ${r.competitorLists} accounts`);
  if (r.stancesCleared) out(`${r.stancesCleared} contacts lost their stance toward a competitor no longer listed`);
  if (r.fallbackIndustries.length)
    out(
      `graded by the fallback rule set "*" (no rule set of their own): ${r.fallbackIndustries.map((f) => `${f.industry} (${f.accounts})`).join(', ')}`,
    );
}

export const importAccountsCommand: CommandRunner = {
  async run(args) {
    const { file, workflows } = oneFile(args, 'accounts');
    return withDatabase(async (db) => {
      const r = await reporting(() => importAccountsFile(db, file, { by: cliUser() }));
      if (typeof r === 'number') return r;
      describeAccounts(file, r);
      if (workflows) await tellWorkflows(r);
      return 0;
    });
  },
};

export const importContactsCommand: CommandRunner = {
  async run(args) {
    const { file, workflows } = oneFile(args, 'contacts');
    return withDatabase(async (db) => {
      const r = await reporting(() => importContactsFile(db, file, { by: cliUser() }));
      if (typeof r === 'number') return r;
      out(
        `${file}: ${r.contacts} contact${r.contacts === 1 ? '' : 's'} of ${r.accounts} account${r.accounts === 1 ? '' : 's'} imported (${r.inserted} new, ${r.updated} updated)`,
      );
      if (r.influenceLists) out(`influence links replaced for ${r.influenceLists} contacts (${r.influenceLinks} links)`);
      if (workflows) await tellWorkflows({ createdIds: [], updatedIds: r.accountIds });
      return 0;
    });
  },
};

export const importCrmCommand: CommandRunner = {
  async run(args) {
    const { values } = parseOptions(
      args,
      {
        accounts: { type: 'string' },
        opportunities: { type: 'string' },
        teams: { type: 'string' },
        'as-of': { type: 'string' },
        mapping: { type: 'string' },
        'dry-run': { type: 'boolean' },
        ...WORKFLOWS_OPTION,
      },
      false,
    );
    for (const k of ['accounts', 'opportunities', 'teams', 'as-of'] as const)
      if (!values[k]) throw new CliError(`--${k} is required`);
    let mapping: unknown;
    if (values.mapping) {
      try {
        mapping = JSON.parse(await readFile(values.mapping, 'utf8'));
      } catch (error) {
        throw new CliError(`${values.mapping}: ${(error as Error).message}`);
      }
    }
    const files = { accounts: values.accounts!, opportunities: values.opportunities!, teams: values.teams! };
    const run = async (db: Parameters<Parameters<typeof withDatabase>[0]>[0]) => {
      const r = await reporting(() =>
        importCrm(db, files, { asOf: values['as-of']!, mapping, dryRun: values['dry-run'] ?? false, by: cliUser() }),
      );
      if (typeof r === 'number') return r;
      for (const line of summarizePlan(r.plan)) out(line);
      if (values['dry-run']) {
        out('dry run: nothing was written');
        return 0;
      }
      out(
        `written: accounts ${r.accounts.inserted} new, ${r.accounts.updated} updated; ${r.opportunities} opportunities; ${r.usersCreated} users created; ${r.teams} teams`,
      );
      if (!values['no-workflows']) await tellWorkflows(r);
      return 0;
    };
    return withDatabase(run);
  },
};
