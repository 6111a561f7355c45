/**
 * `esp evaluate`'s streamed output: byte for byte what one `JSON.stringify(rows, null, 2)` prints,
 * over many output chunks, through a slow reader (backpressure) and for an empty portfolio; the
 * table likewise.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decisions, evaluationRow, writeJson, writeTable } from '../cli/commands/evaluate.js';
import { generateAccounts } from '../db/demo/generate.js';
import { evaluatePortfolio } from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';

const book = loadRuleBook();
const accounts = generateAccounts(600, 5);

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
  it('JSON: the same text as one JSON.stringify, in several chunks', async () => {
    const sink = slowSink();
    await writeJson(decisions(accounts, book), sink.stream);
    const expected = `${JSON.stringify(evaluatePortfolio(accounts, book).map(evaluationRow), null, 2)}\n`;
    expect(sink.text()).toBe(expected);
    expect(sink.count()).toBeGreaterThan(3);
  });

  it('JSON: an empty portfolio prints []', async () => {
    const sink = slowSink();
    await writeJson(decisions([], book), sink.stream);
    expect(sink.text()).toBe('[]\n');
  });

  it('table: a header, a rule and one aligned line per account', async () => {
    const sink = slowSink();
    await writeTable(decisions(accounts, book), sink.stream);
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
