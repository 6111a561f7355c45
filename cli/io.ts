/** Shared CLI plumbing: argument parsing and errors that carry their exit code. */
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { translate, type MessageKey, type Params } from '../i18n/catalog.js';
import { locale } from './locale.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
    /** The catalogue key of a coded error, shown beside its message. */
    readonly code?: MessageKey,
  ) {
    super(message);
    this.name = 'CliError';
  }

  /** A usage error from the catalogues, in the CLI's language, with its code. */
  static coded(code: MessageKey, params: Params, exitCode = 2): CliError {
    return new CliError(translate(locale(), code, params), exitCode, code);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs. Its own errors are English and say nothing a script can match, so the
 * arguments are read leniently as tokens first and every misuse becomes a coded error naming the
 * option or argument: an unknown option, a string option without its value, a value given to a
 * flag, a positional where the command takes none. Exit code 2.
 */
export function parseOptions<T extends Options>(args: string[], options: T, allowPositionals = true) {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'positional') {
      if (!allowPositionals) throw CliError.coded('cli.args.unexpectedArgument', { argument: t.value });
      continue;
    }
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (!spec) throw CliError.coded('cli.args.unknownOption', { option: t.rawName });
    if (spec.type === 'string' && t.value === undefined) throw CliError.coded('cli.args.missingValue', { option: t.rawName });
    if (spec.type === 'boolean' && t.inlineValue) throw CliError.coded('cli.args.unexpectedValue', { option: t.rawName });
  }
  // Checked above, so the strict parse cannot fail; it gives the typed values and the defaults.
  return parseArgs({ args, options, allowPositionals, strict: true });
}

/** Who a command acts as, for what it records (`cli:<ESP_USER or the OS user>`). */
export function cliUser(): string {
  const name =
    process.env['ESP_USER'] ||
    (() => {
      try {
        return userInfo().username;
      } catch {
        return 'unknown';
      }
    })();
  return `cli:${name}`;
}
