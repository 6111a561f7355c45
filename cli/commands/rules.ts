/**
 * `esp rules list|show|diff|publish|rollback`: the stored, versioned rule sets (the studio edits
 * the same ones). Exit codes: 0 ok, 1 the rule set is invalid, 2 bad input (usage, unreadable
 * file, unknown version, a conflicting draft).
 */
import { readFile } from 'node:fs/promises';
import { resolveRuleSet } from '../../engine/ruleset-format/validate.js';
import { FALLBACK_INDUSTRY } from '../../engine/ruleset-format/schema.js';
import type { Issue } from '../../engine/ruleset-format/issues.js';
import { issueLine } from '../locale.js';
import { BadRequestError, ConflictError, InvalidRuleSetError, NotFoundError } from '../../db/repositories/errors.js';
import {
  diffVersions,
  getDocument,
  getEffective,
  getPublished,
  listIndustries,
  publishDocument,
  rollback,
  type PublishResult,
  type VersionRef,
} from '../../db/repositories/rule-sets.js';
import { signalRulesPublished } from '../../workflows/rules-published.js';
import { temporalSettings } from '../../workflows/connection.js';
import type { Db } from '../../db/client.js';
import { CliError, cliUser, parseOptions } from '../io.js';
import { withDatabase } from './db.js';
import type { CommandRunner } from './index.js';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

function parseVersion(text: string | undefined, what: string, allowNamed = false): VersionRef {
  if (text === undefined) throw new CliError(`expected ${what}`);
  if (allowNamed && (text === 'draft' || text === 'published')) return text;
  if (!/^[1-9]\d*$/.test(text))
    throw new CliError(`${what} must be a version number${allowNamed ? ', "draft" or "published"' : ''}, not "${text}"`);
  return Number(text);
}

function positionals(args: string[], n: number, names: string): string[] {
  if (args.length !== n) throw new CliError(`expected ${names}`);
  return args;
}

/** Repository errors → exit codes; validation problems are printed one per line with their path. */
function report(error: unknown, source: string, writing = false): number {
  const tail = writing ? '; nothing was changed' : '';
  if (error instanceof InvalidRuleSetError) {
    const lines = (issues: Issue[], prefix: string) => issues.forEach((i) => err(issueLine(i, prefix.replace(/: $/, ''))));
    lines(error.issues, `${source}: `);
    for (const a of error.affected)
      lines(a.issues, `${source}: breaks the published "${a.industry}" rule set (version ${a.version}): `);
    err(`${error.message}${tail}`);
    return 1;
  }
  if (error instanceof BadRequestError || error instanceof NotFoundError || error instanceof ConflictError)
    throw new CliError(`${error.message}${tail}`, 2);
  throw error;
}

function describeResult(r: PublishResult): void {
  out(
    `published "${r.published.industry}" version ${r.published.version}` +
      (r.archived ? ` (version ${r.archived.version} archived)` : '') +
      `: ${r.published.comment}`,
  );
  if (r.published.industry === FALLBACK_INDUSTRY)
    out(
      `the effective rule set of every industry changed (own overrides: ${r.affectedIndustries.filter((i) => i !== FALLBACK_INDUSTRY).join(', ') || 'none'})`,
    );
}

/**
 * Tells the affected account workflows (the publish has committed either way). Exit code stays 0
 * when Temporal is unreachable: the workflows catch up by themselves once a worker runs.
 */
async function tellWorkflows(db: Db, r: PublishResult): Promise<void> {
  const report = await signalRulesPublished(db, { industry: r.published.industry, version: r.published.version! });
  if (!report.reachable) {
    err(
      `the account workflows were NOT told: Temporal at ${temporalSettings().address} is unreachable (${report.errors[0] ?? 'no answer'}); ` +
        'they catch up when a worker starts, and every few minutes while one runs',
    );
    return;
  }
  out(
    `told ${report.signalled} of ${report.targets} account workflows` +
      (report.notRunning ? ` (${report.notRunning} not running)` : '') +
      (report.failed ? `; ${report.failed} FAILED, caught up later: ${report.errors.join('; ')}` : ''),
  );
}

async function readDocument(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: cannot read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new CliError(`${file}: $: a rule set must be a JSON object`);
  // `$schema` is a path relative to the file, meaningless once stored.
  const { $schema: _schema, ...document } = json as Record<string, unknown>;
  return document;
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));

export const rulesListCommand: CommandRunner = {
  async run(args) {
    parseOptions(args, {}, false);
    return withDatabase(async (db) => {
      const rows = (await listIndustries(db)).map((l) => [
        l.industry,
        l.published ? `v${l.published.version}` : '-',
        l.published?.publishedAt?.toISOString().slice(0, 16).replace('T', ' ') ?? '',
        l.published?.publishedBy ?? '',
        l.draft ? `draft r${l.draft.revision}${l.draft.editedBy ? ` by ${l.draft.editedBy}` : ''}` : '',
        l.published?.comment ?? '',
      ]);
      const header = ['industry', 'version', 'published', 'by', 'draft', 'comment'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [header, ...rows])
        out(
          r
            .map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]!)))
            .join('  ')
            .trimEnd(),
        );
      return 0;
    });
  },
};

export const rulesShowCommand: CommandRunner = {
  async run(args) {
    const { values, positionals: pos } = parseOptions(args, {
      version: { type: 'string' },
      draft: { type: 'boolean' },
      effective: { type: 'boolean' },
    });
    const [industry] = positionals(pos, 1, 'one industry (use "*" for the fallback)');
    if (values.version !== undefined && values.draft) throw new CliError('--version and --draft exclude each other');
    const ref: VersionRef = values.draft
      ? 'draft'
      : values.version !== undefined
        ? parseVersion(values.version, '--version')
        : 'published';
    return withDatabase(async (db) => {
      try {
        if (values.effective && ref === 'published') {
          const e = await getEffective(db, industry!);
          if (e.industry !== industry) err(`"${industry}" has no rule set of its own: showing the fallback "*"`);
          err(`effective ${e.key}`);
          out(JSON.stringify(e.ruleSet, null, 2));
          return 0;
        }
        const row = await getDocument(db, industry!, ref);
        if (!values.effective) {
          out(JSON.stringify(row.document, null, 2));
          return 0;
        }
        const base = industry === FALLBACK_INDUSTRY ? undefined : await getPublished(db, FALLBACK_INDUSTRY);
        const v = base ? resolveRuleSet(base.document, row.document) : resolveRuleSet(row.document);
        if (!v.ok)
          return report(new InvalidRuleSetError(`"${industry}" ${ref} does not resolve`, v.issues), `${industry} ${ref}`);
        out(JSON.stringify(v.ruleSet, null, 2));
        return 0;
      } catch (error) {
        return report(error, industry!);
      }
    });
  },
};

export const rulesDiffCommand: CommandRunner = {
  async run(args) {
    const { values, positionals: pos } = parseOptions(args, { json: { type: 'boolean' } });
    const [industry, a, b] = positionals(pos, 3, '<industry> <a> <b>');
    const from = parseVersion(a, 'a', true);
    const to = parseVersion(b, 'b', true);
    return withDatabase(async (db) => {
      try {
        const changes = await diffVersions(db, industry!, from, to);
        if (values.json) out(JSON.stringify(changes, null, 2));
        else if (changes.length === 0) out('no differences');
        else
          for (const c of changes)
            out(
              c.kind === 'added'
                ? `${c.path}: added ${JSON.stringify(c.after)}`
                : c.kind === 'removed'
                  ? `${c.path}: removed (was ${JSON.stringify(c.before)})`
                  : `${c.path}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`,
            );
        return 0;
      } catch (error) {
        return report(error, industry!);
      }
    });
  },
};

export const rulesPublishCommand: CommandRunner = {
  async run(args) {
    const { values, positionals: pos } = parseOptions(args, {
      file: { type: 'string' },
      comment: { type: 'string' },
      by: { type: 'string' },
      'no-workflows': { type: 'boolean' },
    });
    const [industry] = positionals(pos, 1, 'one industry (use "*" for the fallback)');
    if (!values.file) throw new CliError('--file <json> is required');
    if (!values.comment?.trim()) throw new CliError('--comment is required: say why the rule set changes');
    const document = await readDocument(values.file);
    return withDatabase(async (db) => {
      try {
        const result = await publishDocument(db, industry!, document, {
          comment: values.comment!,
          by: values.by ?? cliUser(),
        });
        describeResult(result);
        if (!values['no-workflows']) await tellWorkflows(db, result);
        return 0;
      } catch (error) {
        return report(error, values.file!, true);
      }
    });
  },
};

export const rulesRollbackCommand: CommandRunner = {
  async run(args) {
    const { values, positionals: pos } = parseOptions(args, {
      comment: { type: 'string' },
      by: { type: 'string' },
      'no-workflows': { type: 'boolean' },
    });
    const [industry, v] = positionals(pos, 2, '<industry> <version>');
    const version = parseVersion(v, '<version>') as number;
    if (!values.comment?.trim()) throw new CliError('--comment is required: say why you roll back');
    return withDatabase(async (db) => {
      try {
        const result = await rollback(db, industry!, version, { comment: values.comment!, by: values.by ?? cliUser() });
        describeResult(result);
        if (!values['no-workflows']) await tellWorkflows(db, result);
        return 0;
      } catch (error) {
        return report(error, `${industry} version ${version}`, true);
      }
    });
  },
};
