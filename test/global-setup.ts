/**
 * Chooses the PostgreSQL server and the Chromium of the run (test/helpers/components.ts), starts
 * what must be started, prints the choice and hands it to the test workers; stops it at the end.
 *
 * Every project of vitest.config.ts runs its global setup, but the choice is made once per run:
 * the first project's call makes it and the others share it (the setups run in one process).
 */
import type { TestProject } from 'vitest/node';
import { chooseChromium, choosePostgres, type ChosenChromium, type ChosenPostgres, type Component } from './helpers/components.js';

interface Run {
  postgres: Component<ChosenPostgres>;
  chromium: Component<ChosenChromium>;
  users: number;
}

const RUN = Symbol.for('esp-plus.test-components');
type Holder = { [RUN]?: Promise<Run> };
const holder = globalThis as Holder;

async function start(): Promise<Run> {
  const postgres = await choosePostgres();
  let chromium: Component<ChosenChromium>;
  try {
    chromium = await chooseChromium();
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  console.log(`[test] database tests: ${postgres.chosen.description}`);
  console.log(`[test] browser tests: ${chromium.chosen.description}`);
  return { postgres, chromium, users: 0 };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  holder[RUN] ??= start();
  const run = await holder[RUN];
  run.users++;
  project.provide('postgres', run.postgres.chosen);
  project.provide('chromium', run.chromium.chosen);
  return async () => {
    if (--run.users > 0) return;
    delete holder[RUN];
    await run.chromium.stop();
    await run.postgres.stop();
  };
}
