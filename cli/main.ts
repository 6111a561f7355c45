/**
 * `esp`: the command-line face of ESP+ Studio. Each command lives in `commands/` and registers a
 * path (e.g. `rules validate`); exit codes: 0 ok, 1 the checked thing is invalid, 2 bad input or usage.
 */
import { commands, type Command } from './commands/index.js';
import { CliError } from './io.js';
import { takeLangOption } from './locale.js';

function usage(): string {
  const lines = commands.map((c) => `  esp ${c.path.join(' ')} ${c.usage}`.trimEnd() + `\n      ${c.summary}`);
  return `Usage:\n${lines.join('\n')}\n\nEvery command takes --lang zh-CN|en (default: LANG).\n`;
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

export async function main(rawArgv: string[]): Promise<number> {
  const argv = takeLangOption(rawArgv);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const found = match(argv);
  if (!found) {
    process.stderr.write(`esp: unknown command "${argv.join(' ')}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await found.command.run(found.rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`esp ${found.command.path.join(' ')}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
