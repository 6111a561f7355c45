/**
 * The CLI's language: `--lang zh-CN|en` wins, else `LC_ALL` / `LC_MESSAGES` / `LANG`, else English.
 * Messages come from the studio's catalogues so both speak the same words.
 */
import { parseArgs } from 'node:util';
import { negotiateLocale, translateIssue, type Locale } from '../i18n/catalog.js';
import type { Issue } from '../engine/index.js';

const fromEnvironment = (): Locale => negotiateLocale(process.env['LC_ALL'] || process.env['LC_MESSAGES'] || process.env['LANG']);

let current: Locale = fromEnvironment();

/**
 * Removes a global `--lang X` / `--lang=X` from the arguments and applies it; without one, the
 * environment's language (read again, so one command's `--lang` does not stick to the next `main()`).
 * Returns the remaining arguments, or the `--lang` without a value (a usage error for `main`).
 */
export function takeLangOption(argv: string[]): { rest: string[]; missingValue?: string } {
  current = fromEnvironment();
  const { tokens } = parseArgs({
    args: argv,
    options: { lang: { type: 'string' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const taken = new Set<number>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name !== 'lang') continue;
    if (t.value === undefined) return { rest: argv, missingValue: t.rawName };
    current = negotiateLocale(t.value, current);
    taken.add(t.index);
    if (!t.inlineValue) taken.add(t.index + 1);
  }
  return { rest: argv.filter((_, i) => !taken.has(i)) };
}

export function locale(): Locale {
  return current;
}

/**
 * A rule set issue in the CLI's language: `file: $.path: message`. English keeps the engine's own
 * wording, which scripts and the docs quote; other languages come from the catalogue.
 */
export function issueLine(i: Issue, file?: string): string {
  return `${file ? `${file}: ` : ''}${i.path}: ${current === 'en' ? i.message : translateIssue(current, i)}`;
}
