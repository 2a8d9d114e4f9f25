import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { requeueTriggerEmail } from '#shared/aws/email-queue.ts';
import { masterKey } from '#shared/aws/secrets.ts';
import { sesClient } from '#shared/aws/ses.ts';
import { config } from '#shared/config.ts';
import { getCampaign } from '#shared/data/campaign-repo.ts';
import { getEmailTemplate } from '#shared/data/email-template-repo.ts';
import { getCoPurchase } from '#shared/data/run-repo.ts';
import { cachedLoader, db, loadShop, now } from '#shared/deps.ts';
import { ShopIdSchema } from '#shared/domain/event.ts';
import type { EmailTrigger } from '#shared/email/render.ts';
import { CAMPAIGN_TRIGGER, TRIGGERS } from '#shared/email/rules.ts';
import { sendRawEmail } from '#shared/email/ses.ts';
import { giftDeps } from '#shared/gift-deps.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import { sqsHandler } from '#shared/queue/sqs-handler.ts';
import type { StoredCoPurchase } from '#shared/use-cases/compose-email.ts';
import { sendTriggerEmail } from '#shared/use-cases/send-email.ts';

/**
 * Email queue consumer: one trigger record → at most one email (shared/use-cases/send-email.ts).
 * Records of a batch are sent one after another, so the function's concurrency (the event
 * source's maximum concurrency, functions/triggers.ts) bounds the SES send rate.
 */
const RecordSchema = z.object({
  shopId: ShopIdSchema,
  customerId: z.string().regex(/^c_[0-9a-f]{20}$/),
  key: z.string().min(1).max(200),
  trigger: z.enum([...TRIGGERS, CAMPAIGN_TRIGGER]),
  at: z.string(),
  data: z.record(z.string(), z.unknown()).default({}),
  source: z.string().optional(),
  attempt: z.number().int().min(0).max(100).optional(),
});

/** Co-purchase statistics change once a day: keep them 5 minutes per container. */
const statistics = new Map<string, { value: StoredCoPurchase | undefined; until: number }>();
async function coPurchase(shopId: string) {
  const hit = statistics.get(shopId);
  if (hit && hit.until > Date.now()) return hit.value;
  const value = (await getCoPurchase(db(), shopId)) as StoredCoPurchase | undefined;
  statistics.set(shopId, { value, until: Date.now() + 300_000 });
  return value;
}

/**
 * Campaigns, for their emails: kept 5 s per container, so a campaign's thousands of emails read it
 * a few times, not once each, and a cancel stops its sends within seconds.
 */
const campaigns = cachedLoader(
  (key) => {
    const [shopId = '', campaignId = ''] = key.split('|');
    return getCampaign(db(), shopId, campaignId);
  },
  { ms: 5_000, max: 100 },
);

/** The shop's own copies of its trigger emails change rarely: 30 s per container, like the shop. */
const shopCopies = cachedLoader(async (key: string) => {
  const [shopId = '', trigger = ''] = key.split('|');
  return (await getEmailTemplate(db(), shopId, trigger as EmailTrigger))?.message;
});

async function processRecord(record: SQSRecord) {
  const message = RecordSchema.parse(JSON.parse(record.body));
  const publicUrl = config().PUBLIC_API_URL;
  if (!publicUrl) throw new Error('PUBLIC_API_URL is not set');
  const outcome = await sendTriggerEmail(message as Parameters<typeof sendTriggerEmail>[0], {
    db: db(),
    now,
    loadShop,
    program: loadProgram,
    masterKey,
    coPurchase,
    sendRaw: (raw, tags) => {
      const configurationSetName = config().SES_CONFIGURATION_SET;
      return sendRawEmail(sesClient(), raw, { tags, ...(configurationSetName ? { configurationSetName } : {}) });
    },
    requeue: requeueTriggerEmail,
    publicUrl,
    shopCopy: (shopId, trigger) => shopCopies.get(`${shopId}|${trigger}`),
    campaign: (shopId, campaignId) => campaigns.get(`${shopId}|${campaignId}`),
    gifts: giftDeps,
  });
  // Ids and outcomes only: never an address or a name.
  logger.info('email', { shopId: message.shopId, customerId: message.customerId, trigger: message.trigger, ...outcome });
}

export const handler = sqsHandler(processRecord);
