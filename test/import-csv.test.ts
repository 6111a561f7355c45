import { describe, expect, it } from 'vitest';
import { CsvParser, csvLine, parseCsv, type CsvRow } from '../db/import/csv.js';

/** Feeds the text in pieces of `size` characters: the result must not depend on where chunks end. */
function parseChunked(text: string, size: number, maxFieldLength?: number) {
  const rows: CsvRow[] = [];
  const parser = new CsvParser((r) => rows.push(r), maxFieldLength === undefined ? {} : { maxFieldLength });
  for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
  parser.end();
  return { rows, errors: parser.errors, errorCount: parser.errorCount };
}

const fields = (text: string) => parseCsv(text).rows.map((r) => r.fields);

describe('CSV parser', () => {
  it('reads plain, quoted and empty fields with LF, CRLF and lone CR line ends', () => {
    expect(fields('a,b,c\n1,,3\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '', '3'],
    ]);
    expect(fields('a,b\r\n"x, y","2"\r\n')).toEqual([
      ['a', 'b'],
      ['x, y', '2'],
    ]);
    expect(fields('a\rb\rc')).toEqual([['a'], ['b'], ['c']]);
    expect(fields('a,\n,\n"",""')).toEqual([
      ['a', ''],
      ['', ''],
      ['', ''],
    ]);
  });

  it('unescapes doubled quotes and keeps embedded newlines', () => {
    const { rows, errors } = parseCsv('id,note\n1,"He said ""hi""\r\nand left"\n2,"""quoted"""\n');
    expect(errors).toEqual([]);
    expect(rows.map((r) => r.fields)).toEqual([
      ['id', 'note'],
      ['1', 'He said "hi"\r\nand left'],
      ['2', '"quoted"'],
    ]);
    // The record after the embedded newline starts on physical line 4.
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4]);
    expect(rows.map((r) => r.record)).toEqual([1, 2, 3]);
  });

  it('tracks the line and column of every field', () => {
    const { rows } = parseCsv('a,bb,ccc\n"x\ny",z,\n');
    expect(rows[0]!.columns).toEqual([1, 3, 6]);
    expect(rows[0]!.lines).toEqual([1, 1, 1]);
    expect(rows[1]!.lines).toEqual([2, 3, 3]);
    // `z` starts at column 5 of line 3 (after `y",`); the empty last field right after it.
    expect(rows[1]!.columns).toEqual([1, 4, 6]);
  });

  it('drops a leading BOM, skips blank lines and needs no final newline', () => {
    const { rows } = parseCsv('\uFEFFid,name\n\n1,Acme\n\n\n2,Beta');
    expect(rows.map((r) => r.fields)).toEqual([
      ['id', 'name'],
      ['1', 'Acme'],
      ['2', 'Beta'],
    ]);
    expect(rows[0]!.columns).toEqual([1, 4]);
    expect(rows.map((r) => r.line)).toEqual([1, 3, 6]);
  });

  it('reports an unterminated quote where it opened', () => {
    const { errors } = parseCsv('id,name\n1,"Acme\n2,Beta\n');
    expect(errors).toEqual([
      {
        line: 2,
        column: 3,
        code: 'csv.unterminatedQuote',
        params: { line: 2, column: 3 },
        message: expect.stringContaining('unterminated quoted field'),
      },
    ]);
  });

  it('reports a quote inside an unquoted field and text after a closing quote', () => {
    const { rows, errors } = parseCsv('a,b\n5" screen,x\n"ok"junk,y\n');
    expect(errors).toEqual([
      { line: 2, column: 2, code: 'csv.quoteInUnquotedField', params: {}, message: expect.stringContaining('unexpected quote') },
      {
        line: 3,
        column: 5,
        code: 'csv.textAfterClosingQuote',
        params: {},
        message: expect.stringContaining('after a closing quote'),
      },
    ]);
    // Parsing goes on, so one pass reports every problem.
    expect(rows).toHaveLength(3);
  });

  it('caps a field at the maximum size and says so once', () => {
    const tooLarge = {
      code: 'csv.fieldTooLarge',
      params: { max: 65536 },
      message: 'field too large (more than 65536 characters)',
    };
    const huge = 'x'.repeat(70 * 1024);
    const { rows, errors } = parseCsv(`id,note\n1,"${huge}"\n2,${huge}\n3,ok\n`);
    expect(errors).toEqual([
      { line: 2, column: 3, ...tooLarge },
      { line: 3, column: 3, ...tooLarge },
    ]);
    expect(rows[1]!.fields[1]!.length).toBe(65536);
    expect(rows[3]!.fields).toEqual(['3', 'ok']);
  });

  it('gives the same result however the input is chunked', () => {
    const text = '\uFEFFid,"na\r\nme",x\r\n1,"a ""b""",\r2,c,"d\r\n\r\ne"\n3,"unterminated\r\n';
    const whole = parseCsv(text, { maxFieldLength: 8 });
    for (const size of [1, 2, 3, 5, 7, 64]) expect(parseChunked(text, size, 8)).toEqual(whole);
  });

  it('round-trips what the writer quotes', () => {
    const values = ['plain', 'with, comma', 'with "quotes"', 'multi\r\nline', ' padded ', ''];
    expect(parseCsv(csvLine(values)).rows[0]!.fields).toEqual(values);
  });

  it('caps the number of errors it keeps but counts them all', () => {
    const text = Array.from({ length: 50 }, (_, i) => `${i},a"b`).join('\n');
    const { errors, errorCount } = parseCsv(text, { maxErrors: 10 });
    expect(errors).toHaveLength(10);
    expect(errorCount).toBe(50);
  });

  it('parses 100,000 rows quickly', { timeout: 60_000 }, () => {
    const lines = [
      'id,name,industry,region,status,employees,companyRevenue,revenueWithUs,potential,demonstration,winnability,competitors',
    ];
    for (let i = 0; i < 100_000; i++)
      lines.push(
        `acc-${i},"Company ${i}, Inc",finance,East,active,${i},123456.5,${i * 10},${i * 100},50,60,"a:Acme:0.3;b:Beta:0.2"`,
      );
    const text = lines.join('\r\n');
    parseCsv(text); // warm-up: the JIT
    const started = performance.now();
    const { rows, errors } = parseCsv(text);
    const ms = performance.now() - started;
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(100_001);
    expect(rows[100_000]!.fields[1]).toBe('Company 99999, Inc');
    // "Well under a second" on a normal machine; the bound leaves room for a loaded CI box.
    expect(ms).toBeLessThan(3000);
  });
});
