/**
 * `esp evaluate`'s streamed output: byte for byte what one `JSON.stringify(rows, null, 2)` prints of
 * the explained mode's decisions (the command decides in the decision-only mode), over many output
 * batches, through a slow reader (backpressure) and for an empty portfolio; the table likewise.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { evaluationRows, writeJson, writeTable } from '../cli/commands/evaluate.js';
import { generateAccounts } from '../db/demo/generate.js';
import { evaluatePortfolio, type AccountDecision } from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';

const book = loadRuleBook();
const accounts = generateAccounts(1_300, 5);

/** What the command prints of an account, read off the explained mode's decision. */
function explainedRow(d: AccountDecision) {
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

/** A stream with a tiny buffer that finishes each write later: `write` returns false often. */
function slowSink() {
  const chunks: string[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      setImmediate(done);
    },
  });
  return { stream, text: () => chunks.join(''), count: () => chunks.length };
}

describe('esp evaluate output', () => {
  it('JSON: the same text as one JSON.stringify of the explained decisions, in several batches', async () => {
    const sink = slowSink();
    await writeJson(evaluationRows(accounts, book), sink.stream);
    const expected = `${JSON.stringify(evaluatePortfolio(accounts, book).map(explainedRow), null, 2)}\n`;
    expect(sink.text()).toBe(expected);
    expect(sink.count()).toBeGreaterThan(3);
  });

  it('JSON: an empty portfolio prints []', async () => {
    const sink = slowSink();
    await writeJson(evaluationRows([], book), sink.stream);
    expect(sink.text()).toBe('[]\n');
  });

  it('table: a header, a rule and one aligned line per account', async () => {
    const sink = slowSink();
    await writeTable(evaluationRows(accounts, book), sink.stream);
    const lines = sink.text().split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(accounts.length + 3);
    expect(lines[0]).toMatch(/^id +score +tier +class/);
    const tierAt = lines[0]!.indexOf('tier');
    const expected = evaluatePortfolio(accounts, book);
    lines.slice(2, -1).forEach((l, i) => {
      expect(l.startsWith(expected[i]!.id)).toBe(true);
      expect(l.slice(tierAt, tierAt + 2)).toBe(expected[i]!.tier);
    });
  });
});
