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

/**
 * The integration projects (both engines) and e2e run after the unit and infra tests, as one group
 * two files at a time. Each file has its own table, queues, ports and temporary directories, so any
 * two can run side by side; one file at a time (vitest's lone sequential group for every project
 * without file parallelism) put the three projects end to end, 26 of CI's 30 minutes.
 */
const AFTER_THE_UNIT_TESTS = { sequence: { groupOrder: 1 }, maxWorkers: 2 };

const integration = (name: string, engine: string, more: { exclude?: string[]; env?: Record<string, string> } = {}) => ({
  test: {
    name,
    include: ['test/integration/**/*.test.ts'],
    exclude: more.exclude ?? [],
    env: { ...env, RAPPORT_DYNAMODB: engine, ...more.env },
    testTimeout: 300_000,
    hookTimeout: 120_000,
    ...AFTER_THE_UNIT_TESTS,
  },
});

/**
 * On DynamoDB Local (Amazon's own engine, several times slower a request than dynalite) the tests
 * that hold the table's semantics: conditional writes and races, update expressions, queries and
 * their cursors, batches, item sizes. Left to dynalite alone: what never reaches the table in a way
 * an engine could change — the HTTP adapter, the queue journal and poller, the CLI's output, health,
 * fault injection and the reliability suite (their table calls are the processor's, covered here),
 * the fuzzer — and the scheduled run's volume test (runs-api runs a real run here). The property
 * and volume tests run here with fewer cases: the same code on the same engine calls, a fraction of
 * the repetitions (dynalite runs them in full).
 */
const DYNALITE_ONLY = [
  'cli-analytics',
  'cli-dlq',
  'cli-import',
  'cli-progress',
  'discount-code-clients',
  'console-static',
  'faults',
  'health',
  'openapi',
  'path-parameters',
  'poison-message',
  'queue-journal',
  'reliability',
  'resegment',
  'runtime-dynalite',
  'runtime-http-adapter',
  'runtime-lifecycle',
  'runtime-sqs-poller',
  'webhook-fuzz',
].map((file) => `test/integration/${file}.test.ts`);

const DYNAMODB_LOCAL_SCALE = {
  CONVERGENCE_RUNS: '3',
  FOLDED_RUNS: '8',
  CONNECTOR_CONVERGENCE_RUNS: '2',
  LONG_HISTORY_ORDERS: '400',
  REFERRAL_RUNS: '3',
};

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      // Property tests run thousands of cases: on a loaded two-core CI machine 5 s (vitest's default) is not a bound worth failing on.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env, testTimeout: 60_000 } },
      integration('integration', 'dynalite'),
      ...(hasJava()
        ? [integration('integration-dynamodb-local', 'dynamodb-local', { exclude: DYNALITE_ONLY, env: DYNAMODB_LOCAL_SCALE })]
        : []),
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], env, testTimeout: 300_000, hookTimeout: 300_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          env,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          ...AFTER_THE_UNIT_TESTS,
        },
      },
    ],
  },
});
