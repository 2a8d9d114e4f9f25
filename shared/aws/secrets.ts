import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from '#shared/config.ts';

/**
 * The deployment's two secrets: the master key that seals webhook signing secrets, and the admin
 * key. Locally they come from the environment (the runtime generates and keeps them); on AWS each
 * is a Secrets Manager secret (JSON {"masterKey"} and {"adminKey"}), read once per container and
 * only by the functions that the trigger table lets read it.
 */

const loaded = new Map<string, Promise<string>>();
let client: SecretsManagerClient | undefined;

function fromSecretsManager(arn: string, field: string): Promise<string> {
  const key = `${arn}#${field}`;
  let value = loaded.get(key);
  if (!value) {
    client ??= new SecretsManagerClient({ region: config().AWS_REGION });
    value = client.send(new GetSecretValueCommand({ SecretId: arn })).then(({ SecretString }) => {
      const secret = (JSON.parse(SecretString ?? '{}') as Record<string, unknown>)[field];
      if (typeof secret !== 'string' || secret.length < 16) throw new Error(`secret ${field} is missing or too short`);
      return secret;
    });
    value.catch(() => loaded.delete(key));
    loaded.set(key, value);
  }
  return value;
}

export async function masterKey(): Promise<string> {
  const { RAPPORT_MASTER_KEY, RAPPORT_SECRET_ARN } = config();
  if (RAPPORT_MASTER_KEY) return RAPPORT_MASTER_KEY;
  if (!RAPPORT_SECRET_ARN) throw new Error('no master key configured (RAPPORT_SECRET_ARN or RAPPORT_MASTER_KEY)');
  return fromSecretsManager(RAPPORT_SECRET_ARN, 'masterKey');
}

export async function adminKey(): Promise<string> {
  const { RAPPORT_ADMIN_KEY, RAPPORT_ADMIN_SECRET_ARN } = config();
  if (RAPPORT_ADMIN_KEY) return RAPPORT_ADMIN_KEY;
  if (!RAPPORT_ADMIN_SECRET_ARN) throw new Error('no admin key configured (RAPPORT_ADMIN_SECRET_ARN or RAPPORT_ADMIN_KEY)');
  return fromSecretsManager(RAPPORT_ADMIN_SECRET_ARN, 'adminKey');
}

/** For the local runtime and benchmarks, which change the environment within one process. */
export function resetSecrets(): void {
  loaded.clear();
  client = undefined;
}
