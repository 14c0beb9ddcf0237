import { defineConfig } from 'vitest/config';

// Projects by kind of test, not by package: unit tests need no servers; integration and e2e
// tests share ONE local stack started by the integration project's globalSetup. The hardening
// suite (tests/hardening) gets a stack of its own and runs its files one at a time, because
// each of them loads the whole machine; `scripts/run-tests.mjs` runs it as a second vitest run,
// so the two stacks never share a process.
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
      {
        test: {
          name: 'hardening',
          include: ['tests/hardening/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['packages/local/tests/global-setup.ts', 'tests/hardening/support/report-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
