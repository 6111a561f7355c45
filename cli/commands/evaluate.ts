/**
 * `esp evaluate --accounts <file.json> [--rules <dir>] [--format json|table]`: every decision stage
 * for each account with its industry's rule set. Bad input: every problem on stderr, exit 2, and
 * nothing on stdout.
 */
import { readFileSync } from 'node:fs';
import {
  decideAccount,
  EVALUATION_REQUIRED,
  formatAccountIssue,
  parseAccounts,
  portfolioDecider,
  ValidationError,
  type Account,
  type AccountDecision,
  type RuleBook,
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

/** Output goes out in chunks of about this many characters: no whole-output string in memory. */
const CHUNK = 1 << 16;

/** Writes to a stream, waiting for 'drain' when it asks to, so a slow reader never piles output up. */
function chunkedWriter(out: NodeJS.WritableStream) {
  let buffer = '';
  const flush = async () => {
    const text = buffer;
    buffer = '';
    if (text && !out.write(text)) await new Promise<void>((done) => out.once('drain', done));
  };
  return {
    async write(text: string) {
      buffer += text;
      if (buffer.length >= CHUNK) await flush();
    },
    flush,
  };
}

/**
 * The rows as `JSON.stringify(rows, null, 2)` would print them, one row at a time: a row's own
 * lines are indented one level (JSON strings hold no raw newline, so every newline is structure).
 */
export async function writeJson(decisions: Iterable<AccountDecision>, out: NodeJS.WritableStream): Promise<void> {
  const w = chunkedWriter(out);
  let first = true;
  for (const d of decisions) {
    await w.write(`${first ? '[\n  ' : ',\n  '}${JSON.stringify(evaluationRow(d), null, 2).replaceAll('\n', '\n  ')}`);
    first = false;
  }
  await w.write(first ? '[]\n' : '\n]\n');
  await w.flush();
}

const TABLE_HEADER = ['id', 'score', 'tier', 'class', 'closeness', 'advantage', 'strategy', 'investment', 'track', 'rules', 'flags'];

function tableCells(d: AccountDecision): string[] {
  return [
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
  ];
}

/** Column widths need every row first, so the cells are kept (not the decisions), then streamed. */
export async function writeTable(decisions: Iterable<AccountDecision>, out: NodeJS.WritableStream): Promise<void> {
  const lines: string[][] = [];
  for (const d of decisions) lines.push(tableCells(d));
  const widths = TABLE_HEADER.map((h, i) => lines.reduce((w, l) => Math.max(w, l[i]!.length), h.length));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  const w = chunkedWriter(out);
  await w.write(fmt(TABLE_HEADER) + fmt(widths.map((n) => '-'.repeat(n))));
  for (const l of lines) await w.write(fmt(l));
  await w.flush();
}

/** Each account's decision in input order, decided as it is written. */
export function* decisions(accounts: readonly Account[], book: RuleBook): Generator<AccountDecision> {
  const decide = portfolioDecider(accounts, book, decideAccount);
  for (const a of accounts) yield decide(a);
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
    await (values.format === 'json' ? writeJson : writeTable)(decisions(accounts, book), process.stdout);
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
