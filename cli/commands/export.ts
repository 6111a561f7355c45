/** `esp export accounts`: profiles plus the computed tier, class, strategy and stage, as CSV or JSON. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { TIERS, CLASSES, STAGES } from '../../engine/model.js';
import { exportAccounts, EXPORT_FORMATS, type ExportFormat } from '../../db/export/accounts.js';
import type { AccountFilter } from '../../db/repositories/accounts.js';
import { CliError, parseOptions } from '../io.js';
import { withDatabase } from './db.js';
import type { CommandRunner } from './index.js';

class OutputClosed extends Error {}

/**
 * Writes respecting back-pressure, so 100,000 rows to a slow pipe do not pile up in memory. A
 * reader that goes away (`esp export accounts | head`) ends the export quietly.
 */
function writer(stream: NodeJS.WritableStream): (chunk: string) => Promise<void> {
  let failed: Error | undefined;
  stream.on('error', (error: Error) => {
    failed = error;
  });
  const check = () => {
    if (!failed) return;
    if ((failed as NodeJS.ErrnoException).code === 'EPIPE') throw new OutputClosed();
    throw failed;
  };
  return async (chunk) => {
    check();
    if (!stream.write(chunk)) {
      try {
        await once(stream, 'drain');
      } catch (error) {
        failed ??= error as Error;
      }
    }
    check();
  };
}

function list<T extends string>(value: string | undefined, allowed: readonly T[] | undefined, option: string): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (allowed)
    for (const i of items)
      if (!allowed.includes(i as T)) throw new CliError(`--${option}: "${i}" is not one of ${allowed.join(', ')}`);
  return items as T[];
}

export const exportAccountsCommand: CommandRunner = {
  async run(args) {
    const { values } = parseOptions(
      args,
      {
        format: { type: 'string' },
        out: { type: 'string' },
        industry: { type: 'string' },
        tier: { type: 'string' },
        class: { type: 'string' },
        stage: { type: 'string' },
      },
      false,
    );
    const format = (values.format ?? 'csv') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) throw new CliError(`--format must be csv or json, not "${values.format}"`);
    const filter: AccountFilter = {};
    const industry = list(values.industry, undefined, 'industry');
    const tier = list(values.tier, TIERS, 'tier');
    const cls = list(values.class, CLASSES, 'class');
    const stage = list(values.stage, STAGES, 'stage');
    if (industry) filter.industry = industry;
    if (tier) filter.tier = tier;
    if (cls) filter.class = cls;
    if (stage) filter.stage = stage;
    return withDatabase(async (db) => {
      const stream = values.out ? createWriteStream(values.out, { encoding: 'utf8' }) : process.stdout;
      let n: number;
      try {
        n = await exportAccounts(db, format, writer(stream), filter);
      } catch (error) {
        if (error instanceof OutputClosed) return 0;
        throw error;
      }
      if (values.out) {
        (stream as WriteStream).end();
        await once(stream, 'finish');
        process.stderr.write(`${values.out}: ${n} account${n === 1 ? '' : 's'} exported\n`);
      }
      return 0;
    });
  },
};
