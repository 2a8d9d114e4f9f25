import { SESClient } from '@aws-sdk/client-ses';
import { emulatorSigning } from '#shared/aws/emulator-auth.ts';
import { withFaults } from '#shared/aws/faults.ts';
import { config } from '#shared/config.ts';

/**
 * The SES (v1) client, built once per container. No SDK retries: a send whose answer was lost
 * could otherwise go out twice; the email queue and the send record own every retry. Locally,
 * RAPPORT_FAULTS makes some of its calls fail (shared/aws/faults.ts).
 */
let ses: SESClient | undefined;

export function sesClient(): SESClient {
  if (!ses) {
    const { AWS_REGION, SES_ENDPOINT } = config();
    ses = withFaults(
      new SESClient({ region: AWS_REGION, endpoint: SES_ENDPOINT, maxAttempts: 1, ...emulatorSigning(SES_ENDPOINT, 'ses', AWS_REGION) }),
      'ses',
    );
  }
  return ses;
}

export function resetSesClient(): void {
  ses?.destroy();
  ses = undefined;
}
