import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { resetClients } from '#shared/aws/clients.ts';
import { resetConfig } from '#shared/config.ts';
import { CommandError } from './command.ts';

/**
 * Where a command works: a running local runtime, found through the `runtime.json` it writes in its
 * data directory, or an AWS deployment named by the same environment variables the functions read.
 * Either way the answer is put into the environment that shared/config.ts reads, so the command
 * uses the functions' own clients and repositories — config stays the one place where an emulator
 * endpoint replaces AWS.
 *
 * 1. `TABLE_NAME` and `INTERACTIONS_QUEUE_URL` both set: AWS, with the usual credential chain and
 *    region (and `DYNAMODB_ENDPOINT` / `SQS_ENDPOINT` when set, as for the functions).
 * 2. Otherwise `$RAPPORT_DATA_DIR/runtime.json` (default `.rapport/`), written by `npm start`.
 */

export interface Target {
  kind: 'local' | 'aws';
  /** For people: "local runtime (pid 123, .rapport)" or "AWS table rapport-Table…". */
  description: string;
  tableName: string;
  queueUrl: string;
  /** The interactions dead-letter queue when known (locally it is in runtime.json). */
  dlqUrl?: string;
  /** The CLI's own state (import checkpoints) lives here, whichever the target. */
  dataDir: string;
}

export const RUNTIME_FILE = 'runtime.json';

/** What the local runtime writes (infra/local/runtime.ts); only the fields the CLI reads are checked. */
const RuntimeFileSchema = z.object({
  pid: z.number().int().positive(),
  apiUrl: z.string(),
  tableName: z.string().min(1),
  endpoints: z.object({ dynamodb: z.url(), sqs: z.url() }),
  queues: z.object({ interactions: z.object({ url: z.url(), dlqUrl: z.url().optional() }) }),
});

/**
 * The emulators accept any credentials and region (infra/local/emulators.ts uses the same two);
 * they are repeated here because importing that module would load dynalite and fauxqs.
 */
const LOCAL_REGION = 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function dataDirOf(env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, env.RAPPORT_DATA_DIR || '.rapport');
}

export function resolveTarget(env: NodeJS.ProcessEnv, cwd: string): Target {
  const dataDir = dataDirOf(env, cwd);
  if (env.TABLE_NAME && env.INTERACTIONS_QUEUE_URL) {
    connect({ TABLE_NAME: env.TABLE_NAME, INTERACTIONS_QUEUE_URL: env.INTERACTIONS_QUEUE_URL });
    return {
      kind: 'aws',
      description: `table ${env.TABLE_NAME} (TABLE_NAME, INTERACTIONS_QUEUE_URL)`,
      tableName: env.TABLE_NAME,
      queueUrl: env.INTERACTIONS_QUEUE_URL,
      dataDir,
    };
  }

  const file = join(dataDir, RUNTIME_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new CommandError(
      `no running Rapport found: ${file} does not exist.\n` +
        'Start one with `npm start` (RAPPORT_DATA_DIR picks its data directory, default .rapport),\n' +
        'or set TABLE_NAME and INTERACTIONS_QUEUE_URL (and AWS credentials) to work on a deployment.',
    );
  }
  let parsed: z.infer<typeof RuntimeFileSchema>;
  try {
    parsed = RuntimeFileSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new CommandError(`${file} is not a runtime description the CLI can read (${(error as Error).message.split('\n')[0]})`);
  }
  if (!isAlive(parsed.pid)) {
    throw new CommandError(`the Rapport runtime recorded in ${file} (pid ${parsed.pid}) is not running; start it with \`npm start\``);
  }
  connect({
    TABLE_NAME: parsed.tableName,
    INTERACTIONS_QUEUE_URL: parsed.queues.interactions.url,
    DYNAMODB_ENDPOINT: parsed.endpoints.dynamodb,
    SQS_ENDPOINT: parsed.endpoints.sqs,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  });
  return {
    kind: 'local',
    description: `local runtime ${parsed.apiUrl} (pid ${parsed.pid}, ${dataDir})`,
    tableName: parsed.tableName,
    queueUrl: parsed.queues.interactions.url,
    ...(parsed.queues.interactions.dlqUrl ? { dlqUrl: parsed.queues.interactions.dlqUrl } : {}),
    dataDir,
  };
}

/** Points shared/config.ts (and the clients built from it) at the target. */
function connect(values: Record<string, string>): void {
  // A session token the user exported for AWS would go along with the emulator's key pair.
  if (values.AWS_ACCESS_KEY_ID) delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, values);
  resetConfig();
  resetClients();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
