import { createHmac } from 'node:crypto';

/**
 * Keys for the email stage, derived from the deployment master key (never stored): one per purpose,
 * so a leaked unsubscribe key cannot mint coupons, and the master key itself signs nothing.
 */
const derive = (masterKey: string, purpose: string) => createHmac('sha256', masterKey).update(`rapport/${purpose}`).digest();

export const unsubscribeKey = (masterKey: string) => derive(masterKey, 'unsubscribe/v1');

/** Per shop: a shop that learns its own key (to verify coupons offline) learns nothing about another's. */
export const couponKey = (masterKey: string, shopId: string) => derive(masterKey, `coupon/v1/${shopId}`);

/** Signs the links of post-purchase feedback requests (GET|POST /feedback?token=…). */
export const feedbackKey = (masterKey: string) => derive(masterKey, 'feedback/v1');
