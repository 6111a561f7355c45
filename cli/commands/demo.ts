/** `esp demo seed`: deterministic demo data (users, teams, accounts, visits, opportunities). */
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD } from '../../db/demo/generate.js';
import { seedDemo } from '../../db/demo/seed.js';
import { CliError, parseOptions } from '../io.js';
import { withDatabase } from './db.js';
import type { CommandRunner } from './index.js';

function wholeNumber(value: string | undefined, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value)))
    throw new CliError(`--${option} must be a whole number ≥ ${min}, not "${value}"`);
  return Number(value);
}

export const demoSeedCommand: CommandRunner = {
  async run(args) {
    const { values } = parseOptions(
      args,
      { accounts: { type: 'string' }, seed: { type: 'string' }, today: { type: 'string' } },
      false,
    );
    const accounts = wholeNumber(values.accounts, 'accounts', 500, 0);
    const seed = wholeNumber(values.seed, 'seed', 1, -2147483648);
    const today = values.today ?? new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new CliError(`--today must be YYYY-MM-DD, not "${today}"`);
    // A progress line only where it helps: large runs on a terminal.
    const progress = accounts >= 5000 && process.stderr.isTTY;
    const started = performance.now();
    return withDatabase(async (db) => {
      const r = await seedDemo(db, {
        accounts,
        seed,
        today,
        onProgress: (done, total) => {
          if (progress)
            process.stderr.write(`\rseeding accounts ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
        },
      });
      if (progress) process.stderr.write('\n');
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `demo seed ${r.seed} (today ${r.today}): ${r.accounts} accounts, ${r.contacts} contacts, ${r.competitors} competitors, ` +
          `${r.influenceLinks} influence links, ${r.visits} visits, ${r.opportunities} opportunities, ${r.users} users (${r.usersCreated} new), ${r.teams} teams in ${seconds}s\n` +
          `log in as ${DEMO_ADMIN_EMAIL} (or manager1@example.com …) with the password "${DEMO_PASSWORD}"\n`,
      );
      return 0;
    });
  },
};
