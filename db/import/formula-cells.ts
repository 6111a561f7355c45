/**
 * Spreadsheet formula injection (OWASP "CSV Injection"): a cell that begins with `=`, `+`, `-`,
 * `@`, a tab or a carriage return is run as a formula when a spreadsheet opens the file, so an
 * account named `=HYPERLINK("http://evil.example","x")` becomes a live link in an export. Every CSV
 * the project writes prefixes such cells with a single quote, which spreadsheets show as text; the
 * importer takes the quote off again, so export → import gives back the original text.
 *
 * Plain numbers (`-5`, `+0.25`) are left alone: they are not formulas, and the numeric columns
 * must stay numbers.
 */

const TRIGGER = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** The cell as written to a CSV file: text that a spreadsheet would evaluate gets a leading `'`. */
export function neutraliseFormula(value: string): string {
  return TRIGGER.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

/** The original text of a cell that `neutraliseFormula` prefixed; any other cell as it is. */
export function restoreFormula(value: string): string {
  return value.startsWith("'") && TRIGGER.test(value.slice(1)) && !PLAIN_NUMBER.test(value.slice(1)) ? value.slice(1) : value;
}
