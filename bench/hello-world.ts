/** The cold-import baseline: the smallest useful Lambda handler, bundled exactly like the real ones. */
export const handler = async () => ({ statusCode: 200, body: 'hello world' });
