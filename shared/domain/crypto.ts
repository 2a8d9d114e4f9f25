import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets at rest: webhook signing secrets must be readable to verify signatures, so they are
 * encrypted (AES-256-GCM under the deployment's master key, bound to their shop and kind); API
 * keys only need checking, so they are stored as SHA-256 hashes (they are 256-bit random, so a
 * fast hash is enough — there is no password to brute-force).
 */

const keyOf = (masterKey: string) => createHash('sha256').update(masterKey).digest();

export function encryptSecret(masterKey: string, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(masterKey), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decryptSecret(masterKey: string, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || !body) throw new Error('unreadable sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(masterKey), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/** Constant-time comparison of two strings of any length (unequal lengths compare as unequal). */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

export const hmacSha256 = (secret: string, data: string | Buffer) => createHmac('sha256', secret).update(data);

/** A shop API key: the shop id in clear (to find the shop without a scan) and 256 random bits. */
export function newApiKey(shopId: string): string {
  return `rk_${shopId}_${randomBytes(32).toString('hex')}`;
}

export function shopIdOfApiKey(key: string): string | undefined {
  const match = /^rk_([a-z0-9][a-z0-9-]{1,62})_[0-9a-f]{64}$/.exec(key);
  return match?.[1];
}
