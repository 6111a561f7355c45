/** `esp rules validate <file|dir>`: every problem of every rule set file; exit 1 if any. */
import { existsSync } from 'node:fs';
import { validateRuleFiles } from '../../rules/load.js';
import { CliError, parseOptions } from '../io.js';
import { issueLine } from '../locale.js';
import type { CommandRunner } from './index.js';

export const validateCommand: CommandRunner = {
  async run(args) {
    const { positionals } = parseOptions(args, {});
    const target = positionals[0];
    if (!target || positionals.length > 1) throw new CliError('expected one rule set file or directory');
    if (!existsSync(target)) throw new CliError(`${target}: no such file or directory`);
    const results = validateRuleFiles(target);
    let problems = 0;
    for (const r of results) {
      if (r.error) {
        problems++;
        process.stderr.write(`${r.error}\n`);
      }
      for (const i of r.issues) process.stderr.write(`${issueLine(i, r.file)}\n`);
      problems += r.issues.length;
      if (!r.error && r.issues.length === 0) process.stdout.write(`${r.file}: ok\n`);
    }
    if (problems > 0) process.stderr.write(`${problems} problem${problems === 1 ? '' : 's'} in ${results.length} file${results.length === 1 ? '' : 's'}\n`);
    return problems > 0 ? 1 : 0;
  },
};
