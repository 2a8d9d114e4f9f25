import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from '#shared/config.ts';

/**
 * The deployment's two secrets: the master key that seals webhook signing secrets, and the admin
 * key. Locally they come from the environment (the runtime generates them); on AWS from one
 * Secrets Manager secret, read once per container.
 */
export interface DeploymentSecrets {
  masterKey: string;
  adminKey: string;
}

let loading: Promise<DeploymentSecrets> | undefined;

export function deploymentSecrets(): Promise<DeploymentSecrets> {
  loading ??= load().catch((error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<DeploymentSecrets> {
  const { RAPPORT_MASTER_KEY, RAPPORT_ADMIN_KEY, RAPPORT_SECRET_ARN, AWS_REGION } = config();
  if (RAPPORT_MASTER_KEY && RAPPORT_ADMIN_KEY) return { masterKey: RAPPORT_MASTER_KEY, adminKey: RAPPORT_ADMIN_KEY };
  if (!RAPPORT_SECRET_ARN)
    throw new Error('no deployment secret configured (RAPPORT_SECRET_ARN or RAPPORT_MASTER_KEY + RAPPORT_ADMIN_KEY)');
  const client = new SecretsManagerClient({ region: AWS_REGION });
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: RAPPORT_SECRET_ARN }));
  const parsed = JSON.parse(SecretString ?? '{}') as Partial<DeploymentSecrets>;
  if (!parsed.masterKey || !parsed.adminKey) throw new Error('deployment secret lacks masterKey or adminKey');
  return { masterKey: parsed.masterKey, adminKey: parsed.adminKey };
}

export function resetSecrets(): void {
  loading = undefined;
}
