/**
 * The command registry: what `esp --help` lists, and where each command lives. A command's module
 * is imported only when that command runs, so `esp --help` and `esp rules validate` never load the
 * database drivers or the Temporal client (test/cli-lazy.test.ts checks it).
 */
import type { MessageKey, Params } from '../../i18n/catalog.js';
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD } from '../../db/demo/generate.js';

/** What a command module exports: the command's work, given the arguments after its path. */
export interface CommandRunner {
  run(args: string[]): Promise<number>;
}

export interface Command {
  path: string[];
  /** Syntax, the same in every language. */
  usage: string;
  /** One line for `esp --help`, from the catalogues. */
  summary: MessageKey;
  summaryParams?: Params;
  load(): Promise<CommandRunner>;
}

export const commands: Command[] = [
  {
    path: ['evaluate'],
    usage: '--accounts <file.json> [--rules <dir>] [--format json|table]',
    summary: 'cli.help.evaluate',
    load: async () => (await import('./evaluate.js')).evaluateCommand,
  },
  {
    path: ['rules', 'validate'],
    usage: '<file|dir>',
    summary: 'cli.help.rulesValidate',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  {
    path: ['db', 'migrate'],
    usage: '',
    summary: 'cli.help.dbMigrate',
    load: async () => (await import('./db.js')).dbMigrateCommand,
  },
  {
    path: ['rules', 'list'],
    usage: '',
    summary: 'cli.help.rulesList',
    load: async () => (await import('./rules.js')).rulesListCommand,
  },
  {
    path: ['rules', 'show'],
    usage: '<industry> [--version N | --draft] [--effective]',
    summary: 'cli.help.rulesShow',
    load: async () => (await import('./rules.js')).rulesShowCommand,
  },
  {
    path: ['rules', 'diff'],
    usage: '<industry> <a> <b> [--json]',
    summary: 'cli.help.rulesDiff',
    load: async () => (await import('./rules.js')).rulesDiffCommand,
  },
  {
    path: ['rules', 'publish'],
    usage: '<industry> --file <json> --comment <why> [--by <name>] [--no-workflows]',
    summary: 'cli.help.rulesPublish',
    load: async () => (await import('./rules.js')).rulesPublishCommand,
  },
  {
    path: ['rules', 'rollback'],
    usage: '<industry> <version> --comment <why> [--by <name>] [--no-workflows]',
    summary: 'cli.help.rulesRollback',
    load: async () => (await import('./rules.js')).rulesRollbackCommand,
  },
  {
    path: ['import', 'accounts'],
    usage: '<file.csv|file.json> [--no-workflows]',
    summary: 'cli.help.importAccounts',
    load: async () => (await import('./import.js')).importAccountsCommand,
  },
  {
    path: ['import', 'contacts'],
    usage: '<file.csv|file.json> [--no-workflows]',
    summary: 'cli.help.importContacts',
    load: async () => (await import('./import.js')).importContactsCommand,
  },
  {
    path: ['import', 'crm'],
    usage:
      '--accounts <accounts.csv> --opportunities <pipeline.csv> --teams <teams.csv> --as-of <YYYY-MM-DD> [--mapping <mapping.json>] [--dry-run] [--no-workflows]',
    summary: 'cli.help.importCrm',
    load: async () => (await import('./import.js')).importCrmCommand,
  },
  {
    path: ['export', 'accounts'],
    usage: '--format csv|json [--out <file>] [--industry a,b] [--tier T1,T2] [--class A,B] [--stage plan,...]',
    summary: 'cli.help.exportAccounts',
    load: async () => (await import('./export.js')).exportAccountsCommand,
  },
  {
    path: ['demo', 'seed'],
    usage: '[--accounts N] [--seed S] [--today YYYY-MM-DD]',
    summary: 'cli.help.demoSeed',
    summaryParams: { email: DEMO_ADMIN_EMAIL, password: DEMO_PASSWORD },
    load: async () => (await import('./demo.js')).demoSeedCommand,
  },
  {
    path: ['workflows', 'start'],
    usage: '[<accountId>...] [--all] [--concurrency N] [--task-activities]',
    summary: 'cli.help.workflowsStart',
    load: async () => (await import('./workflows.js')).workflowsStartCommand,
  },
  {
    path: ['workflows', 'state'],
    usage: '<accountId> [--format text|json]',
    summary: 'cli.help.workflowsState',
    load: async () => (await import('./workflows.js')).workflowsStateCommand,
  },
  {
    path: ['review', 'run'],
    usage: '--year Y [--window N] [--no-wait]',
    summary: 'cli.help.reviewRun',
    load: async () => (await import('./review.js')).reviewRunCommand,
  },
  {
    path: ['schedule', 'apply'],
    usage: '[--month M --day D] [--hour H] [--timezone TZ]',
    summary: 'cli.help.scheduleApply',
    load: async () => (await import('./schedule.js')).scheduleApplyCommand,
  },
];
