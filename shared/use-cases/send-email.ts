import { type Campaign, countCampaign } from '#shared/data/campaign-repo.ts';
import { loadProfile, putTimelineEntry, setDerivedFields } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { putEmailLogEntry } from '#shared/data/email-log-repo.ts';
import { getEmailSend, putEmailSend, putEmailSendIfOpen } from '#shared/data/email-repo.ts';
import { withLease } from '#shared/data/lease-repo.ts';
import { recentEmailsAttributes } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { isSuppressed, recordSesMessage } from '#shared/data/suppression-repo.ts';
import { baseMessageValues, type RewardFacts } from '#shared/email/message-values.ts';
import { buildMime } from '#shared/email/mime.ts';
import { type EmailTrigger, InvalidEmailContextError } from '#shared/email/render.ts';
import { CAMPAIGN_TRIGGER, type ContactFacts, classOf, decideContact, marketingInLastWeek, sendId } from '#shared/email/rules.ts';
import { SesRejectedError, SesThrottledError } from '#shared/email/ses.ts';
import {
  brandProblems,
  CAMPAIGN_VARIABLES,
  messageLanguages,
  renderShopMessage,
  type ShopMessage,
  ShopMessageNotSendableError,
} from '#shared/email/shop-template.ts';
import { renderTriggerEmail, type TriggerEmail } from '#shared/email/trigger-email.ts';
import { flowsOf } from '#shared/loyalty/flows.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { type CampaignGifts, CampaignRewardUnavailableError, campaignReward } from '#shared/use-cases/campaign-reward.ts';
import { composeBase, composeEmail, type StoredCoPurchase } from '#shared/use-cases/compose-email.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';
import { profileView } from '#shared/use-cases/profile-view.ts';

/**
 * The email stage (DESIGN §2 "email fn"): one trigger record → at most one email. In order:
 *   1. once: the send id is a hash of (shop, customer, trigger key), and a send record under it —
 *      sent or skipped — ends every later delivery of the same trigger;
 *   2. one at a time per customer (a short lease), so the weekly cap counts every email exactly;
 *   3. the rules of contact (shared/email/rules.ts): consent, suppression, the cap, no mail for
 *      imported history; a skip is recorded with its reason, on the timeline too;
 *   4. render in the customer's language — the shop's own copy of the trigger's email when it wrote
 *      one in that language (shared/email/trigger-email.ts), or the flow's own message for a flow on
 *      segment entry (skipped as `flow_off` once the flow is switched off), else the built-in copy — build the MIME
 *      message, one SES SendRawEmail call;
 *   5. record the send (the SES message id, for bounces), the customer's recent marketing sends,
 *      and a timeline entry.
 * The record says `sending` before SES is called: if the process dies between SES accepting the
 * message and the record saying `sent`, the redelivery finds `sending` and does not send again
 * (at most once: a customer never gets the same email twice; the rare unknown outcome is recorded).
 * SES throttling puts the message back on the queue with a delay — a new message, so it never
 * counts toward the dead-letter queue.
 */

export interface SendEmailDeps {
  db: Db;
  now: () => Date;
  loadShop: (shopId: string) => Promise<ShopRecord | undefined>;
  program: (shopId: string) => Promise<Program>;
  masterKey: () => Promise<string>;
  coPurchase: (shopId: string) => Promise<StoredCoPurchase | undefined>;
  /** One SES SendRawEmail; throws SesThrottledError / SesRejectedError (shared/email/ses.ts). */
  sendRaw: (raw: Uint8Array, tags: Record<string, string>) => Promise<{ messageId: string }>;
  /** Back on the queue after `delaySeconds`. */
  requeue: (record: TriggerRecord & { attempt?: number }, delaySeconds: number) => Promise<void>;
  publicUrl: string;
  /**
   * The shop's own copy of a trigger's email (data/email-template-repo.ts), read only for an email
   * that is going out. Absent: the built-in copy always.
   */
  shopCopy?: (shopId: string, trigger: EmailTrigger) => Promise<ShopMessage | undefined>;
  /**
   * A campaign, for its emails (`campaign` records): its message, reward and status. Read per send,
   * or kept a few seconds per container — a cancel stops the sends once it is seen.
   */
  campaign?: (shopId: string, campaignId: string) => Promise<Campaign | undefined>;
  /** Where a campaign's reward codes are made (use-cases/campaign-reward.ts); without it a campaign gives no code. */
  gifts?: CampaignGifts;
}

export type SendOutcome =
  | { status: 'sent'; sendId: string; messageId: string; copy: 'shop' | 'builtin'; fallback?: string }
  | { status: 'skipped'; sendId: string; reason: string }
  | { status: 'duplicate'; sendId: string }
  | { status: 'requeued'; sendId: string; delaySeconds: number }
  /** The shop is erased or was never created: nothing sent, nothing recorded. */
  | { status: 'dropped'; sendId: string; reason: 'unknown_shop' };

/** A `sending` record older than this is an outcome we cannot know (the process died mid-send). */
const SENDING_STALE_MS = 2 * 60_000;
const DAY_MS = 86_400_000;
/** Sent or skipped: nothing more will happen to this (customer, trigger, period). */
const isFinal = (status: string) => status === 'sent' || status === 'skipped';

export async function sendTriggerEmail(record: TriggerRecord & { attempt?: number }, deps: SendEmailDeps): Promise<SendOutcome> {
  const { shopId, customerId } = record;
  const id = sendId(shopId, customerId, record.key);
  const before = await getEmailSend(deps.db, shopId, customerId, id);
  if (before && isFinal(before.status)) return { status: 'duplicate', sendId: id };
  // A campaign's email counts its outcome on the campaign (its results), after the send record.
  const campaignId = record.trigger === CAMPAIGN_TRIGGER ? String(record.data.campaignId ?? '') : undefined;
  const count = async (outcome: { status: 'sent' } | { status: 'skipped'; reason: string }) => {
    if (campaignId) await countCampaign(deps.db, shopId, campaignId, outcome.status === 'sent' ? 'sent' : { skipped: outcome.reason });
  };

  // The email's one timeline entry, and its line in the shop's send log: what happened to this
  // (customer, trigger, period). Both after the send record, which is the once-only guard.
  const putEmailEntry = (at: string, status: 'sent' | 'skipped', extra: { reason?: string; locale?: string; messageId?: string }) =>
    Promise.all([
      putTimelineEntry(deps.db, shopId, customerId, {
        at,
        entryId: `email:${id}`,
        type: 'email',
        channel: 'email',
        source: 'rapport',
        status,
        trigger: record.trigger,
        key: record.key,
        ...extra,
      }),
      putEmailLogEntry(deps.db, shopId, {
        at,
        sendId: id,
        customerId,
        trigger: record.trigger,
        status,
        ...(extra.reason === undefined ? {} : { reason: extra.reason }),
        ...(extra.locale === undefined ? {} : { locale: extra.locale }),
      }),
    ]);

  /** The flow on segment entry this email is the message of (shared/loyalty/flows.ts), if it is one. */
  const flowId = typeof record.data.flowId === 'string' ? record.data.flowId : undefined;

  /** Whom to write to and whether the rules allow it now: read fresh each time it is asked. */
  const assess = async (now: Date) => {
    // First, alone: an erased shop is sent nothing and has nothing written (a skip record would put
    // an item back in a partition its erasure empties), and it has no program to read.
    const shop = await deps.loadShop(shopId);
    if (!shop) return { ok: false, reason: 'unknown_shop' } as const;
    const [program, profile] = await Promise.all([deps.program(shopId), loadProfile(deps.db, shopId, customerId, true)]);
    if (!profile) return { ok: false, reason: 'no_customer' } as const;
    let campaign: Campaign | undefined;
    if (campaignId !== undefined) {
      campaign = await deps.campaign?.(shopId, campaignId);
      if (!campaign) return { ok: false, reason: 'no_campaign' } as const;
      if (campaign.status === 'cancelled') return { ok: false, reason: 'campaign_cancelled' } as const;
    }
    const view = profileView(profile, shop.currency);
    const email = view.email ?? undefined;
    const recent = profile.recentMarketingEmails.filter((t) => Date.parse(t) > now.getTime() - 8 * DAY_MS);
    const decision = decideContact({
      trigger: record.trigger as ContactFacts['trigger'],
      consent: view.consent.email as ContactFacts['consent'],
      hasAddress: Boolean(email),
      erased: profile.erasedAt !== undefined,
      ...(record.source ? { source: record.source as ContactFacts['source'] } : {}),
      marketingSentAt: recent,
      maxMarketingPerWeek: program.email.maxMarketingPerWeek,
      now,
    });
    if (!decision.send) return { ok: false, reason: decision.reason } as const;
    // A flow's email goes out only while its flow is in the program and active: a shop that switched
    // one off expects nothing more from it, the sends already queued included.
    const flow = flowId === undefined ? undefined : flowsOf(program).find((candidate) => candidate.id === flowId);
    if (flowId !== undefined && !flow?.active) return { ok: false, reason: 'flow_off' } as const;
    if (email && (await isSuppressed(deps.db, email))) return { ok: false, reason: 'suppressed' } as const;
    return { ok: true, shop, program, profile, view, email: email as string, recent, flow, campaign } as const;
  };

  // Most triggers end in a skip (no consent, mostly): decided without the lease, recorded only if
  // nothing else was recorded for this send id meanwhile.
  const first = await assess(deps.now());
  if (!first.ok && first.reason === 'unknown_shop') return { status: 'dropped', sendId: id, reason: first.reason };
  if (!first.ok) {
    const at = deps.now().toISOString();
    const recorded = await putEmailSendIfOpen(deps.db, shopId, customerId, id, {
      status: 'skipped',
      reason: first.reason,
      trigger: record.trigger,
      key: record.key,
      at,
    });
    if (!recorded) return { status: 'duplicate', sendId: id };
    await putEmailEntry(at, 'skipped', { reason: first.reason });
    await count({ status: 'skipped', reason: first.reason });
    return { status: 'skipped', sendId: id, reason: first.reason };
  }

  return withLease(deps.db, shopId, `email:${customerId}`, async () => {
    const now = deps.now();
    const at = now.toISOString();
    const existing = await getEmailSend(deps.db, shopId, customerId, id);
    const skip = async (reason: string): Promise<SendOutcome> => {
      await putEmailSend(deps.db, shopId, customerId, id, { status: 'skipped', reason, trigger: record.trigger, key: record.key, at });
      await putEmailEntry(at, 'skipped', { reason });
      await count({ status: 'skipped', reason });
      return { status: 'skipped', sendId: id, reason };
    };
    if (existing && isFinal(existing.status)) return { status: 'duplicate', sendId: id };
    if (existing?.status === 'sending') {
      if (now.getTime() - Date.parse(existing.at) > SENDING_STALE_MS) return skip('send_outcome_unknown');
      throw new Error('another delivery of this email is being sent; try again later');
    }
    // Again under the lease: the weekly cap counts the emails sent meanwhile.
    const assessed = await assess(now);
    if (!assessed.ok && assessed.reason === 'unknown_shop') return { status: 'dropped', sendId: id, reason: assessed.reason };
    if (!assessed.ok) return skip(assessed.reason);
    const { shop, program, profile, view, email, recent, flow, campaign } = assessed;

    const masterKey = await deps.masterKey();
    let rendered: Pick<TriggerEmail, 'subject' | 'html' | 'text' | 'locale'> & { copy: 'shop' | 'builtin'; fallback?: string };
    let unsubscribe: { unsubscribeUrl?: string; unsubscribeToken?: string };
    if (campaign) {
      // A campaign's email: the shop's message, the customer's values, the reward's code if it gives one.
      const base = composeBase({ record, shop, program, profile, masterKey, publicUrl: deps.publicUrl, now }, true, view.tier ?? undefined);
      // Its code is given only to someone the message can go to: a brand that lost its postal address
      // since the campaign was saved stops the email (renderShopMessage below), so it stops the code first.
      if (brandProblems(shop.brand, CAMPAIGN_VARIABLES).length > 0) return skip('not_sendable:no_postal_address');
      let reward: RewardFacts | undefined;
      try {
        reward = await campaignReward({ shopId, customerId, campaign, program, currency: shop.currency, at }, deps.db, deps.gifts);
      } catch (error) {
        if (error instanceof CampaignRewardUnavailableError) return skip('reward_unavailable');
        throw error;
      }
      // The unsubscribe link names the campaign, whose results count a withdrawal through it: the
      // footer's and `{{ links.unsubscribe }}` as well as the List-Unsubscribe header's.
      const unsubscribeUrl = base.unsubscribeUrl ? `${base.unsubscribeUrl}&campaign=${campaign.campaignId}` : undefined;
      const { language, values } = baseMessageValues(
        unsubscribeUrl ? { ...base.context, unsubscribeUrl } : base.context,
        reward,
        messageLanguages(campaign.message),
      );
      try {
        const message = renderShopMessage(campaign.message, language, values, shop.brand, CAMPAIGN_VARIABLES);
        rendered = { subject: message.subject, html: message.html, text: message.text, locale: message.language, copy: 'shop' };
      } catch (error) {
        // The brand lost its postal address since the campaign was saved, say: not sent, and said why.
        if (error instanceof ShopMessageNotSendableError) return skip(`not_sendable:${error.reason}`);
        throw error;
      }
      unsubscribe = unsubscribeUrl ? { unsubscribeUrl, unsubscribeToken: base.unsubscribeToken } : {};
    } else {
      // A flow's own message; a flow without one (the built-in win-back) reads as its trigger's email does.
      const shopCopy = flow?.message ?? (await deps.shopCopy?.(shopId, record.trigger as EmailTrigger));
      try {
        const composed = composeEmail({
          record: { ...record, trigger: record.trigger as EmailTrigger },
          shop,
          program,
          profile,
          coPurchase: await deps.coPurchase(shopId),
          masterKey,
          publicUrl: deps.publicUrl,
          now,
        });
        rendered = renderTriggerEmail(composed.context, shopCopy, shop.brand);
        unsubscribe = composed;
      } catch (error) {
        // The trigger lacks a fact the email needs (a birthday without a bonus, say): nothing to send.
        if (error instanceof InvalidEmailContextError) return skip('incomplete');
        throw error;
      }
    }
    const raw = await buildMime({
      from: { name: program.email.fromName, address: program.email.fromAddress },
      ...(program.email.replyTo ? { replyTo: program.email.replyTo } : {}),
      to: { ...(view.name ? { name: view.name } : {}), address: email as string },
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      sendId: id,
      ...(unsubscribe.unsubscribeUrl
        ? {
            unsubscribe: {
              url: unsubscribe.unsubscribeUrl,
              // Mail clients without one-click write to the shop's reply-to address; the token says who.
              mailto: {
                address: program.email.replyTo ?? program.email.fromAddress,
                subject: `unsubscribe ${unsubscribe.unsubscribeToken}`,
              },
            },
          }
        : {}),
      date: now,
    });

    await putEmailSend(deps.db, shopId, customerId, id, { status: 'sending', trigger: record.trigger, key: record.key, at });
    let messageId: string;
    try {
      ({ messageId } = await deps.sendRaw(raw, { shop: shopId, send_id: id, trigger: record.trigger }));
    } catch (error) {
      if (error instanceof SesThrottledError) {
        const attempt = (record.attempt ?? 0) + 1;
        const delaySeconds =
          error.limit === 'daily_quota'
            ? 900
            : Math.min(900, 2 ** Math.min(attempt, 9) + Math.floor(Math.random() * 2 ** Math.min(attempt, 9)));
        // SES said no: nothing was sent, so the record goes back to "not yet".
        await putEmailSend(deps.db, shopId, customerId, id, { status: 'throttled', trigger: record.trigger, key: record.key, at, attempt });
        await deps.requeue({ ...record, attempt }, delaySeconds);
        return { status: 'requeued', sendId: id, delaySeconds };
      }
      if (error instanceof SesRejectedError) return skip(`rejected:${error.code}`);
      // Not an answer from SES (a network error): whether it sent is unknown; the redelivery decides.
      throw error;
    }
    await recordSesMessage(deps.db, messageId, {
      shopId,
      customerId,
      sendId: id,
      trigger: record.trigger,
      at,
      ...(campaignId ? { campaignId } : {}),
    });
    await putEmailSend(deps.db, shopId, customerId, id, {
      status: 'sent',
      trigger: record.trigger,
      key: record.key,
      at,
      messageId,
      locale: rendered.locale,
    });
    if (classOf(record.trigger) === 'marketing') {
      await setDerivedFields(
        deps.db,
        shopId,
        customerId,
        recentEmailsAttributes([...recent.filter((t) => marketingInLastWeek([t], now) > 0), at]),
      );
    }
    await putEmailEntry(at, 'sent', { locale: rendered.locale, messageId });
    await count({ status: 'sent' });
    return { status: 'sent', sendId: id, messageId, copy: rendered.copy, ...(rendered.fallback ? { fallback: rendered.fallback } : {}) };
  });
}
