/**
 * `esp review run --year Y`: starts the annual review of cycle year Y now (or attaches to the one
 * running) and prints its progress until it is done.
 */
import { reviewProgress, startReview } from '../../workflows/client.js';
import type { ReviewProgress } from '../../workflows/types.js';
import { CliError, parseOptions } from '../io.js';
import type { CommandRunner } from './index.js';
import { withTemporal } from './workflows.js';

const line = (p: ReviewProgress) =>
  `${p.status}: ${p.done + p.skipped + p.failed}/${p.total} (done ${p.done}, skipped ${p.skipped}, failed ${p.failed}, in flight ${p.inFlight})`;

export const reviewRunCommand: CommandRunner = {
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      year: { type: 'string' },
      window: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
    });
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
    const year = Number(values.year);
    if (!values.year || !Number.isInteger(year) || year < 1900 || year > 9999) throw new CliError('--year YYYY is required');
    const window = values.window === undefined ? undefined : Number(values.window);
    if (window !== undefined && (!Number.isInteger(window) || window < 1))
      throw new CliError('--window must be a whole number ≥ 1');
    return withTemporal(async (c) => {
      const handle = await startReview(c.client, { year, ...(window ? { window } : {}) }, { taskQueue: c.taskQueue });
      process.stdout.write(`review of ${year}: workflow ${handle.workflowId}\n`);
      if (values['no-wait']) return 0;
      let last = '';
      for (;;) {
        const description = await handle.describe();
        const p = await reviewProgress(handle).catch(() => undefined);
        if (p) {
          const text = line(p);
          if (text !== last) process.stdout.write(text + '\n');
          last = text;
        }
        if (description.status.name !== 'RUNNING') {
          if (description.status.name !== 'COMPLETED') throw new CliError(`the review ended ${description.status.name}`, 1);
          const final = await handle.result();
          if (line(final) !== last) process.stdout.write(line(final) + '\n');
          for (const f of final.failures) process.stderr.write(`  ${f.accountId}: ${f.error}\n`);
          return final.failed > 0 ? 1 : 0;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
  },
};
