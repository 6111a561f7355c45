import { defineConfig } from 'vitest/config';
import { studioAliases } from './studio/aliases.js';

// Browser tests run last and one file at a time: each starts a studio server, Chromium and often
// Temporal, and on two cores they time out when they share the machine with the rest of the suite.
export default defineConfig({
  // The studio's import aliases, so tests can load its server modules and route files.
  resolve: { alias: studioAliases },
  test: {
    // Brings dist/ up to date with the sources (test/build-setup.ts); chooses the PostgreSQL server
    // and Chromium of the run, once, and prints the choice (test/global-setup.ts).
    globalSetup: ['test/build-setup.ts', 'test/global-setup.ts'],
    // Generous: browser and Temporal tests share two cores with the rest of the suite.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
