/**
 * How a client signs its requests to a local emulator (dynalite, DynamoDB Local, fauxqs, the SES
 * emulator). They check that a request carries a well-formed SigV4 `Authorization` header, never
 * its signature; computing a real one costs about 0.3 ms of CPU per call (the signing key's four
 * HMACs and a SHA-256 of the body), a third of a GetItem's client-side cost, measured against
 * dynalite — and the local runtime's two cores are what limits its throughput. So against an
 * emulator the SDK's signer is replaced by one that writes a header of the right shape with a
 * signature of zeros. Only where an endpoint override is configured (`*_ENDPOINT`, which the local
 * runtime, tests and benches set and CDK never does): on AWS every request is signed as always.
 */

const ZEROS = '0'.repeat(64);

/** Client options for an emulator endpoint; none for AWS itself. */
export function emulatorSigning(endpoint: string | undefined, service: string, region: string): object {
  if (!endpoint) return {};
  return {
    httpAuthSchemes: [
      {
        schemeId: 'aws.auth#sigv4',
        identityProvider: () => async () => ({ accessKeyId: 'local', secretAccessKey: 'local' }),
        signer: {
          sign: async (request: { headers: Record<string, string> }) => {
            const amzDate = `${new Date().toISOString().replace(/[-:]|\.\d{3}/g, '')}`;
            request.headers['x-amz-date'] = amzDate;
            request.headers.authorization = `AWS4-HMAC-SHA256 Credential=local/${amzDate.slice(0, 8)}/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${ZEROS}`;
            return request;
          },
        },
      },
    ],
  };
}
