/**
 * The baseline of the `esp evaluate` benchmark: a plain json-rules-engine script doing the same
 * decisions. It reads the file, parses it, runs the same stage code with json-rules-engine's
 * `Engine` answering every rule list (no validation: a plain script trusts its input) and prints
 * the same rows as `esp evaluate` in one `JSON.stringify`.
 *
 *   node --import tsx bench/evaluate-jre.ts accounts.json > out.json
 */
import { readFileSync } from 'node:fs';
import { evaluationRow, type EvaluationRow } from '../cli/commands/evaluate.js';
import { decideIntoSteps, DecisionRecord, rankQuotaIndustries, type Account } from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';
import { JreDriver } from './jre-driver.js';

const [file] = process.argv.slice(2);
const book = loadRuleBook();
const accounts = JSON.parse(readFileSync(file!, 'utf8')) as Account[];
const drivers = new Map(book.industries.map((i) => [i, new JreDriver(book.forIndustry(i))]));
const ranking = rankQuotaIndustries(accounts, book);
const record = new DecisionRecord();
const rows: EvaluationRow[] = [];
for (const a of accounts) {
  const rules = book.forIndustry(a.industry);
  const steps = decideIntoSteps(a, rules, { quota: { rankedTier: ranking.tiers.get(a.id) } }, record);
  rows.push(evaluationRow(await drivers.get(rules.ref.industry)!.run(steps), a));
}
process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
