import * as z from 'zod';

/**
 * A referral code's shape, defined once: the canonical event carries one (event.ts), the link
 * `/r/{code}` names one, and loyalty/referrals.ts derives them. Letters and digits a person cannot
 * confuse (no 0/O, 1/I/L), as in reward codes.
 */
export const REFERRAL_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const REFERRAL_CODE_LENGTH = 8;
export const REFERRAL_CODE_PATTERN = new RegExp(`^[${REFERRAL_CODE_ALPHABET}]{${REFERRAL_CODE_LENGTH}}$`);

/** A code as a person may type or a URL may carry it (lower case, spaces, dashes), upper-cased and checked. */
export const ReferralCodeSchema = z
  .string()
  .max(40)
  .transform((code) => code.replace(/[\s-]/g, '').toUpperCase())
  .pipe(z.string().regex(REFERRAL_CODE_PATTERN, 'a referral code: 8 letters and digits'));

/** The code such an input stands for, or undefined when it cannot be one. */
export function normalizeReferralCode(input: string | undefined): string | undefined {
  return input ? ReferralCodeSchema.safeParse(input).data : undefined;
}
