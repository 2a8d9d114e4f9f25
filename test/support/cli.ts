import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '#infra/local/runtime.ts';

/**
 * `rapport <args>` as an operator runs it, in a process of its own, against the local runtime of
 * `dataDir` (found through its runtime.json): the deployment variables and keys of the test's own
 * environment are left out, so the CLI finds its target the way it would on a laptop.
 */
export function runRapport(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const name of [
    'TABLE_NAME',
    'INTERACTIONS_QUEUE_URL',
    'RUNS_QUEUE_URL',
    'DYNAMODB_ENDPOINT',
    'SQS_ENDPOINT',
    'RAPPORT_MASTER_KEY',
    'RAPPORT_ADMIN_KEY',
  ])
    delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'infra/cli/rapport.mjs'), ...args], { cwd: dataDir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
