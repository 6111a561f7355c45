/**
 * The CLI's language: `--lang zh-CN|en` wins, else `LC_ALL` / `LC_MESSAGES` / `LANG`, else English.
 * Messages come from the studio's catalogues so both speak the same words.
 */
import { negotiateLocale, translateIssue, type Locale } from '../i18n/catalog.js';
import type { Issue } from '../engine/index.js';

const fromEnvironment = (): Locale => negotiateLocale(process.env['LC_ALL'] || process.env['LC_MESSAGES'] || process.env['LANG']);

let current: Locale = fromEnvironment();

/**
 * Removes a global `--lang X` / `--lang=X` from the arguments and applies it; without one, the
 * environment's language (read again, so one command's `--lang` does not stick to the next `main()`).
 */
export function takeLangOption(argv: string[]): string[] {
  current = fromEnvironment();
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--lang') current = negotiateLocale(argv[++i], current);
    else if (a.startsWith('--lang=')) current = negotiateLocale(a.slice('--lang='.length), current);
    else out.push(a);
  }
  return out;
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
