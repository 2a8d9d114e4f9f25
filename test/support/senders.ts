import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { signBase64Hmac } from '#shared/domain/signature.ts';

/**
 * Webhook deliveries as the senders make them, for tests that post to a running local stack.
 * Requests go through node:http rather than fetch so that header names reach the server in the
 * case the sender wrote them (fetch lower-cases them), and bodies are sent byte for byte.
 */

export interface RawResponse {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked by assertions, not by types
  json: any;
}

/** POST (or another method) with header names kept exactly as given; loopback only. */
export function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`refusing to send to ${target.hostname}: loopback only`);
  const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: opts.method ?? 'POST',
        headers: { ...(body ? { 'Content-Length': String(body.length) } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface ShopifyDelivery {
  topic: string;
  /** The signing secret; the HMAC is computed over the exact body bytes. */
  secret: string;
  body: string;
  webhookId?: string;
  triggeredAt?: string;
  shopDomain?: string;
  apiVersion?: string;
  /** Replaces the computed signature (a forged or stale one). */
  hmac?: string;
}

/**
 * Shopify's delivery headers (shopify.dev, "Webhooks: deliveries"): base64 HMAC-SHA256 of the raw
 * body, topic, shop domain, API version, webhook id (one per delivery, repeated on retries), event
 * id (one per merchant action) and triggered-at. Header names are case-insensitive; the names here
 * deliberately mix cases.
 */
export function shopifyHeaders(d: ShopifyDelivery): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Shopify-Captain-Hook',
    'X-Shopify-Topic': d.topic,
    'X-Shopify-Hmac-Sha256': d.hmac ?? signBase64Hmac(d.secret, d.body),
    'x-shopify-shop-domain': d.shopDomain ?? 'lumen-optics.myshopify.com',
    'X-SHOPIFY-API-VERSION': d.apiVersion ?? '2026-07',
    'X-Shopify-Webhook-Id': d.webhookId ?? randomUUID(),
    'x-Shopify-Event-Id': randomUUID(),
    'X-Shopify-Triggered-At': d.triggeredAt ?? new Date().toISOString(),
  };
}

export interface WooDelivery {
  /** resource.event, e.g. order.updated */
  topic: string;
  secret: string;
  body: string;
  webhookId?: number;
  deliveryId?: string;
  signature?: string;
}

/**
 * WooCommerce's delivery headers (WC_Webhook::deliver): X-WC-Webhook-Source, -Topic, -Resource,
 * -Event, -Signature (base64 HMAC-SHA256 of the body), -ID (the webhook's id) and -Delivery-ID
 * (a new one on every delivery, so it cannot identify a redelivery).
 */
export function wooHeaders(d: WooDelivery): Record<string, string> {
  const [resource = '', event = ''] = d.topic.split('.');
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'WooCommerce/9.8.0 Hookshot (WordPress/6.8)',
    'X-WC-Webhook-Source': 'https://shop.example.com/',
    'X-WC-Webhook-Topic': d.topic,
    'X-WC-Webhook-Resource': resource,
    'X-WC-Webhook-Event': event,
    'X-WC-Webhook-Signature': d.signature ?? signBase64Hmac(d.secret, d.body),
    'X-WC-Webhook-ID': String(d.webhookId ?? 12),
    'X-WC-Webhook-Delivery-ID': d.deliveryId ?? randomUUID().replaceAll('-', ''),
  };
}

/**
 * The body with one byte changed, still valid JSON where possible: the first digit becomes another
 * digit (an amount or an id changes), else the last byte is replaced.
 */
export function tamperOneByte(body: string): string {
  const at = body.search(/\d/);
  if (at >= 0) return `${body.slice(0, at)}${body[at] === '7' ? '8' : '7'}${body.slice(at + 1)}`;
  return `${body.slice(0, -1)}${body.endsWith(' ') ? '\n' : ' '}`;
}

/** Minor units → the decimal string senders write (USD and other two-decimal currencies). */
export const decimal = (minor: number) =>
  `${minor < 0 ? '-' : ''}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, '0')}`;
