/**
 * `esp evaluate --accounts <file.json> [--rules <dir>] [--format json|table]`: every decision stage
 * for each account with its industry's rule set. Bad input: every problem on stderr, exit 2, and
 * nothing on stdout.
 */
import { readFileSync } from 'node:fs';
import {
  EVALUATION_REQUIRED,
  evaluatePortfolio,
  formatAccountIssue,
  parseAccounts,
  ValidationError,
  type AccountDecision,
} from '../../engine/index.js';
import { DEFAULT_RULES_DIR, loadRuleBook, parseJsonFile, RuleFileError } from '../../rules/load.js';
import { CliError, parseOptions } from '../io.js';
import type { CommandRunner } from './index.js';

export function evaluationRow(d: AccountDecision) {
  return {
    id: d.id,
    score: d.score,
    dimensions: d.dimensions,
    tier: d.tier,
    class: d.class,
    closeness: d.closeness,
    advantage: d.advantage,
    flags: d.flags,
    coverage: { line: d.coverage.line, presalesTier: d.coverage.presalesTier, track: d.coverage.track, team: d.coverage.team },
    strategy: d.strategy,
    investment: d.investment,
    competitors: d.relationship.competitors.map((c) => ({ id: c.id, closeness: c.closeness })),
    profile: { completeness: Math.round(d.profile.completeness * 10000) / 10000, missing: d.profile.missing, ready: d.profile.ready },
    ruleSet: d.ruleSet,
  };
}

function table(rows: AccountDecision[]): string {
  const header = ['id', 'score', 'tier', 'class', 'closeness', 'advantage', 'strategy', 'investment', 'track', 'rules', 'flags'];
  const lines = rows.map((d) => [
    d.id,
    d.score.toFixed(2),
    d.tier,
    d.class,
    d.closeness.toFixed(2),
    d.advantage.toFixed(2),
    d.strategy,
    d.investment,
    d.coverage.track,
    d.ruleSet.industry,
    d.flags.join(','),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n') + '\n';
}

export const evaluateCommand: CommandRunner = {
  async run(args) {
    const { values } = parseOptions(
      args,
      {
        accounts: { type: 'string' },
        rules: { type: 'string' },
        format: { type: 'string', default: 'json' },
      },
      false,
    );
    if (!values.accounts) throw new CliError('--accounts <file.json> is required');
    if (values.format !== 'json' && values.format !== 'table') throw new CliError(`--format must be json or table, not "${values.format}"`);
    let book;
    let json: unknown;
    try {
      book = loadRuleBook(values.rules ?? DEFAULT_RULES_DIR);
      json = parseJsonFile(values.accounts, readInput(values.accounts));
    } catch (error) {
      if (error instanceof RuleFileError || error instanceof ValidationError) throw new CliError(error.message);
      throw error;
    }
    const { accounts, issues } = parseAccounts(json, { required: EVALUATION_REQUIRED });
    if (issues.length > 0) {
      throw new CliError(`${values.accounts}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map((i) => `  ${formatAccountIssue(i)}`).join('\n')}`);
    }
    const decisions = evaluatePortfolio(accounts, book);
    process.stdout.write(values.format === 'json' ? `${JSON.stringify(decisions.map(evaluationRow), null, 2)}\n` : table(decisions));
    return 0;
  },
};

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}
