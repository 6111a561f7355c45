/**
 * An RFC 4180 CSV parser that remembers where every field came from, so an import can say
 * "line 12, column `influence`: must be 1–5" instead of "row 11 is bad".
 *
 * It is a push parser: `push()` any number of chunks (a file stream's pieces), then `end()`. The
 * state survives chunk boundaries anywhere, including inside a quoted field or between the CR and
 * LF of a line break. Rows go to a callback as soon as they are complete, so a large file never
 * needs a second in-memory copy.
 *
 * Leniency is deliberate and narrow: CRLF, LF and a lone CR all end a record (Excel on macOS still
 * writes CR), a leading UTF-8 BOM is dropped (Excel writes one), and blank lines are skipped (a
 * trailing newline is not a record). Everything else that breaks the grammar — a quote inside an
 * unquoted field, text after a closing quote, an unterminated quote — is reported with its line and
 * column. Reported errors do not stop the parse, so one pass reports every problem.
 */
import { createReadStream } from 'node:fs';
import { MAX_TEXT_LENGTH } from '../../engine/model.js';
import { neutraliseFormula } from './formula-cells.js';
import { msg, renderMessage, type ImportMessage, type ImportProblem } from './problems.js';

export interface CsvRow {
  /** 1-based physical line on which the record starts. */
  line: number;
  /** 1-based record number (the header, when there is one, is record 1). */
  record: number;
  fields: string[];
  /** 1-based physical line of each field's first character (differs from `line` after an embedded newline). */
  lines: number[];
  /** 1-based column (UTF-16 code unit within its line) of each field's first character. */
  columns: number[];
}

/** A syntax error: where, and why (an import problem's code and params, and its English message). */
export interface CsvError extends ImportMessage {
  line: number;
  column: number;
  message: string;
}

/** A syntax error as an import problem: its column is the character position. */
export function syntaxProblem(file: string | undefined, e: CsvError): ImportProblem {
  return { file, line: e.line, column: String(e.column), code: e.code, params: e.params, message: e.message };
}

export interface CsvOptions {
  delimiter?: string;
  /**
   * Longest field accepted, in characters. A field beyond it is reported and truncated: legitimate
   * account data never comes close, and an unbounded field (usually a stray quote swallowing the
   * rest of the file) would otherwise hold the whole file in one string.
   */
  maxFieldLength?: number;
  /** Stop collecting errors beyond this many (parsing goes on; `errorCount` keeps counting). */
  maxErrors?: number;
}

/** One text limit on every path: a CSV field holds no more than any field of the model. */
export const DEFAULT_MAX_FIELD_LENGTH = MAX_TEXT_LENGTH;

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const BOM = 0xfeff;

export class CsvParser {
  readonly errors: CsvError[] = [];
  errorCount = 0;

  private readonly delimiter: number;
  private readonly maxFieldLength: number;
  private readonly maxErrors: number;

  // Position bookkeeping: `offset` is the absolute offset of the current chunk's first character.
  private offset = 0;
  private line = 1;
  private lineStart = 0;
  private records = 0;
  private started = false;

  // The record and field being built.
  private fields: string[] = [];
  private lines: number[] = [];
  private columns: number[] = [];
  private rowLine = 1;
  private field = '';
  private fieldLength = 0;
  private fieldLine = 1;
  private fieldColumn = 1;
  private fieldOversize = false;
  private atFieldStart = true;
  private inQuotes = false;
  /** A quote was just seen inside a quoted field: either an escaped quote or the closing one. */
  private quotePending = false;
  /** The closing quote has been seen; only a delimiter or line break may follow. */
  private afterClosingQuote = false;
  private fieldErrorReported = false;
  /** Inside quotes, the previous chunk ended in CR: an LF opening this one is the same line break. */
  private lastWasCr = false;
  /** The previous chunk ended in CR: an LF opening this one belongs to the same line break. */
  private skipLf = false;

  constructor(
    private readonly onRow: (row: CsvRow) => void,
    options: CsvOptions = {},
  ) {
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n')
      throw new Error(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
    this.delimiter = delimiter.charCodeAt(0);
    this.maxFieldLength = options.maxFieldLength ?? DEFAULT_MAX_FIELD_LENGTH;
    this.maxErrors = options.maxErrors ?? 1000;
  }

  push(chunk: string): void {
    const n = chunk.length;
    let i = 0;
    if (!this.started && n > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === BOM) {
        // The BOM is not part of line 1's columns.
        i = 1;
        this.lineStart = 1;
      }
    }
    if (this.skipLf && n > 0) {
      this.skipLf = false;
      if (chunk.charCodeAt(i) === LF) {
        i++;
        this.lineStart = this.offset + i;
      }
    }
    const d = this.delimiter;

    while (i < n) {
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (chunk.charCodeAt(i) === QUOTE) {
            this.append('"');
            this.lastWasCr = false;
            i++;
            continue;
          }
          this.inQuotes = false;
          this.afterClosingQuote = true;
          continue;
        }
        // Copy everything up to the next quote in one slice; count line breaks on the way so
        // positions after an embedded newline stay right. Only at a chunk's start can the
        // character before the run be a CR (elsewhere it is the opening or an escaped quote).
        let prevCr = i === 0 && this.lastWasCr;
        let j = i;
        while (j < n) {
          const c = chunk.charCodeAt(j);
          if (c === QUOTE) break;
          if (c === LF) {
            if (!prevCr) this.line++;
            this.lineStart = this.offset + j + 1;
          } else if (c === CR) {
            this.line++;
            this.lineStart = this.offset + j + 1;
          }
          prevCr = c === CR;
          j++;
        }
        if (j > i) this.append(chunk.slice(i, j));
        this.lastWasCr = prevCr;
        if (j < n) {
          this.quotePending = true;
          this.lastWasCr = false;
          i = j + 1;
        } else {
          i = j;
        }
        continue;
      }

      const c = chunk.charCodeAt(i);
      if (this.atFieldStart) {
        this.atFieldStart = false;
        this.fieldLine = this.line;
        this.fieldColumn = this.offset + i - this.lineStart + 1;
        if (c === QUOTE) {
          this.inQuotes = true;
          this.lastWasCr = false;
          i++;
          continue;
        }
      }

      if (c === d) {
        this.endField();
        this.atFieldStart = true;
        i++;
        continue;
      }
      if (c === CR || c === LF) {
        this.endRecord();
        i++;
        if (c === CR) {
          if (i < n) {
            if (chunk.charCodeAt(i) === LF) i++;
          } else {
            this.skipLf = true;
          }
        }
        this.line++;
        this.lineStart = this.offset + i;
        continue;
      }
      if (this.afterClosingQuote) {
        if (!this.fieldErrorReported) {
          this.fieldErrorReported = true;
          this.error(this.line, this.offset + i - this.lineStart + 1, msg('csv.textAfterClosingQuote'));
        }
      } else if (c === QUOTE && !this.fieldErrorReported) {
        this.fieldErrorReported = true;
        this.error(this.line, this.offset + i - this.lineStart + 1, msg('csv.quoteInUnquotedField'));
      }
      // Unquoted run: take everything up to the next delimiter, line break or quote in one slice.
      let j = i + 1;
      while (j < n) {
        const k = chunk.charCodeAt(j);
        if (k === d || k === CR || k === LF || k === QUOTE) break;
        j++;
      }
      this.append(chunk.slice(i, j));
      i = j;
    }
    this.offset += n;
  }

  /** Flushes the last record (a file need not end with a line break) and reports an open quote. */
  end(): void {
    if (this.inQuotes && !this.quotePending) {
      this.error(
        this.fieldLine,
        this.fieldColumn,
        msg('csv.unterminatedQuote', { line: this.fieldLine, column: this.fieldColumn }),
      );
    }
    if (this.quotePending) this.afterClosingQuote = true;
    this.inQuotes = false;
    this.quotePending = false;
    if (!this.atFieldStart || this.fields.length > 0) this.endRecord();
  }

  private append(s: string): void {
    if (this.fieldOversize) return;
    this.fieldLength += s.length;
    if (this.fieldLength > this.maxFieldLength) {
      this.fieldOversize = true;
      this.error(this.fieldLine, this.fieldColumn, msg('csv.fieldTooLarge', { max: this.maxFieldLength }));
      this.field += s.slice(0, Math.max(0, this.maxFieldLength - (this.fieldLength - s.length)));
      return;
    }
    this.field += s;
  }

  private endField(): void {
    if (this.atFieldStart) {
      // An empty field right after a delimiter (or an empty last field) starts here.
      this.fieldLine = this.line;
      this.fieldColumn = this.offset - this.lineStart + 1;
    }
    if (this.fields.length === 0) this.rowLine = this.fieldLine;
    this.fields.push(this.field);
    this.lines.push(this.fieldLine);
    this.columns.push(this.fieldColumn);
    this.field = '';
    this.fieldLength = 0;
    this.fieldOversize = false;
    this.afterClosingQuote = false;
    this.fieldErrorReported = false;
    this.quotePending = false;
  }

  private endRecord(): void {
    const quotedEmpty = this.afterClosingQuote;
    const blank = this.fields.length === 0 && this.field === '' && !quotedEmpty && !this.fieldOversize;
    if (blank) {
      // A blank line: not a record (spreadsheets leave them at the end).
      this.atFieldStart = true;
      return;
    }
    if (this.atFieldStart) {
      // The record ends right after a delimiter: its last field is empty and starts here.
      this.fieldLine = this.line;
    }
    this.endField();
    this.records++;
    const row: CsvRow = {
      line: this.rowLine,
      record: this.records,
      fields: this.fields,
      lines: this.lines,
      columns: this.columns,
    };
    this.fields = [];
    this.lines = [];
    this.columns = [];
    this.atFieldStart = true;
    this.onRow(row);
  }

  private error(line: number, column: number, why: ImportMessage): void {
    this.errorCount++;
    if (this.errors.length < this.maxErrors) {
      this.errors.push({ line, column, ...why, message: renderMessage(why) });
    }
  }
}

export interface ParsedCsv {
  rows: CsvRow[];
  errors: CsvError[];
  errorCount: number;
}

/** Parses a whole string. */
export function parseCsv(text: string, options: CsvOptions = {}): ParsedCsv {
  const rows: CsvRow[] = [];
  const parser = new CsvParser((row) => rows.push(row), options);
  parser.push(text);
  parser.end();
  return { rows, errors: parser.errors, errorCount: parser.errorCount };
}

/** Streams a UTF-8 file through the parser (the stream's decoder keeps multi-byte characters whole). */
export async function parseCsvFile(
  file: string,
  onRow: (row: CsvRow) => void,
  options: CsvOptions = {},
): Promise<{ errors: CsvError[]; errorCount: number }> {
  const parser = new CsvParser(onRow, options);
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream) parser.push(chunk as string);
  parser.end();
  return { errors: parser.errors, errorCount: parser.errorCount };
}

/** Reads a whole CSV file into rows. */
export async function readCsvFile(file: string, options: CsvOptions = {}): Promise<ParsedCsv> {
  const rows: CsvRow[] = [];
  const result = await parseCsvFile(file, (row) => rows.push(row), options);
  return { rows, ...result };
}

/**
 * A value for CSV output (the writer half, used by the exports): formula-like text neutralised
 * for spreadsheets (formula-cells.ts), then quoted when it needs it.
 */
export function csvField(raw: string): string {
  const value = neutraliseFormula(raw);
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(values: readonly string[]): string {
  return values.map(csvField).join(',') + '\r\n';
}
