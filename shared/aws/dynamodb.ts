import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { emulatorSigning } from '#shared/aws/emulator-auth.ts';
import { withFaults } from '#shared/aws/faults.ts';
import { config } from '#shared/config.ts';

/**
 * The DynamoDB document client, built once per container from the validated config. Each AWS
 * client has its own module so a function imports only the SDK packages it uses (cold starts).
 * Locally, RAPPORT_FAULTS makes some of its calls fail (shared/aws/faults.ts).
 */
let ddb: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (!ddb) {
    const { AWS_REGION, DYNAMODB_ENDPOINT } = config();
    const base = withFaults(
      new DynamoDBClient({
        region: AWS_REGION,
        endpoint: DYNAMODB_ENDPOINT,
        maxAttempts: 6,
        ...emulatorSigning(DYNAMODB_ENDPOINT, 'dynamodb', AWS_REGION),
      }),
      'dynamodb',
    );
    ddb = DynamoDBDocumentClient.from(base, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
  }
  return ddb;
}

export function resetDocumentClient(): void {
  ddb?.destroy();
  ddb = undefined;
}
