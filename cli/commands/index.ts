/** The command registry: one import and one entry per command module. */
import { dbMigrateCommand } from './db.js';
import { rulesCommands } from './rules.js';
import { evaluateCommand } from './evaluate.js';
import { validateCommand } from './validate.js';
import { importCommands } from './import.js';
import { exportCommands } from './export.js';
import { demoCommands } from './demo.js';
import { workflowCommands } from './workflows.js';
import { reviewRunCommand } from './review.js';
import { scheduleApplyCommand } from './schedule.js';

export interface Command {
  path: string[];
  usage: string;
  summary: string;
  run(args: string[]): Promise<number>;
}

export const commands: Command[] = [
  evaluateCommand,
  validateCommand,
  dbMigrateCommand,
  ...rulesCommands,
  ...importCommands,
  ...exportCommands,
  ...demoCommands,
  ...workflowCommands,
  reviewRunCommand,
  scheduleApplyCommand,
];
