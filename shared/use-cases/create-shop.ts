import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { Db } from '#shared/data/db.ts';
import {
  ERASURE_HOLD_DAYS,
  putShopDirectoryEntry,
  putShopIfAbsent,
  type ShopRecord,
  shopErasedAt,
  type WebhookSource,
} from '#shared/data/shop-repo.ts';
import { encryptSecret, newApiKey, safeEqual, sha256Hex } from '#shared/domain/crypto.ts';
import { ConflictError, UnauthorizedError } from '#shared/domain/errors.ts';
import { CurrencySchema, ShopIdSchema } from '#shared/domain/event.ts';
import { parseOrThrow } from '#shared/http/validate.ts';

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const isLocale = (locale: string) => {
  try {
    return Intl.getCanonicalLocales(locale).length === 1;
  } catch {
    return false;
  }
};

/** A webhook signing secret as a shop gives it (create-shop, PATCH /v1/shop). */
export const SecretSchema = z.string().min(16, 'at least 16 characters').max(512);

export const CreateShopSchema = z.object({
  shopId: ShopIdSchema,
  name: z.string().trim().min(1).max(200),
  currency: CurrencySchema,
  timezone: z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Ho_Chi_Minh'),
  locale: z.string().refine(isLocale, 'a BCP 47 locale such as vi-VN'),
  /** The shop's storefront (https): the button of its emails links there. */
  url: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .optional(),
  secrets: z
    .object({ shopify: SecretSchema.optional(), woocommerce: SecretSchema.optional(), generic: SecretSchema.optional() })
    .default({}),
  settings: z.object({ ignoreTestOrders: z.boolean().default(true) }).default({ ignoreTestOrders: true }),
});

export interface CreateShopDeps {
  db: Db;
  masterKey: () => Promise<string>;
  adminKey: () => Promise<string>;
  now: () => Date;
  /** Creates the shop's daily re-segmentation schedule (EventBridge Scheduler on AWS; locally the runtime's croner reads the shop directory). */
  scheduleRuns?: (shop: ShopRecord) => Promise<void>;
}

export async function authorizeAdmin(token: string | undefined, deps: Pick<CreateShopDeps, 'adminKey'>) {
  if (!token || !safeEqual(token, await deps.adminKey())) throw new UnauthorizedError('a valid admin key is required');
}

/**
 * Create a shop. The API key is shown in this answer only; the table keeps its hash. Signing
 * secrets are sealed; a generic secret is generated when none is given, and also shown only once.
 *
 * The id of an erased shop is refused while its erasure marker stands (ERASURE_HOLD_DAYS): events
 * accepted for the old shop may still be delivered until then, and must find a shop that drops them,
 * not a new one that applies them.
 */
export async function createShop(body: unknown, deps: CreateShopDeps) {
  const input = parseOrThrow(CreateShopSchema, body);
  const erasedAt = await shopErasedAt(deps.db, input.shopId, deps.now());
  if (erasedAt) {
    const free = new Date(Date.parse(erasedAt) + ERASURE_HOLD_DAYS * 86_400_000).toISOString().slice(0, 10);
    throw new ConflictError(
      `shopId: ${input.shopId} belonged to a shop erased on ${erasedAt.slice(0, 10)} (shop/redact); it cannot be taken again before ${free}: choose another shopId`,
    );
  }
  const masterKey = await deps.masterKey();
  const apiKey = newApiKey(input.shopId);
  const generated: Partial<Record<WebhookSource, string>> = {};
  if (!input.secrets.generic) generated.generic = randomBytes(32).toString('hex');
  const plain = { ...input.secrets, ...generated };
  const sealed: ShopRecord['secrets'] = {};
  for (const [source, value] of Object.entries(plain) as Array<[WebhookSource, string | undefined]>) {
    if (value) sealed[source] = encryptSecret(masterKey, value, `${input.shopId}:${source}`);
  }
  const shop: ShopRecord = {
    shopId: input.shopId,
    name: input.name,
    currency: input.currency,
    timezone: input.timezone,
    locale: input.locale,
    ...(input.url ? { url: input.url } : {}),
    apiKeyHashes: [sha256Hex(apiKey)],
    secrets: sealed,
    settings: input.settings,
    createdAt: deps.now().toISOString(),
  };
  await putShopIfAbsent(deps.db, shop);
  await putShopDirectoryEntry(deps.db, shop);
  await deps.scheduleRuns?.(shop);
  const { apiKeyHashes: _hashes, secrets: _secrets, ...visible } = shop;
  return { ...visible, apiKey, ...(Object.keys(generated).length > 0 ? { generatedSecrets: generated } : {}) };
}
