/**
 * `esp`: the command-line face of ESP+ Studio. Each command lives in `commands/` and is listed with
 * its path (e.g. `rules validate`) in `commands/index.ts`, which loads its module only when it runs.
 * Exit codes: 0 ok, 1 the checked thing is invalid, 2 bad input or usage.
 */
import { translate } from '../i18n/catalog.js';
import { commands, type Command } from './commands/index.js';
import { CliError } from './io.js';
import { locale, takeLangOption } from './locale.js';

function usage(): string {
  const lines = commands.map(
    (c) => `  esp ${c.path.join(' ')} ${c.usage}`.trimEnd() + `\n      ${translate(locale(), c.summary, c.summaryParams)}`,
  );
  return `${translate(locale(), 'cli.help.usage')}\n${lines.join('\n')}\n\n${translate(locale(), 'cli.help.lang')}\n`;
}

function match(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of commands) {
    const n = command.path.length;
    if (argv.slice(0, n).join(' ') === command.path.join(' ') && (!best || n > best.command.path.length))
      best = { command, rest: argv.slice(n) };
  }
  return best;
}

/** A usage error on stderr as `esp [command]: message [code]`; exit code 2 unless it says otherwise. */
function report(error: CliError, command?: Command): number {
  const where = command ? `esp ${command.path.join(' ')}` : 'esp';
  process.stderr.write(`${where}: ${error.message}${error.code ? ` [${error.code}]` : ''}\n`);
  return error.exitCode;
}

export async function main(rawArgv: string[]): Promise<number> {
  const { rest: argv, missingValue } = takeLangOption(rawArgv);
  if (missingValue) return report(CliError.coded('cli.args.missingValue', { option: missingValue }));
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const found = match(argv);
  if (!found) {
    report(CliError.coded('cli.unknownCommand', { command: argv.join(' ') }));
    process.stderr.write(`\n${usage()}`);
    return 2;
  }
  try {
    return await (await found.command.load()).run(found.rest);
  } catch (error) {
    if (error instanceof CliError) return report(error, found.command);
    throw error;
  }
}
