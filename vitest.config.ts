import { defineConfig } from 'vitest/config';

// Two projects by kind of test, not by package: unit tests need no servers; integration and
// e2e tests share ONE local stack started by the integration project's globalSetup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/tests/integration/**/*.test.ts', 'packages/*/tests/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['packages/local/tests/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
