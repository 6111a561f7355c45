/** The command registry: one import and one entry per command module. */
import { evaluateCommand } from './evaluate.js';
import { validateCommand } from './validate.js';

export interface Command {
  path: string[];
  usage: string;
  summary: string;
  run(args: string[]): Promise<number>;
}

export const commands: Command[] = [
  evaluateCommand,
  validateCommand,
];
