import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { recommendProducts } from '#shared/email/recommend.ts';
import { type EmailContext, renderEmail } from '#shared/email/render.ts';

/**
 * Renders sample emails (welcome, tier_up, reward_issued, reward_failed and a flow on segment entry's
 * built-in copy with and without a reward, in English and Vietnamese) into .previews/ as HTML,
 * plain text and screenshots at a desktop and a phone width, to look at before shipping a
 * template change.
 *
 *   npm run preview:emails
 *
 * Uses the system's Chromium (Debian's package): playwright's own browser downloads are not used.
 */

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), '.previews');
const VIEWPORTS = [
  { name: 'desktop', width: 800, height: 900 },
  { name: 'mobile', width: 375, height: 800 },
] as const;

const catalogue = {
  'ca-phe-sua': { title: 'Cà phê sữa đá (hộp 10 gói)', url: 'https://tramoc.example.vn/p/ca-phe-sua', price: 125_000 },
  'tra-sen': { title: 'Trà sen Tây Hồ 100 g', url: 'https://tramoc.example.vn/p/tra-sen', price: 320_000 },
  'am-tra': { title: 'Ấm tích Bát Tràng', url: 'https://tramoc.example.vn/p/am-tra', price: 450_000 },
  'banh-pia': { title: 'Bánh pía Sóc Trăng', price: 85_000 },
};
const recommendations = recommendProducts({
  purchased: ['ca-phe-sua'],
  stats: {
    related: {
      'ca-phe-sua': [
        { productId: 'tra-sen', lift: 2.4, confidence: 0.3 },
        { productId: 'am-tra', lift: 1.8, confidence: 0.2 },
      ],
    },
    bestSellers: [
      { productId: 'ca-phe-sua', count: 900 },
      { productId: 'banh-pia', count: 400 },
    ],
  },
  catalogue,
});

const base = {
  shop: {
    name: 'Trà Mộc',
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    url: 'https://tramoc.example.vn',
    // The brand's footer note and postal address go in the built-in copy's footer too: shown here so a footer change is seen.
    brand: {
      address: '12 Hàng Bạc, Hoàn Kiếm, Hà Nội',
      footer: { vi: 'Cảm ơn bạn đã đồng hành cùng Trà Mộc.', en: 'Thank you for being part of Trà Mộc.' },
    },
  },
  recommendations,
  unsubscribeUrl: 'https://tramoc.example.vn/unsubscribe?token=sample',
  loyaltyUrl: 'https://tramoc.example.vn/l/tra-moc?t=sample',
};
const gold = { id: 'gold', name: { en: 'Gold', vi: 'Vàng' } };
const progress = { nextTier: { name: { en: 'Platinum', vi: 'Bạch Kim' } }, metric: 'spend' as const, remaining: 1_500_000 };

/** A reward code as the code step enqueues it (shared/use-cases/loyalty-effects.ts TriggerRecord). */
const reward = (value: Record<string, unknown>) => ({
  code: 'RW-7KQ2M-X9PDT',
  rewardId: 'money-off',
  name: { en: 'Money off your order', vi: 'Giảm giá đơn hàng' },
  value,
  currency: 'VND',
  minOrder: 300_000,
  points: 500,
  expiresAt: '2026-12-31T16:59:59.000Z',
});

/** A flow's reward as the run gives it (resegment.ts giveReward → render.ts `offer`). */
const flowOffer = {
  code: 'FL-3HD8Q-2MZ7W',
  value: { kind: 'free_shipping' },
  currency: 'VND',
  expiresAt: '2026-12-31T16:59:59.000Z',
};
/** The postal address a marketing email's footer carries (PATCH /v1/shop {brand}). */
const brand = { address: '12 Hàng Bạc, Hoàn Kiếm, Hà Nội' };

const samples: Record<string, EmailContext> = {
  'welcome.en': {
    ...base,
    trigger: 'welcome',
    locale: 'en-US',
    customer: {
      firstName: 'Emma',
      points: { balance: 100, lifetime: 100 },
      progress: { ...progress, nextTier: { name: { en: 'Silver', vi: 'Bạc' } } },
    },
    data: { bonus: 100 },
  },
  'welcome.vi': {
    ...base,
    trigger: 'welcome',
    locale: 'vi-VN',
    customer: {
      firstName: 'Lan',
      points: { balance: 100, lifetime: 100 },
      progress: { ...progress, nextTier: { name: { en: 'Silver', vi: 'Bạc' } } },
    },
    data: { bonus: 100 },
  },
  'tier_up.en': {
    ...base,
    trigger: 'tier_up',
    locale: 'en-US',
    customer: { firstName: 'Emma', tier: gold, points: { balance: 1_250, lifetime: 4_800 }, progress },
    data: {},
  },
  'tier_up.vi': {
    ...base,
    trigger: 'tier_up',
    locale: 'vi-VN',
    customer: { firstName: 'Lan', tier: gold, points: { balance: 1_250, lifetime: 4_800 }, progress },
    data: {},
  },
  'reward_issued.en': {
    ...base,
    trigger: 'reward_issued',
    locale: 'en-US',
    customer: { firstName: 'Emma', tier: gold, points: { balance: 750, lifetime: 4_800 }, progress },
    data: reward({ kind: 'percent_off', percent: 15, maxAmount: 100_000 }),
  },
  'reward_issued.vi': {
    ...base,
    trigger: 'reward_issued',
    locale: 'vi-VN',
    customer: { firstName: 'Lan', tier: gold, points: { balance: 750, lifetime: 4_800 }, progress },
    data: reward({ kind: 'amount_off', amount: 50_000 }),
  },
  'reward_failed.en': {
    ...base,
    trigger: 'reward_failed',
    locale: 'en-US',
    customer: { firstName: 'Emma', tier: gold, points: { balance: 1_250, lifetime: 4_800 }, progress },
    data: { code: 'RW-7KQ2M-X9PDT', name: { en: 'Money off your order', vi: 'Giảm giá đơn hàng' }, points: 500 },
  },
  'reward_failed.vi': {
    ...base,
    trigger: 'reward_failed',
    locale: 'vi-VN',
    customer: { firstName: 'Lan', tier: gold, points: { balance: 1_250, lifetime: 4_800 }, progress },
    data: { code: 'RW-7KQ2M-X9PDT', name: { en: 'Money off your order', vi: 'Giảm giá đơn hàng' }, points: 500 },
  },
  'flow.en': {
    ...base,
    shop: { ...base.shop, brand },
    trigger: 'flow',
    locale: 'en-US',
    customer: { firstName: 'Emma', tier: gold, points: { balance: 1_250, lifetime: 4_800 }, progress },
    data: { flowId: 'gold-welcome', offer: flowOffer },
  },
  'flow.vi': {
    ...base,
    shop: { ...base.shop, brand },
    trigger: 'flow',
    locale: 'vi-VN',
    customer: { firstName: 'Lan', tier: gold, points: { balance: 1_250, lifetime: 4_800 }, progress },
    data: { flowId: 'gold-welcome', offer: flowOffer },
  },
  'flow-no-reward.en': {
    ...base,
    shop: { ...base.shop, brand },
    trigger: 'flow',
    locale: 'en-US',
    customer: { points: { balance: 0, lifetime: 0 } },
    data: { flowId: 'ha-noi' },
  },
  'flow-no-reward.vi': {
    ...base,
    shop: { ...base.shop, brand },
    trigger: 'flow',
    locale: 'vi-VN',
    customer: { points: { balance: 0, lifetime: 0 } },
    data: { flowId: 'ha-noi' },
  },
};

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.error(`No browser at ${CHROMIUM}: install Debian's chromium: apt-get install chromium`);
    process.exit(1);
  }
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    for (const [name, context] of Object.entries(samples)) {
      const email = renderEmail(context);
      writeFileSync(join(OUT, `${name}.html`), email.html);
      writeFileSync(join(OUT, `${name}.txt`), `Subject: ${email.subject}\n\n${email.text}`);
      for (const viewport of VIEWPORTS) {
        const page = await browser.newPage({ viewport: { width: viewport.width, height: viewport.height } });
        await page.setContent(email.html, { waitUntil: 'load' });
        await page.screenshot({ path: join(OUT, `${name}.${viewport.name}.png`), fullPage: true });
        await page.close();
      }
      console.log(`${name}: ${email.subject}`);
    }
  } finally {
    await browser.close();
  }
  console.log(`previews written to ${OUT}`);
}

await main();
