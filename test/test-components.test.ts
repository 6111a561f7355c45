/**
 * The choice of PostgreSQL and Chromium for a run (helpers/components.ts): what the environment
 * names wins, a forcing variable is checked, and a named Chromium that is missing fails rather
 * than falling through to another. (Both npm-shipped components are exercised by `.ci/run`'s
 * second pass, under ESP_TEST_POSTGRES=embedded ESP_TEST_BROWSER=bundled.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chooseChromium, choosePostgres } from './helpers/components.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the components of a test run', () => {
  it('uses the PostgreSQL that TEST_DATABASE_URL names, as it is, with its password hidden in the description', async () => {
    vi.stubEnv('ESP_TEST_POSTGRES', '');
    vi.stubEnv('TEST_DATABASE_URL', 'postgres://tester:secret@db.invalid:6543/postgres');
    const { chosen, stop } = await choosePostgres();
    expect(chosen.adminUrl).toBe('postgres://tester:secret@db.invalid:6543/postgres');
    expect(chosen.description).toContain('TEST_DATABASE_URL');
    expect(chosen.description).not.toContain('secret');
    await stop();
  });

  it('refuses a forcing variable it does not understand, naming the value it takes', async () => {
    vi.stubEnv('ESP_TEST_POSTGRES', 'system');
    await expect(choosePostgres()).rejects.toThrow(/ESP_TEST_POSTGRES=system .*"embedded"/);
    vi.stubEnv('ESP_TEST_BROWSER', 'chrome');
    await expect(chooseChromium()).rejects.toThrow(/ESP_TEST_BROWSER=chrome .*"bundled"/);
  });

  it('uses the Chromium that CHROMIUM_PATH names, and fails when it does not exist', async () => {
    vi.stubEnv('ESP_TEST_BROWSER', '');
    vi.stubEnv('CHROMIUM_PATH', process.execPath);
    const { chosen } = await chooseChromium();
    expect(chosen.executablePath).toBe(process.execPath);
    expect(chosen.args).toEqual(expect.arrayContaining(['--headless', '--no-sandbox', '--disable-background-networking']));
    vi.stubEnv('CHROMIUM_PATH', '/nonexistent/chromium');
    await expect(chooseChromium()).rejects.toThrow('CHROMIUM_PATH names /nonexistent/chromium, which does not exist.');
  });
});
