import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: browser and Temporal tests share two cores with the rest of the suite.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
