/**
 * `esp evaluate --accounts <file.json> [--rules <dir>] [--format json|table]`: every decision stage
 * for each account with its industry's rule set. Bad input: every problem on stderr, exit 2, and
 * nothing on stdout.
 */
import { readFileSync } from 'node:fs';
import {
  decideInto,
  DecisionRecord,
  EVALUATION_REQUIRED,
  formatAccountIssue,
  parseAccounts,
  portfolioDecider,
  ValidationError,
  type Account,
  type RuleBook,
} from '../../engine/index.js';
import { DEFAULT_RULES_DIR, loadRuleBook, parseJsonFile, RuleFileError } from '../../rules/load.js';
import { CliError, parseOptions } from '../io.js';
import type { CommandRunner } from './index.js';

/** One account's output: the decision-only mode's record, with the account's competitor ids. */
export function evaluationRow(d: DecisionRecord, account: Account) {
  return {
    id: d.id,
    score: d.score,
    dimensions: { revenue: d.revenueScore, potential: d.potentialScore, demonstration: d.demonstrationScore, winnability: d.winnabilityScore },
    tier: d.tier,
    class: d.class,
    closeness: d.closeness,
    advantage: d.advantage,
    flags: d.flags,
    coverage: { line: d.line, presalesTier: d.presalesTier, track: d.track, team: d.team },
    strategy: d.strategy,
    investment: d.investment,
    competitors: account.competitors.map((c, k) => ({ id: c.id, closeness: d.competitorCloseness[k]! })),
    profile: { completeness: Math.round(d.completeness * 10000) / 10000, missing: [...d.missing], ready: d.ready },
    ruleSet: d.ruleSet,
  };
}

export type EvaluationRow = ReturnType<typeof evaluationRow>;

/** Each account's row in input order, decided as it is written, through one reused record. */
export function* evaluationRows(accounts: readonly Account[], book: RuleBook): Generator<EvaluationRow> {
  const record = new DecisionRecord();
  const decide = portfolioDecider(accounts, book, (a, rules, ctx) => decideInto(a, rules, ctx, record));
  for (const a of accounts) yield evaluationRow(decide(a), a);
}

/** Rows go out this many at a time: one `JSON.stringify` and one write each, no whole-output string. */
const BATCH = 512;

/** Writes to a stream, waiting for 'drain' when it asks to, so a slow reader never piles output up. */
async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((done) => out.once('drain', done));
}

/**
 * The rows as `JSON.stringify(rows, null, 2)` would print them, a batch at a time: a batch printed
 * as an array is, between its brackets, exactly those rows' lines at the top array's indentation.
 */
export async function writeJson(rows: Iterable<EvaluationRow>, out: NodeJS.WritableStream): Promise<void> {
  let batch: EvaluationRow[] = [];
  let first = true;
  const flush = async () => {
    const text = JSON.stringify(batch, null, 2);
    // `[\n` + rows + `\n]`: the rows, joined to the previous batch's by a comma. Written apart, as
    // joining them would copy the whole batch once more before it is encoded.
    await write(out, first ? '[\n' : ',\n');
    await write(out, text.slice(2, -2));
    first = false;
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length === BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  await write(out, first ? '[]\n' : '\n]\n');
}

const TABLE_HEADER = ['id', 'score', 'tier', 'class', 'closeness', 'advantage', 'strategy', 'investment', 'track', 'rules', 'flags'];

function tableCells(r: EvaluationRow): string[] {
  return [
    r.id,
    r.score.toFixed(2),
    r.tier,
    r.class,
    r.closeness.toFixed(2),
    r.advantage.toFixed(2),
    r.strategy,
    r.investment,
    r.coverage.track,
    r.ruleSet.industry,
    r.flags.join(','),
  ];
}

/** Column widths need every row first, so the cells are kept (not the rows), then streamed. */
export async function writeTable(rows: Iterable<EvaluationRow>, out: NodeJS.WritableStream): Promise<void> {
  const lines: string[][] = [];
  for (const r of rows) lines.push(tableCells(r));
  const widths = TABLE_HEADER.map((h, i) => lines.reduce((w, l) => Math.max(w, l[i]!.length), h.length));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  let text = fmt(TABLE_HEADER) + fmt(widths.map((n) => '-'.repeat(n)));
  for (let i = 0; i < lines.length; i++) {
    text += fmt(lines[i]!);
    if ((i + 1) % BATCH === 0) {
      await write(out, text);
      text = '';
    }
  }
  if (text) await write(out, text);
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
    try {
      book = loadRuleBook(values.rules ?? DEFAULT_RULES_DIR);
    } catch (error) {
      if (error instanceof RuleFileError || error instanceof ValidationError) throw new CliError(error.message);
      throw error;
    }
    await (values.format === 'json' ? writeJson : writeTable)(evaluationRows(readAccounts(values.accounts), book), process.stdout);
    return 0;
  },
};

/**
 * The file's accounts, or every problem in one error. The parsed JSON stays in this frame, so it is
 * garbage (not marked again and again) while the accounts are decided and written.
 */
function readAccounts(file: string): Account[] {
  let json: unknown;
  try {
    json = parseJsonFile(file, readInput(file));
  } catch (error) {
    if (error instanceof RuleFileError) throw new CliError(error.message);
    throw error;
  }
  const { accounts, issues } = parseAccounts(json, { required: EVALUATION_REQUIRED });
  if (issues.length > 0) {
    throw new CliError(`${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map((i) => `  ${formatAccountIssue(i)}`).join('\n')}`);
  }
  return accounts;
}

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}
