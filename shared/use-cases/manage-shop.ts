import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Db } from '#shared/data/db.ts';
import { putShopActivity, type ShopActivityEntry, shopActivityPage } from '#shared/data/shop-activity-repo.ts';
import {
  platformCredentials,
  sealShopify,
  sealStorefrontSecret,
  sealWoocommerce,
  storefrontSecretOf,
} from '#shared/data/shop-credentials.ts';
import {
  getShop,
  getShopsWithErasure,
  putShopDirectoryEntry,
  type SealedSecretName,
  type ShopRecord,
  shopDirectoryPage,
  updateShopIfUnchanged,
  type WebhookSource,
} from '#shared/data/shop-repo.ts';
import { decryptSecret, encryptSecret, newApiKey, sha256Hex } from '#shared/domain/crypto.ts';
import { UnauthorizedError, ValidationError } from '#shared/domain/errors.ts';
import { ShopIdSchema } from '#shared/domain/event.ts';
import { BrandSchema } from '#shared/email/shop-template.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { CreateShopSchema, SecretSchema } from '#shared/use-cases/create-shop.ts';

/**
 * The shop, as its owner manages it with the shop's API key: GET|PATCH /v1/shop, POST
 * /v1/shop/api-keys, GET /v1/shop/activity; and the operator's list of shops (GET /admin/shops).
 * Every change is planned from the record as read and written only if nobody changed the shop
 * since (its `revision`), then put on the shop's activity (shop-activity-repo.ts).
 */

export interface ShopDeps {
  db: Db;
  masterKey: () => Promise<string>;
  now: () => Date;
  /** The API's public base URL (the one the emails' links use): the webhook URLs are built from it. */
  publicUrl: string;
}

const SOURCES: WebhookSource[] = ['shopify', 'woocommerce', 'generic'];

/** How long a replaced webhook secret still verifies deliveries. */
export const SECRET_GRACE_HOURS = 24;
const ATTEMPTS = 5;

/** Which API key acted, for the activity: a prefix of its hash (the key cannot be derived from it). */
export const keyIdOf = (apiKey: string) => sha256Hex(apiKey).slice(0, 12);

/** What the shop owner sees: settings, which secrets are set (never their values) and the webhook URLs to give each platform. */
export function shopView(shop: ShopRecord, publicUrl: string, now: Date) {
  const base = publicUrl.replace(/\/+$/, '');
  const grace = Object.fromEntries(
    [...SOURCES, 'storefront' as const].flatMap((name) => {
      const previous = shop.previousSecrets?.[name];
      return previous && Date.parse(previous.until) > now.getTime() ? [[name, previous.until]] : [];
    }),
  ) as Partial<Record<SealedSecretName, string>>;
  return {
    shopId: shop.shopId,
    name: shop.name,
    url: shop.url ?? null,
    currency: shop.currency,
    locale: shop.locale,
    timezone: shop.timezone,
    createdAt: shop.createdAt,
    updatedAt: shop.updatedAt ?? shop.createdAt,
    settings: { ignoreTestOrders: shop.settings.ignoreTestOrders },
    /** The look and the postal address of the emails the shop writes; null until set. */
    brand: shop.brand ?? null,
    secrets: {
      ...(Object.fromEntries(SOURCES.map((source) => [source, shop.secrets[source] !== undefined])) as Record<WebhookSource, boolean>),
      /** The storefront secret the shop's server signs its customers with (X-Rapport-Customer). */
      storefront: shop.storefrontSecret !== undefined,
    },
    /** Replaced secrets still accepted, and until when. */
    previousSecretsValidUntil: grace,
    webhooks: Object.fromEntries(SOURCES.map((source) => [source, `${base}/webhooks/${source}/${shop.shopId}`])) as Record<
      WebhookSource,
      string
    >,
    /** The platform credentials given for reward codes: where they point, never the token or keys. */
    shopify: shop.shopify ? { domain: shop.shopify.domain } : null,
    woocommerce: shop.woocommerce ? { url: shop.woocommerce.url } : null,
  };
}

export type ShopView = ReturnType<typeof shopView>;

/**
 * The storefront secret: it stands alone against anyone who can see a signed header (the shop's
 * storefront pages), so it is longer than a webhook secret must be, and printable (it is typed into
 * a theme's settings or an environment variable).
 */
export const StorefrontSecretSchema = z
  .string()
  .min(32, 'at least 32 characters')
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

const isLoopbackHost = (host: string) => host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);

/** Shopify Admin API credentials: the shop's own *.myshopify.com domain (never a custom one) and its access token. */
export const ShopifyCredentialsSchema = z.strictObject({
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$/, "the shop's myshopify.com domain, such as tra-sen.myshopify.com"),
  adminAccessToken: z
    .string()
    .min(16, 'at least 16 characters')
    .max(512)
    .regex(/^[\x21-\x7e]+$/, 'an Admin API access token (shpat_…)'),
});

/**
 * WooCommerce REST API credentials. The URL is where the keys will travel: https only (plain http on
 * loopback, for a development site), no user or password in it, no query; the key pair as
 * WooCommerce makes it (ck_…, cs_…).
 */
export const WoocommerceCredentialsSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .refine((text) => {
      const url = new URL(text);
      return url.protocol === 'https:' || isLoopbackHost(url.hostname);
    }, 'https (plain http only for localhost or 127.0.0.1)')
    .refine((text) => {
      const url = new URL(text);
      return !url.username && !url.password && !url.search && !url.hash;
    }, 'the site URL alone, with no user, password, query or fragment')
    .overwrite((text) => text.replace(/\/+$/, '')),
  consumerKey: z.string().regex(/^ck_[A-Za-z0-9]{16,128}$/, 'a WooCommerce consumer key (ck_…)'),
  consumerSecret: z.string().regex(/^cs_[A-Za-z0-9]{16,128}$/, 'a WooCommerce consumer secret (cs_…)'),
});

/** A key no PATCH may name: answered 400 naming it (`z.never` keeps the field's path). */
const notChangeable = (why: string) => z.never({ error: why });
export const UpdateShopSchema = z.strictObject({
  name: CreateShopSchema.shape.name.optional(),
  /** The storefront; null removes it. */
  url: CreateShopSchema.shape.url.unwrap().nullable().optional(),
  locale: CreateShopSchema.shape.locale.optional(),
  timezone: CreateShopSchema.shape.timezone.optional(),
  settings: z.strictObject({ ignoreTestOrders: z.boolean().optional() }).optional(),
  /**
   * The emails' brand, replaced whole (null removes it): logo, colours, footer note, postal address.
   * Without the address, the shop's own marketing emails fall back to the built-in copy.
   */
  brand: BrandSchema.nullable().optional(),
  /** Set or replace a webhook signing secret or the storefront secret; the one replaced still verifies for 24 hours. */
  secrets: z
    .strictObject({
      shopify: SecretSchema.optional(),
      woocommerce: SecretSchema.optional(),
      generic: SecretSchema.optional(),
      storefront: StorefrontSecretSchema.optional(),
    })
    .optional(),
  /** Shopify Admin API credentials (reward codes as Shopify discounts); null removes them. Stored sealed, never shown. */
  shopify: ShopifyCredentialsSchema.nullable().optional(),
  /** WooCommerce REST API credentials (reward codes as coupons); null removes them. Stored sealed, never shown. */
  woocommerce: WoocommerceCredentialsSchema.nullable().optional(),
  currency: notChangeable(
    'currency cannot be changed: every amount already stored (orders, totals, points earned) is in the currency the shop was created with',
  ).optional(),
  shopId: notChangeable('shopId cannot be changed').optional(),
});

type Change = NonNullable<ShopActivityEntry['changes']>[number];

/** PATCH /v1/shop: the fields given, nothing else; answers the shop as GET does. */
export async function updateShop(authenticated: ShopRecord, body: unknown, apiKey: string, deps: ShopDeps): Promise<ShopView> {
  const input = parseOrThrow(UpdateShopSchema, body);
  const masterKey = await deps.masterKey();
  let shop = authenticated;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const now = deps.now();
    const at = now.toISOString();
    const changes: Change[] = [];
    const set: Parameters<typeof updateShopIfUnchanged>[3] = {};
    const remove: Array<keyof ShopRecord> = [];
    for (const field of ['name', 'locale', 'timezone'] as const) {
      const value = input[field];
      if (value !== undefined && value !== shop[field]) {
        set[field] = value;
        changes.push({ field, from: shop[field], to: value });
      }
    }
    if (input.url !== undefined && input.url !== (shop.url ?? null)) {
      if (input.url === null) remove.push('url');
      else set.url = input.url;
      changes.push({ field: 'url', from: shop.url ?? null, to: input.url });
    }
    const ignore = input.settings?.ignoreTestOrders;
    if (ignore !== undefined && ignore !== shop.settings.ignoreTestOrders) {
      set.settings = { ...shop.settings, ignoreTestOrders: ignore };
      changes.push({ field: 'settings.ignoreTestOrders', from: shop.settings.ignoreTestOrders, to: ignore });
    }
    if (input.brand !== undefined && JSON.stringify(input.brand) !== JSON.stringify(shop.brand ?? null)) {
      if (input.brand === null) remove.push('brand');
      else set.brand = input.brand;
      // Which parts changed, not their values: the address may be someone's home.
      const parts = new Set([...Object.keys(shop.brand ?? {}), ...Object.keys(input.brand ?? {})]);
      for (const part of [...parts].sort()) {
        const from = (shop.brand as Record<string, unknown> | undefined)?.[part];
        const to = (input.brand as Record<string, unknown> | null)?.[part];
        if (JSON.stringify(from) === JSON.stringify(to)) continue;
        changes.push(
          to === undefined
            ? { field: `brand.${part}`, to: null }
            : { field: `brand.${part}`, change: from === undefined ? 'set' : 'replaced' },
        );
      }
    }
    const secrets = { ...shop.secrets };
    // Grace that has run out is dropped whenever the record is written.
    const previous = Object.fromEntries(Object.entries(shop.previousSecrets ?? {}).filter(([, p]) => Date.parse(p.until) > now.getTime()));
    for (const source of SOURCES) {
      const plain = input.secrets?.[source];
      const context = `${shop.shopId}:${source}`;
      const current = shop.secrets[source];
      if (plain === undefined || (current !== undefined && decryptSecret(masterKey, current, context) === plain)) continue;
      secrets[source] = encryptSecret(masterKey, plain, context);
      // Only the secret just replaced stays valid: replacing twice within the grace drops the first.
      if (current !== undefined)
        previous[source] = { sealed: current, until: new Date(now.getTime() + SECRET_GRACE_HOURS * 3_600_000).toISOString() };
      changes.push({ field: `secrets.${source}`, change: current === undefined ? 'set' : 'replaced' });
    }
    if (changes.some((change) => change.field.startsWith('secrets.') && change.field !== 'secrets.storefront')) set.secrets = secrets;
    const storefront = input.secrets?.storefront;
    if (storefront !== undefined && storefrontSecretOf(shop, masterKey) !== storefront) {
      set.storefrontSecret = sealStorefrontSecret(shop.shopId, masterKey, storefront);
      if (shop.storefrontSecret !== undefined)
        previous.storefront = {
          sealed: shop.storefrontSecret,
          until: new Date(now.getTime() + SECRET_GRACE_HOURS * 3_600_000).toISOString(),
        };
      changes.push({ field: 'secrets.storefront', change: shop.storefrontSecret === undefined ? 'set' : 'replaced' });
    }
    planCredentials(shop, input, masterKey, { set, remove, changes });
    if (changes.length === 0) return shopView(shop, deps.publicUrl, now);
    if (set.secrets || set.storefrontSecret || Object.keys(previous).length !== Object.keys(shop.previousSecrets ?? {}).length)
      set.previousSecrets = previous;
    const written = await updateShopIfUnchanged(deps.db, shop.shopId, shop.revision ?? 0, { ...set, updatedAt: at }, remove);
    if (written) {
      // The local scheduler runs each shop at 03:00 in the zone its directory entry names.
      if (set.timezone) await putShopDirectoryEntry(deps.db, written);
      await putShopActivity(deps.db, shop.shopId, { at, entryId: randomUUID(), action: 'shop.updated', by: keyIdOf(apiKey), changes });
      return shopView(written, deps.publicUrl, now);
    }
    shop = await reread(deps.db, shop.shopId, apiKey);
  }
  throw new Error(`the shop changed ${ATTEMPTS} times while this change was being made`);
}

/**
 * The platform credentials a PATCH gives or removes (null). Given again unchanged, they change
 * nothing; the activity says which were set, replaced or removed (`to: null`), never their values.
 */
function planCredentials(
  shop: ShopRecord,
  input: z.infer<typeof UpdateShopSchema>,
  masterKey: string,
  plan: { set: Parameters<typeof updateShopIfUnchanged>[3]; remove: Array<keyof ShopRecord>; changes: Change[] },
): void {
  const held = platformCredentials(shop, masterKey);
  if (input.shopify === null && shop.shopify) {
    plan.remove.push('shopify');
    plan.changes.push({ field: 'shopify', to: null });
  } else if (input.shopify) {
    const same = held?.kind === 'shopify' && held.domain === input.shopify.domain && held.accessToken === input.shopify.adminAccessToken;
    if (!same) {
      plan.set.shopify = sealShopify(shop.shopId, masterKey, input.shopify);
      plan.changes.push({ field: 'shopify', change: shop.shopify ? 'replaced' : 'set' });
    }
  }
  if (input.woocommerce === null && shop.woocommerce) {
    plan.remove.push('woocommerce');
    plan.changes.push({ field: 'woocommerce', to: null });
  } else if (input.woocommerce) {
    // Shopify wins in platformCredentials, so compare with the stored WooCommerce fields themselves.
    const stored = shop.woocommerce ? platformCredentials({ ...shop, shopify: undefined }, masterKey) : undefined;
    const given = input.woocommerce;
    const same =
      stored?.kind === 'woocommerce' &&
      stored.url === given.url &&
      stored.consumerKey === given.consumerKey &&
      stored.consumerSecret === given.consumerSecret;
    if (!same) {
      plan.set.woocommerce = sealWoocommerce(shop.shopId, masterKey, given);
      plan.changes.push({ field: 'woocommerce', change: shop.woocommerce ? 'replaced' : 'set' });
    }
  }
}

/** The record after a lost race, and still this key's: a key rotated meanwhile no longer speaks for the shop. */
async function reread(db: Db, shopId: string, apiKey: string): Promise<ShopRecord> {
  const shop = await getShop(db, shopId, true);
  if (!shop?.apiKeyHashes.includes(sha256Hex(apiKey))) throw new UnauthorizedError('this API key was replaced meanwhile');
  return shop;
}

/**
 * POST /v1/shop/api-keys: a new key, shown in this answer only; the key that asked, and any other,
 * stops working at once (every request checks the hashes of the record read afresh: read-customers.ts
 * authenticateShop).
 */
export async function rotateApiKey(authenticated: ShopRecord, apiKey: string, deps: Pick<ShopDeps, 'db' | 'now'>) {
  let shop = authenticated;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const at = deps.now().toISOString();
    const fresh = newApiKey(shop.shopId);
    const written = await updateShopIfUnchanged(deps.db, shop.shopId, shop.revision ?? 0, {
      apiKeyHashes: [sha256Hex(fresh)],
      updatedAt: at,
    });
    if (written) {
      await putShopActivity(deps.db, shop.shopId, { at, entryId: randomUUID(), action: 'apiKey.rotated', by: keyIdOf(apiKey) });
      return { apiKey: fresh, keyId: keyIdOf(fresh), createdAt: at };
    }
    shop = await reread(deps.db, shop.shopId, apiKey);
  }
  throw new Error(`the shop changed ${ATTEMPTS} times while its key was being replaced`);
}

export const ActivityQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1024).optional(),
});

/** GET /v1/shop/activity: the shop's changes, newest first. */
export async function readShopActivity(shop: ShopRecord, query: Record<string, string | undefined>, db: Db) {
  const { limit, cursor } = parseOrThrow(ActivityQuerySchema, query, 'query');
  const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
  if (after !== undefined && !after.startsWith('ACT#')) throw new ValidationError('cursor', 'cursor is not one this API gave out');
  const page = await shopActivityPage(db, shop.shopId, limit, after);
  return { items: page.items, ...(page.lastSk ? { cursor: Buffer.from(page.lastSk).toString('base64url') } : {}) };
}

export const ShopsQuerySchema = z.object({
  // Two keys per shop (record and erasure marker) in one BatchGetItem of at most 100.
  limit: z.coerce.number().int().min(1).max(50).default(50),
  cursor: z.string().max(200).optional(),
});

/** GET /admin/shops: the shops of the deployment by id, a page at a time, from the shop directory. */
export async function listShops(query: Record<string, string | undefined>, db: Db) {
  const { limit, cursor } = parseOrThrow(ShopsQuerySchema, query, 'query');
  const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
  if (after !== undefined && !ShopIdSchema.safeParse(after).success)
    throw new ValidationError('cursor', 'cursor is not one this API gave out');
  const page = await shopDirectoryPage(db, limit, after);
  const found =
    page.shops.length > 0
      ? await getShopsWithErasure(
          db,
          page.shops.map((s) => s.shopId),
        )
      : [];
  const items = page.shops.map((entry, i) => {
    const { shop, erasedAt } = found[i] ?? {};
    return {
      shopId: entry.shopId,
      name: shop?.name ?? null,
      currency: shop?.currency ?? null,
      locale: shop?.locale ?? null,
      timezone: shop?.timezone ?? entry.timezone,
      url: shop?.url ?? null,
      createdAt: shop?.createdAt ?? entry.createdAt,
      ...(erasedAt ? { erasedAt } : {}),
    };
  });
  return { items, ...(page.last ? { cursor: Buffer.from(page.last).toString('base64url') } : {}) };
}
