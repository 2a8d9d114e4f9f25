import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { SourceSchema } from '#shared/domain/event.ts';

/**
 * The rules of contact (DESIGN §6): whether one email may go to one customer now. Pure: the email
 * function gathers the facts (profile consent, address, the marketing sends of the last 7 days, the
 * program's cap) and this decides, so every rule is tested here and nowhere else.
 */

export const TRIGGERS = [
  'welcome',
  'tier_up',
  'tier_down_warning',
  'tier_down',
  'birthday',
  'win_back',
  'points_expiring',
  'points_milestone',
  'feedback_request',
  'redemption_receipt',
  'reward_issued',
  'reward_failed',
  'flow',
] as const;

export type Trigger = (typeof TRIGGERS)[number];
export type EmailClass = 'marketing' | 'transactional';

/**
 * Transactional means: the customer asked for it by doing something, and would be surprised not to
 * get it — the answers to a redemption: the receipt for points they just redeemed, the reward code
 * they bought with points (the code itself, which they cannot use without this email), and the news
 * that the code could not be made and the points are back. Everything else is marketing, so it
 * needs consent and counts toward the weekly cap.
 *
 * Arguable cases, decided on purpose:
 * - tier_down_warning, tier_down, points_expiring: news about the customer's own account, which
 *   CAN-SPAM would let pass as a "relationship" message. But their purpose is to bring the customer
 *   back to buy, the customer did nothing to prompt them, and under GDPR/ePrivacy a message whose aim
 *   is a sale is direct marketing. Someone who opted out must not get "buy now or lose Gold"; the
 *   tier and balance stay visible to them on request.
 * - welcome: sent because the customer joined, but it is the program's pitch, not a receipt.
 * - flow: a message the shop sends because the customer entered a segment — the customer did nothing
 *   to ask for it.
 * - feedback_request: regulators (e.g. the UK ICO) count satisfaction surveys sent to promote the
 *   brand as marketing, and an unsolicited request is the first thing people unsubscribe from.
 */
export const EMAIL_CLASS: Readonly<Record<Trigger, EmailClass>> = {
  welcome: 'marketing',
  tier_up: 'marketing',
  tier_down_warning: 'marketing',
  tier_down: 'marketing',
  birthday: 'marketing',
  win_back: 'marketing',
  points_expiring: 'marketing',
  points_milestone: 'marketing',
  feedback_request: 'marketing',
  redemption_receipt: 'transactional',
  reward_issued: 'transactional',
  reward_failed: 'transactional',
  flow: 'marketing',
};

/**
 * The triggers whose built-in copy the shop may replace with its own (PUT /v1/emails/templates/…):
 * all but `flow`, whose message is written on each flow of the program.
 */
export const TEMPLATE_TRIGGERS = TRIGGERS.filter((trigger) => trigger !== 'flow');

/**
 * A campaign's email (shared/use-cases/send-campaign.ts): through the same stage as the triggers
 * (once per key, consent, suppression, the weekly cap, the timeline), but in the shop's own words
 * only — there is no built-in copy — so it is not one of TRIGGERS (which the built-in templates and
 * the shop's copies of them are keyed by). Marketing: it needs consent and counts toward the cap.
 */
export const CAMPAIGN_TRIGGER = 'campaign';
export type ContactTrigger = Trigger | typeof CAMPAIGN_TRIGGER;
export const classOf = (trigger: ContactTrigger): EmailClass => (trigger === CAMPAIGN_TRIGGER ? 'marketing' : EMAIL_CLASS[trigger]);

export type EmailConsent = 'subscribed' | 'unsubscribed' | 'suppressed' | undefined;
export type EventSource = z.infer<typeof SourceSchema>;

export type SkipReason = 'erased' | 'historical' | 'no_address' | 'suppressed' | 'no_consent' | 'unsubscribed' | 'frequency_cap';

export type ContactDecision = { send: true } | { send: false; reason: SkipReason };

export interface ContactFacts {
  trigger: ContactTrigger;
  /** The profile's `consent.email`; undefined when the customer never said. */
  consent: EmailConsent;
  hasAddress: boolean;
  /** The customer was erased (privacy): nothing is ever sent again. */
  erased?: boolean;
  /** Where the event behind the trigger came from; `import` is a backfill of the past. */
  source?: EventSource;
  /** When marketing emails went to this customer (ISO strings or epoch ms); older ones are ignored. */
  marketingSentAt: readonly (string | number)[];
  /** The program's `email.maxMarketingPerWeek`. */
  maxMarketingPerWeek: number;
  now: Date;
}

export const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Marketing emails in the 7 days before `now`: the window is (now − 7 days, now], so an email sent
 * exactly a week ago no longer counts. One in the future (a clock ahead of ours) counts: when in
 * doubt the cap holds.
 */
export function marketingInLastWeek(sentAt: readonly (string | number)[], now: Date): number {
  const since = now.getTime() - WEEK_MS;
  return sentAt.filter((at) => {
    const t = typeof at === 'number' ? at : Date.parse(at);
    return Number.isFinite(t) && t > since;
  }).length;
}

/**
 * Send or not, and why not. The first rule that refuses wins, in this order:
 * 1. erased — a customer erased for privacy is never written to again;
 * 2. historical — an imported (backfilled) event never emails anyone, marketing or not: the
 *    customer is not acting now, and a receipt or a "welcome" for last year's order is noise;
 * 3. no_address;
 * 4. suppressed — a bounced or complaining address gets nothing, not even a receipt: mail to it
 *    harms the sender's reputation for every shop;
 * then transactional email is sent; marketing further needs
 * 5. consent — no_consent when never given, unsubscribed when withdrawn;
 * 6. the cap — fewer than `maxMarketingPerWeek` marketing emails in the last 7 days.
 */
export function decideContact(facts: ContactFacts): ContactDecision {
  const refuse = (reason: SkipReason): ContactDecision => ({ send: false, reason });
  if (facts.erased) return refuse('erased');
  if (facts.source === 'import') return refuse('historical');
  if (!facts.hasAddress) return refuse('no_address');
  if (facts.consent === 'suppressed') return refuse('suppressed');
  if (classOf(facts.trigger) === 'transactional') return { send: true };
  if (facts.consent === undefined) return refuse('no_consent');
  if (facts.consent !== 'subscribed') return refuse('unsubscribed');
  if (marketingInLastWeek(facts.marketingSentAt, facts.now) >= facts.maxMarketingPerWeek) return refuse('frequency_cap');
  return { send: true };
}

/**
 * The id of one send: a hash of (shop, customer, trigger key), where the trigger key names the
 * period (`tier_up:gold`, `birthday:2026`). The same trigger firing twice — a redelivered event, a
 * re-run — gives the same id, so a conditional write on it lets each (customer, trigger, period)
 * go out at most once. 128 bits of hex: safe in a header, a message tag and a DynamoDB key.
 */
export function sendId(shopId: string, customerId: string, triggerKey: string): string {
  // JSON keeps the parts apart: no two different triples hash the same bytes.
  return `s_${createHash('sha256')
    .update(JSON.stringify([shopId, customerId, triggerKey]))
    .digest('hex')
    .slice(0, 32)}`;
}
