import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runEsp } from './helpers/cli.js';
import { createPostgresDatabase, DRIVERS } from './helpers/databases.js';
import { deadAddress } from './helpers/ports.js';

// Every command opens, migrates and closes the database like a real invocation: PGlite's start-up
// several times per test needs more than the default timeout on a busy machine.
vi.setConfig({ testTimeout: 180_000 });

describe.each(DRIVERS)('esp db / esp rules on %s', (driver) => {
  const saved = {
    url: process.env['DATABASE_URL'],
    dir: process.env['PGLITE_DATA_DIR'],
    temporal: process.env['TEMPORAL_ADDRESS'],
  };
  let temporalDown: Awaited<ReturnType<typeof deadAddress>> | undefined;
  const files = mkdtempSync(join(tmpdir(), 'esp-cli-'));
  let drop: (() => Promise<void>) | undefined;
  let failure: unknown;

  beforeAll(async () => {
    // Publishing tells the workflows; here Temporal is down, and the command says so.
    temporalDown = await deadAddress();
    process.env['TEMPORAL_ADDRESS'] = temporalDown.address;
    // The CLI opens the database from the environment, like a user's shell.
    if (driver === 'postgres') {
      try {
        const created = await createPostgresDatabase();
        drop = created.drop;
        process.env['DATABASE_URL'] = created.url;
      } catch (error) {
        failure = error;
      }
    } else {
      delete process.env['DATABASE_URL'];
      process.env['PGLITE_DATA_DIR'] = join(files, 'pglite');
    }
  });
  // Every test fails with the reason, rather than being reported as skipped.
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
  afterAll(async () => {
    if (saved.url === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = saved.url;
    if (saved.dir === undefined) delete process.env['PGLITE_DATA_DIR'];
    else process.env['PGLITE_DATA_DIR'] = saved.dir;
    if (saved.temporal === undefined) delete process.env['TEMPORAL_ADDRESS'];
    else process.env['TEMPORAL_ADDRESS'] = saved.temporal;
    await temporalDown?.close();
    await drop?.();
    rmSync(files, { recursive: true, force: true });
  });

  const file = (name: string, content: unknown) => {
    const path = join(files, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('migrates and seeds, then lists', async () => {
    const migrated = await runEsp('db', 'migrate');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain(`${driver} `);
    expect(migrated.stdout).toContain('published the default rule sets of *, energy, finance');
    expect((await runEsp('db', 'migrate')).stdout).not.toContain('published');
    const list = await runEsp('rules', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[1]).toMatch(/^\*\s+v1\s/);
  });

  it('publishes a valid file, refuses an invalid one with file and JSON path', async () => {
    const bad = file('bad.json', { industry: 'finance', extends: '*', grade: { weights: { revenue: 0.5 } } });
    const refused = await runEsp('rules', 'publish', 'finance', '--file', bad, '--comment', 'try');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${bad}: $.grade.weights: weights must sum to 1`);
    expect(refused.stderr).toContain('nothing was changed');

    const noComment = await runEsp('rules', 'publish', 'finance', '--file', bad);
    expect(noComment.code).toBe(2);
    expect(noComment.stderr).toContain('--comment is required');

    const broken = file('broken.json', '{"industry": ');
    const unreadable = await runEsp('rules', 'publish', 'finance', '--file', broken, '--comment', 'x');
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain(`${broken}: not valid JSON`);

    const good = file('good.json', {
      $schema: '../override.schema.json',
      industry: 'finance',
      extends: '*',
      grade: { bandScale: { revenue: 2.5, potential: 2 } },
    });
    const published = await runEsp('rules', 'publish', 'finance', '--file', good, '--comment', 'bigger banks', '--by', 'alice');
    expect(published.code).toBe(0);
    expect(published.stdout).toContain('published "finance" version 2 (version 1 archived): bigger banks');
    // Committed all the same; the workflows catch up once Temporal is back.
    expect(published.stderr).toContain(
      `the account workflows were NOT told: Temporal at ${temporalDown!.address} is unreachable`,
    );
    const quiet = await runEsp('rules', 'rollback', 'finance', '1', '--comment', 'quiet', '--no-workflows');
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('NOT told');
    expect((await runEsp('rules', 'rollback', 'finance', '2', '--comment', 'back', '--no-workflows')).code).toBe(0);
  });

  it('shows, diffs and rolls back', async () => {
    const shown = await runEsp('rules', 'show', 'finance', '--version', '2');
    expect(JSON.parse(shown.stdout)).toEqual({
      industry: 'finance',
      extends: '*',
      grade: { bandScale: { revenue: 2.5, potential: 2 } },
    });
    const effective = await runEsp('rules', 'show', 'finance', '--effective');
    expect(JSON.parse(effective.stdout).grade.bandScale).toEqual({ revenue: 2.5, potential: 2 });
    const fallback = await runEsp('rules', 'show', 'aerospace', '--effective');
    expect(JSON.parse(fallback.stdout).industry).toBe('*');
    expect(fallback.stderr).toContain('no rule set of its own');

    const diff = await runEsp('rules', 'diff', 'finance', '1', '2');
    expect(diff.stdout).toContain('$.grade.bandScale.revenue: 2 → 2.5');
    const json = await runEsp('rules', 'diff', 'finance', '1', 'published', '--json');
    expect(JSON.parse(json.stdout)).toContainEqual({ path: '$.grade.bandScale.revenue', kind: 'changed', before: 2, after: 2.5 });

    expect((await runEsp('rules', 'show', 'finance', '--version', '9')).code).toBe(2);
    expect((await runEsp('rules', 'diff', 'finance', '1', 'x')).code).toBe(2);
    expect((await runEsp('rules', 'rollback', 'finance', '1')).code).toBe(2);
    const rolled = await runEsp('rules', 'rollback', 'finance', '1', '--comment', 'undo');
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toContain('published "finance" version 5 (version 4 archived): undo');
    expect(rolled.stderr).toContain('the account workflows were NOT told');
    expect((await runEsp('rules', 'diff', 'finance', '1', '5')).stdout).toBe('no differences\n');
  });
});
