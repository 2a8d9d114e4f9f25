import { execFileSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

/** Integration tests run on dynalite always, and on Amazon's DynamoDB Local wherever Java is (.ci/run requires it). */
function hasJava(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Handlers log at INFO on AWS; in tests only warnings and errors are worth reading. */
const env = { LOG_LEVEL: 'WARN' };

const integration = (name: string, engine: string) => ({
  test: {
    name,
    include: ['test/integration/**/*.test.ts'],
    env: { ...env, RAPPORT_DYNAMODB: engine },
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env } },
      integration('integration', 'dynalite'),
      ...(hasJava() ? [integration('integration-dynamodb-local', 'dynamodb-local')] : []),
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], env, testTimeout: 300_000, hookTimeout: 300_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          env,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
