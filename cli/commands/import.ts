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
import { CliError, parseOptions } from '../io.js';
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

function oneFile(args: string[], what: string): string {
  const { positionals } = parseOptions(args, {});
  if (positionals.length !== 1) throw new CliError(`expected one ${what} file (.csv or .json)`);
  return positionals[0]!;
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
    const file = oneFile(args, 'accounts');
    return withDatabase(async (db) => {
      const r = await reporting(() => importAccountsFile(db, file));
      if (typeof r === 'number') return r;
      describeAccounts(file, r);
      return 0;
    });
  },
};

export const importContactsCommand: CommandRunner = {
  async run(args) {
    const file = oneFile(args, 'contacts');
    return withDatabase(async (db) => {
      const r = await reporting(() => importContactsFile(db, file));
      if (typeof r === 'number') return r;
      out(
        `${file}: ${r.contacts} contact${r.contacts === 1 ? '' : 's'} of ${r.accounts} account${r.accounts === 1 ? '' : 's'} imported (${r.inserted} new, ${r.updated} updated)`,
      );
      if (r.influenceLists) out(`influence links replaced for ${r.influenceLists} contacts (${r.influenceLinks} links)`);
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
        importCrm(db, files, { asOf: values['as-of']!, mapping, dryRun: values['dry-run'] ?? false }),
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
      return 0;
    };
    return withDatabase(run);
  },
};
