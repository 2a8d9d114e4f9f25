import { gammaSampler } from '#shared/analytics/simulate.ts';
import { signGeneric } from '#shared/domain/signature.ts';

/**
 * A demo shop with a believable history, over HTTP as a shop would send it: used by
 * `npm run preview:console` for its screenshots and by the console's browser tests, which both need
 * enough customers and repeat purchases for a run to fit the CLV model and show its holdout check.
 */

export interface DemoShop {
  shopId: string;
  name: string;
  currency: string;
  timezone: string;
  locale: string;
  url: string;
}

export const DEMO_SHOP: DemoShop = {
  shopId: 'tra-viet',
  name: 'Trà Việt',
  currency: 'VND',
  timezone: 'Asia/Ho_Chi_Minh',
  locale: 'vi-VN',
  url: 'https://tramoc.example.vn',
};

/** The first customer of every history: the README's Mai, with a repeat purchase or more. */
export const DEMO_FIRST_EMAIL = 'mai.nguyen@example.vn';

/** POST /admin/shops: the shop's API key and generated generic webhook secret (shown once). */
export async function createShop(api: string, adminKey: string, shop: DemoShop = DEMO_SHOP): Promise<{ apiKey: string; secret: string }> {
  const res = await fetch(`${api}/admin/shops`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(shop),
  });
  if (res.status !== 201) throw new Error(`create shop: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { apiKey: string; generatedSecrets: { generic: string } };
  return { apiKey: body.apiKey, secret: body.generatedSecrets.generic };
}

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ'];
const GIVEN = ['Mai', 'Lan', 'Hùng', 'Minh', 'Thảo', 'Tuấn', 'Hương', 'Dũng', 'Linh', 'Quân', 'Trang', 'Phúc'];
const PRODUCTS = [
  { sku: 'TRA-SEN', title: 'Trà sen Tây Hồ 100 g', price: 320_000, category: 'Trà' },
  { sku: 'TRA-OOLONG', title: 'Oolong Bảo Lộc 200 g', price: 280_000, category: 'Trà' },
  { sku: 'CA-PHE', title: 'Cà phê sữa đá (hộp 10 gói)', price: 125_000, category: 'Cà phê' },
  { sku: 'AM-TRA', title: 'Ấm tích Bát Tràng', price: 450_000, category: 'Ấm chén' },
  { sku: 'BANH-PIA', title: 'Bánh pía Sóc Trăng', price: 85_000, category: 'Bánh' },
];

/** A small seeded generator: the same shop every time. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export interface DemoOrderEvent {
  type: 'order.upserted';
  occurredAt: string;
  customer: Record<string, unknown>;
  order: Record<string, unknown>;
}

/**
 * `customers` customers over two years in VND, their purchases drawn from the BG/NBD model itself (a
 * purchase rate per customer from Gamma(r, α), a chance to drop out after each purchase from
 * Beta(a, b)), so a run's CLV fit has something real to find. Generic webhook events, oldest first,
 * as a shop's history would arrive. The first customer is Mai (DEMO_FIRST_EMAIL).
 */
export function demoHistory({ customers = 300, seed = 22, now = Date.now() } = {}): DemoOrderEvent[] {
  const next = random(seed);
  const gamma = gammaSampler(next);
  // Baskets draw from a stream of their own, so the purchase times do not depend on what was bought.
  const basket = random(seed + 1);
  const basketGamma = gammaSampler(basket);
  const WEEK = 7 * 86_400_000;
  const events: DemoOrderEvent[] = [];
  for (let c = 0; c < customers; c++) {
    const first = c === 0 ? 'Mai' : (GIVEN[Math.floor(next() * GIVEN.length)] as string);
    const last = c === 0 ? 'Nguyễn' : (FAMILY[Math.floor(next() * FAMILY.length)] as string);
    const customer = {
      externalId: `generic:${1000 + c}`,
      email: c === 0 ? DEMO_FIRST_EMAIL : `khach${c}@example.vn`,
      phone: `0912 ${String(100 + (c % 900)).padStart(3, '0')} ${String(c).padStart(3, '0')}`,
      firstName: first,
      lastName: last,
      locale: c % 4 === 3 ? 'en-US' : 'vi-VN',
      acceptsEmailMarketing: c % 3 !== 2,
    };
    const rate = gamma(2, 10); // purchases per week while active
    const dropout = ((x, y) => x / (x + y))(gamma(1, 1), gamma(4, 1));
    // Each customer's own basket size (mean 1): spend differs between customers, not only between
    // orders, as the Gamma-Gamma model expects; without it the fit has nothing to tell apart and
    // runs off to the boundary (no convergence) on about half the days.
    const appetite = basketGamma(3, 3);
    const times: number[] = [];
    let at = now - next() * 100 * WEEK;
    for (;;) {
      times.push(at);
      if (c !== 0 && next() < dropout) break;
      at += (-Math.log(1 - next()) / rate) * WEEK;
      if (at > now || times.length >= 20) break;
    }
    times.forEach((time, o) => {
      const when = new Date(time).toISOString();
      const lines = PRODUCTS.filter(() => basket() < 0.4);
      const items = (lines.length ? lines : PRODUCTS.slice(0, 1)).map((p) => ({
        ...p,
        quantity: Math.max(1, Math.round(appetite * (1 + basket() * 2))),
      }));
      const total = items.reduce((sum, item) => sum + item.price * item.quantity, 0);
      events.push({
        type: 'order.upserted',
        occurredAt: when,
        customer,
        order: {
          orderId: `TV-${1000 + c}-${o}`,
          status: 'paid',
          currency: 'VND',
          total,
          createdAt: when,
          updatedAt: when,
          lineItems: items,
        },
      });
    });
  }
  return events.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
}

/** Signed generic webhooks (X-Rapport-Signature), `batch` events per request; each must be accepted (202). */
export async function sendSigned(api: string, shopId: string, secret: string, events: readonly unknown[], batch = 100): Promise<void> {
  for (let i = 0; i < events.length; i += batch) {
    const body = JSON.stringify(events.length === 1 ? events[0] : events.slice(i, i + batch));
    const res = await fetch(`${api}/webhooks/generic/${shopId}`, {
      method: 'POST',
      headers: { 'x-rapport-signature': signGeneric(secret, body, Math.floor(Date.now() / 1000)), 'content-type': 'application/json' },
      body,
    });
    if (res.status !== 202) throw new Error(`webhook: ${res.status} ${await res.text()}`);
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The customer id once the customer with this email has been processed. */
export async function waitForCustomer(api: string, apiKey: string, email: string, ms = 120_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const res = await fetch(`${api}/v1/customers?email=${encodeURIComponent(email)}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const body = (await res.json()) as { items?: Array<{ customerId: string }> };
    const found = body.items?.[0]?.customerId;
    if (found) return found;
    await sleep(200);
  }
  throw new Error(`${email} never appeared`);
}

/**
 * Until no queue of the local runtime (GET /health) holds a message ready or in flight, twice in a
 * row; delayed messages (feedback requests wait for days) do not count.
 */
export async function waitForQueues(api: string, ms = 450_000): Promise<void> {
  type Depth = { visible: number; inFlight: number };
  const deadline = Date.now() + ms;
  let quiet = 0;
  while (quiet < 2) {
    if (Date.now() > deadline) throw new Error(`the queues were still busy after ${ms / 1000} s`);
    const health = (await (await fetch(`${api}/health`)).json()) as { queues?: Record<string, Depth> };
    const busy = Object.values(health.queues ?? {}).some((depth) => depth.visible + depth.inFlight > 0);
    quiet = busy ? 0 : quiet + 1;
    await sleep(500);
  }
}

/** POST /v1/runs, then its status every half second until it has succeeded (throws if it fails). */
export async function runAndWait(api: string, apiKey: string, ms = 300_000): Promise<string> {
  const headers = { authorization: `Bearer ${apiKey}` };
  const started = (await (await fetch(`${api}/v1/runs`, { method: 'POST', headers })).json()) as { runId: string };
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const run = (await (await fetch(`${api}/v1/runs/${started.runId}`, { headers })).json()) as { status: string };
    if (run.status === 'succeeded') return started.runId;
    if (run.status === 'failed') throw new Error(`run ${started.runId} failed`);
    await sleep(500);
  }
  throw new Error(`run ${started.runId} did not finish`);
}
