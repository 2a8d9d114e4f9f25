import type { EmailTrigger } from './render.ts';

/**
 * Every word a customer reads in an email, per language (DESIGN §6: Vietnamese and English at
 * least). The templates hold layout only; the copy is here, as functions of values that are
 * already formatted for the language, so a translator sees whole sentences and never a number
 * format. Adding a language is adding one `Phrases` object below.
 */

export const EMAIL_LANGUAGES = ['en', 'vi'] as const;
export type EmailLanguage = (typeof EMAIL_LANGUAGES)[number];

/** How each language formats numbers and dates when the customer's own locale says nothing more precise. */
const DEFAULT_LOCALE: Record<EmailLanguage, string> = { en: 'en-US', vi: 'vi-VN' };

/** `vi_VN`, `VI-vn`, `vi` → `vi-VN`, `vi-VN`, `vi`; undefined for blanks and tags Intl rejects. */
function canonical(locale: string | undefined): string | undefined {
  const tag = locale?.trim().replace(/_/g, '-');
  if (!tag) return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

const languageOf = (tag: string) => tag.split('-')[0]?.toLowerCase() ?? '';
const isLanguage = (value: string): value is EmailLanguage => (EMAIL_LANGUAGES as readonly string[]).includes(value);

/**
 * The language of an email and the locale its numbers and dates are formatted in: the first of
 * the candidates (customer's locale, then the shop's) whose language we write, else English. The
 * formatting locale keeps the candidate's region (en-GB writes 15 March 2026) when Intl knows it.
 */
export function resolveLocale(...candidates: Array<string | undefined>): { language: EmailLanguage; locale: string } {
  for (const candidate of candidates) {
    const tag = canonical(candidate);
    if (!tag) continue;
    const language = languageOf(tag);
    if (!isLanguage(language)) continue;
    const supported = tag.includes('-') && Intl.NumberFormat.supportedLocalesOf([tag]).length > 0;
    return { language, locale: supported ? tag : DEFAULT_LOCALE[language] };
  }
  return { language: 'en', locale: DEFAULT_LOCALE.en };
}

/**
 * A tier's name in the email's language: the exact locale (vi-VN), the language (vi), any key of
 * that language, then English (the program requires it), then whatever there is.
 */
export function localizedName(names: Record<string, string>, language: EmailLanguage, locale: string, fallback: string): string {
  const keys = Object.keys(names);
  const key =
    [locale, language].find((k) => Object.hasOwn(names, k)) ??
    keys.find((k) => languageOf(k) === language) ??
    (Object.hasOwn(names, 'en') ? 'en' : keys[0]);
  const name = key === undefined ? undefined : names[key]?.trim();
  return name || fallback;
}

/** The tier metric a shortfall or progress is counted in (the program's `tiers.metric`). */
export type TierMetric = 'spend' | 'orders' | 'points';

/** Values already formatted for the language: "1.250 điểm", "15 tháng 3, 2026", "Vàng". */
export interface TriggerValues {
  welcome: { shop: string; bonus?: string };
  tier_up: { shop: string; tier: string };
  /** `more`: what keeps the tier, when an amount of the tier metric alone does (a tier with a rule that needs a prediction has none). */
  tier_down_warning: { shop: string; tier: string; more?: string; date: string };
  tier_down: { shop: string; tier: string };
  /** `bonus`: the points given; `offer`: what the birthday reward's code gives (at least one of them). */
  birthday: { shop: string; name?: string; bonus?: string; offer?: string };
  /** `offer`: what the code gives (a catalog reward's value, long form), when the program names one. */
  win_back: { shop: string; balance?: string; coupon: boolean; offer?: string };
  /** A flow's built-in copy: a thank-you from the shop, with what the flow's code gives when it has one. */
  flow: { shop: string; name?: string; balance?: string; offer?: string };
  points_expiring: { shop: string; points: string; date: string; count: number };
  feedback_request: { shop: string; orderNumber?: string };
  redemption_receipt: { shop: string; spent: string; balance: string; date?: string };
  points_milestone: { shop: string; milestone: string };
  reward_issued: {
    shop: string;
    /** The reward's name in the email's language. */
    reward: string;
    value: RewardValueText;
    code: string;
    /** The last day the code is valid, in the shop's time zone. */
    date: string;
    /** The points the reward cost; absent for a code that cost none (an offer). */
    points?: string;
    minOrder?: string;
  };
  /** `points`: the points given back; absent when the code cost none. */
  reward_failed: { shop: string; reward: string; points?: string; code: string };
}

/** What a reward is worth, its figures formatted: an amount and a cap in the shop's money, a percentage. */
export type RewardValueText =
  | { kind: 'amount_off'; amount: string }
  | { kind: 'percent_off'; percent: string; cap?: string }
  | { kind: 'free_shipping' }
  | { kind: 'free_product'; product?: string };

/** The trigger-specific copy of one email; everything around it (greeting, status, footer) is shared. */
export interface Copy {
  subject: string;
  /** The line inboxes show after the subject. */
  preheader: string;
  headline: string;
  paragraphs: string[];
  /** One figure the email is about, shown large: the new tier, the bonus, the shortfall… */
  highlight?: { value: string; caption: string };
  /** Label–value rows, e.g. of a receipt. */
  details?: Array<{ label: string; value: string }>;
  /** The label of the button to the shop; the button appears only where the email has somewhere to send the reader. */
  cta: string;
  /**
   * The label of the button to the customer's loyalty page, where the email is about their points,
   * tier or rewards: that button comes first, and the shop's becomes a plain link under it.
   */
  loyaltyCta?: string;
}

export interface Phrases {
  greeting(name: string | undefined): string;
  /** "1 point", "1,250 points"; `count` picks the plural, `formatted` is the number as shown. */
  points(count: number, formatted: string): string;
  /** What is still needed, as a phrase that fits "you need …" and "… to reach Gold". */
  more(metric: TierMetric, count: number, formatted: string): string;
  progress(more: string, nextTier: string): string;
  status: { tier: string; points: string };
  coupon: { label: string; validUntil(date: string): string };
  recommendations: { heading: string; view: string };
  /** A reward's value, short for the large figure ("₫50,000 off") and whole for a sentence. */
  rewardValue(value: RewardValueText): { short: string; long: string };
  footer: { marketing(shop: string): string; transactional(shop: string): string; unsubscribe: string; loyalty: string };
  triggers: { [T in EmailTrigger]: (values: TriggerValues[T]) => Copy };
}

const enPlural = new Intl.PluralRules('en');
const one = (count: number) => enPlural.select(count) === 'one';

const en: Phrases = {
  greeting: (name) => (name ? `Hi ${name},` : 'Hi there,'),
  points: (count, formatted) => `${formatted} ${one(count) ? 'point' : 'points'}`,
  more: (metric, count, formatted) => {
    if (metric === 'orders') return `${formatted} more ${one(count) ? 'order' : 'orders'}`;
    if (metric === 'points') return `${formatted} more ${one(count) ? 'point' : 'points'}`;
    return `${formatted} more spend`;
  },
  progress: (more, nextTier) => `${more} to reach ${nextTier}`,
  status: { tier: 'Your tier', points: 'Points balance' },
  coupon: { label: 'Your code', validUntil: (date) => `Valid until ${date}` },
  recommendations: { heading: 'Picked for you', view: 'View' },
  rewardValue: (value) => {
    switch (value.kind) {
      case 'amount_off':
        return { short: `${value.amount} off`, long: `${value.amount} off your order` };
      case 'percent_off':
        return {
          short: `${value.percent} off`,
          long: value.cap ? `${value.percent} off your order, up to ${value.cap}` : `${value.percent} off your order`,
        };
      case 'free_shipping':
        return { short: 'Free shipping', long: 'free shipping on your order' };
      case 'free_product':
        return value.product
          ? { short: `Free ${value.product}`, long: `${value.product} free with your order` }
          : { short: 'A free product', long: 'a free product with your order' };
    }
  },
  footer: {
    marketing: (shop) => `You are receiving this email because you are a member of the ${shop} rewards program.`,
    transactional: (shop) => `This is a service email about your ${shop} rewards account.`,
    unsubscribe: 'Unsubscribe',
    loyalty: 'Your points and rewards',
  },
  triggers: {
    welcome: ({ shop, bonus }) => ({
      subject: `Welcome to ${shop} rewards`,
      preheader: 'Every order now earns you points.',
      headline: `Welcome to ${shop} rewards`,
      paragraphs: [
        'You are now a member of our loyalty program. Every order earns you points, and the more you shop, the higher your tier climbs.',
        'Keep an eye on your inbox: members hear about rewards first.',
      ],
      ...(bonus ? { highlight: { value: `+${bonus}`, caption: 'A welcome gift, already in your account' } } : {}),
      cta: 'Start shopping',
    }),
    tier_up: ({ shop, tier }) => ({
      subject: `Congratulations, you are now ${tier} at ${shop}`,
      preheader: `You have reached the ${tier} tier.`,
      headline: 'You moved up a tier',
      paragraphs: [`Thank you for shopping with ${shop}. Your loyalty has earned you a new tier, and we could not be happier to have you.`],
      highlight: { value: tier, caption: 'Your new tier' },
      cta: 'See what is new',
      loyaltyCta: 'See my tier and rewards',
    }),
    tier_down_warning: ({ tier, more, date }) => ({
      subject: more ? `Keep your ${tier} tier: ${more} by ${date}` : `Keep your ${tier} tier: review on ${date}`,
      preheader: more ? `You need ${more} before ${date}.` : `Your ${tier} tier is reviewed on ${date}.`,
      headline: `Keep your ${tier} tier`,
      paragraphs: [
        more
          ? `Your ${tier} tier is up for review on ${date}. To keep it, you need ${more} before then.`
          : `Your ${tier} tier is up for review on ${date}. Shop with us before then to keep it.`,
        'Your points stay yours whatever happens.',
      ],
      highlight: more ? { value: capitalize(more), caption: `needed by ${date}` } : { value: date, caption: 'review date' },
      cta: 'Shop now',
      loyaltyCta: 'See my tier and points',
    }),
    tier_down: ({ shop, tier }) => ({
      subject: `Your ${shop} tier is now ${tier}`,
      preheader: 'Your points are safe, and every order counts toward your next tier.',
      headline: `Your tier is now ${tier}`,
      paragraphs: [
        `Your membership tier has changed to ${tier}. Your points are safe, and every order brings you closer to your next tier.`,
        'We look forward to seeing you again soon.',
      ],
      cta: 'Shop now',
      loyaltyCta: 'See my tier and points',
    }),
    birthday: ({ shop, name, bonus, offer }) => ({
      subject: name ? `Happy birthday, ${name}! A gift from ${shop}` : `Happy birthday from ${shop}!`,
      preheader: bonus ? `We added ${bonus} to your account.` : `A gift for you: ${offer}.`,
      headline: 'Happy birthday!',
      paragraphs: [
        bonus
          ? `Everyone at ${shop} wishes you a wonderful day. To celebrate, we added ${bonus} to your account.`
          : `Everyone at ${shop} wishes you a wonderful day.`,
        ...(offer ? [`And a gift to treat yourself: ${offer} with this code:`] : []),
      ],
      ...(bonus ? { highlight: { value: `+${bonus}`, caption: 'Your birthday gift' } } : {}),
      cta: 'Treat yourself',
    }),
    win_back: ({ shop, balance, coupon, offer }) => ({
      subject: offer ? `We miss you at ${shop}: ${offer}` : `We miss you at ${shop}`,
      preheader: balance ? `You still have ${balance} waiting for you.` : 'Come and see what is new.',
      headline: 'We miss you',
      paragraphs: [
        `It has been a while since your last visit to ${shop}, and we would love to welcome you back.`,
        ...(balance ? [`You still have ${balance} waiting for you: use them on your next order.`] : []),
        ...(offer
          ? [`To welcome you back, here is ${offer} with this code:`]
          : coupon
            ? ['Here is a little something to make your return even better.']
            : []),
      ],
      cta: 'Come back and shop',
    }),
    flow: ({ shop, name, balance, offer }) => ({
      subject: offer ? `A gift from ${shop}: ${offer}` : `A note from ${shop}`,
      preheader: offer ? 'A little something, just for you.' : 'Thank you for being with us.',
      headline: name ? `Thank you, ${name}` : 'Thank you',
      paragraphs: [
        `Everyone at ${shop} is glad to have you with us.`,
        ...(balance ? [`You have ${balance} to use on your next order.`] : []),
        ...(offer ? [`Here is ${offer} with this code:`] : []),
      ],
      cta: 'Visit the shop',
    }),
    points_expiring: ({ points, date, count }) => ({
      subject: `${points} ${one(count) ? 'expires' : 'expire'} on ${date}`,
      preheader: `Use ${one(count) ? 'it' : 'them'} before ${date}.`,
      headline: 'Your points are about to expire',
      paragraphs: [
        `${points} in your account will expire on ${date}. Use ${one(count) ? 'it' : 'them'} on your next order so ${one(count) ? 'it does' : 'they do'} not go to waste.`,
      ],
      highlight: { value: points, caption: `${one(count) ? 'expires' : 'expire'} on ${date}` },
      cta: 'Shop now',
      loyaltyCta: 'Use my points',
    }),
    feedback_request: ({ shop, orderNumber }) => ({
      subject: `How was your order from ${shop}?`,
      preheader: 'It only takes a minute.',
      headline: 'How did we do?',
      paragraphs: [
        `We would love to hear what you think of ${orderNumber ? `your order ${orderNumber}` : 'your recent order'}.`,
        'It only takes a minute, and it helps us serve you better.',
      ],
      cta: 'Share your feedback',
    }),
    redemption_receipt: ({ shop, spent, balance, date }) => ({
      subject: `Your ${shop} points redemption`,
      preheader: `You redeemed ${spent}. Your new balance is ${balance}.`,
      headline: 'Points redeemed',
      paragraphs: ['Here is the receipt for the points you redeemed. Keep it for your records.'],
      details: [
        ...(date ? [{ label: 'Date', value: date }] : []),
        { label: 'Points redeemed', value: spent },
        { label: 'New balance', value: balance },
      ],
      cta: 'Visit the shop',
    }),
    points_milestone: ({ shop, milestone }) => ({
      subject: `You have earned ${milestone} with ${shop}`,
      preheader: 'Thank you for being part of our community.',
      headline: 'A milestone worth celebrating',
      paragraphs: [
        `You have now earned ${milestone} since you joined. Thank you for being part of ${shop}. Here is to the next milestone!`,
      ],
      highlight: { value: milestone, caption: 'earned since you joined' },
      cta: 'Keep earning',
      loyaltyCta: 'See my rewards',
    }),
    reward_issued: ({ shop, reward, value, code, date, points, minOrder }) => {
      const worth = en.rewardValue(value);
      return {
        subject: `Your ${shop} reward: ${worth.short}`,
        preheader: `Your code ${code} is valid until ${date}.`,
        headline: 'Your reward is ready',
        paragraphs: [
          `${points ? `You redeemed ${points} for “${reward}”.` : `Your code for “${reward}” is ready.`} Enter the code below at checkout to get ${worth.long}.`,
          `The code can be used once, until ${date}.${minOrder ? ` It applies to orders of ${minOrder} or more.` : ''}`,
        ],
        highlight: { value: worth.short, caption: reward },
        details: [
          { label: 'Reward', value: reward },
          ...(points ? [{ label: 'Points redeemed', value: points }] : []),
          ...(minOrder ? [{ label: 'Minimum order', value: minOrder }] : []),
        ],
        cta: 'Use it now',
        loyaltyCta: 'See my points and rewards',
      };
    },
    reward_failed: ({ shop, reward, points, code }) => ({
      subject: `We could not issue your “${reward}” reward`,
      preheader: points ? `The ${points} you redeemed are back in your account.` : 'We are sorry for the trouble.',
      headline: points ? 'Your points are back' : 'We could not issue your reward',
      paragraphs: points
        ? [
            `We are sorry: ${shop} could not create the code for your reward “${reward}”. The ${points} you redeemed are back in your account.`,
            'You can redeem them again, for this reward or another one, whenever you like.',
          ]
        : [`We are sorry: ${shop} could not create the code for your reward “${reward}”.`],
      ...(points ? { highlight: { value: `+${points}`, caption: 'back in your account' } } : {}),
      details: [
        { label: 'Reward', value: reward },
        ...(points ? [{ label: 'Points returned', value: points }] : []),
        { label: 'Reference', value: code },
      ],
      cta: 'Visit the shop',
      loyaltyCta: 'Choose a reward',
    }),
  },
};

const vi: Phrases = {
  greeting: (name) => (name ? `Chào ${name},` : 'Chào bạn,'),
  points: (_count, formatted) => `${formatted} điểm`,
  more: (metric, _count, formatted) => {
    if (metric === 'orders') return `đặt thêm ${formatted} đơn hàng`;
    if (metric === 'points') return `tích thêm ${formatted} điểm`;
    return `mua sắm thêm ${formatted}`;
  },
  progress: (more, nextTier) => `Chỉ cần ${more} nữa để lên hạng ${nextTier}`,
  status: { tier: 'Hạng thành viên', points: 'Điểm hiện có' },
  coupon: { label: 'Mã ưu đãi của bạn', validUntil: (date) => `Có hiệu lực đến hết ngày ${date}` },
  recommendations: { heading: 'Gợi ý dành riêng cho bạn', view: 'Xem' },
  rewardValue: (value) => {
    switch (value.kind) {
      case 'amount_off':
        return { short: `Giảm ${value.amount}`, long: `giảm ${value.amount} cho đơn hàng` };
      case 'percent_off':
        return {
          short: `Giảm ${value.percent}`,
          long: value.cap ? `giảm ${value.percent} cho đơn hàng, tối đa ${value.cap}` : `giảm ${value.percent} cho đơn hàng`,
        };
      case 'free_shipping':
        return { short: 'Miễn phí vận chuyển', long: 'miễn phí vận chuyển cho đơn hàng' };
      case 'free_product':
        return value.product
          ? { short: `Tặng ${value.product}`, long: `tặng kèm ${value.product} cho đơn hàng` }
          : { short: 'Quà tặng miễn phí', long: 'một sản phẩm tặng kèm cho đơn hàng' };
    }
  },
  footer: {
    marketing: (shop) => `Bạn nhận được email này vì bạn là thành viên chương trình khách hàng thân thiết của ${shop}.`,
    transactional: (shop) => `Đây là email thông báo về tài khoản thành viên của bạn tại ${shop}.`,
    unsubscribe: 'Hủy đăng ký nhận email',
    loyalty: 'Điểm và ưu đãi của bạn',
  },
  triggers: {
    welcome: ({ shop, bonus }) => ({
      subject: `Chào mừng bạn đến với chương trình thành viên của ${shop}`,
      preheader: 'Từ nay, mỗi đơn hàng đều giúp bạn tích điểm.',
      headline: `Chào mừng bạn đến với ${shop}`,
      paragraphs: [
        'Bạn đã chính thức trở thành thành viên chương trình khách hàng thân thiết của chúng tôi. Mỗi đơn hàng đều giúp bạn tích điểm, mua sắm càng nhiều, hạng thành viên càng cao.',
        'Hãy để ý hộp thư nhé: thành viên luôn là người đầu tiên nhận được ưu đãi.',
      ],
      ...(bonus ? { highlight: { value: `+${bonus}`, caption: 'Quà chào mừng đã được cộng vào tài khoản của bạn' } } : {}),
      cta: 'Bắt đầu mua sắm',
    }),
    tier_up: ({ shop, tier }) => ({
      subject: `Chúc mừng! Bạn đã lên hạng ${tier} tại ${shop}`,
      preheader: `Bạn vừa đạt hạng thành viên ${tier}.`,
      headline: 'Chúc mừng bạn đã lên hạng',
      paragraphs: [`Cảm ơn bạn đã luôn tin tưởng mua sắm tại ${shop}. Sự gắn bó của bạn đã được đền đáp bằng một hạng thành viên mới.`],
      highlight: { value: tier, caption: 'Hạng thành viên mới của bạn' },
      cta: 'Khám phá ngay',
      loyaltyCta: 'Xem hạng và ưu đãi',
    }),
    tier_down_warning: ({ tier, more, date }) => ({
      subject: more ? `Giữ hạng ${tier}: bạn cần ${more} trước ngày ${date}` : `Giữ hạng ${tier}: xét lại vào ngày ${date}`,
      preheader: more ? `Bạn cần ${more} trước ngày ${date}.` : `Hạng ${tier} của bạn được xét lại vào ngày ${date}.`,
      headline: `Giữ hạng ${tier} của bạn`,
      paragraphs: [
        more
          ? `Hạng ${tier} của bạn sẽ được xét lại vào ngày ${date}. Để giữ hạng, bạn cần ${more} trước ngày đó.`
          : `Hạng ${tier} của bạn sẽ được xét lại vào ngày ${date}. Hãy mua sắm trước ngày đó để giữ hạng.`,
        'Dù thế nào, điểm của bạn vẫn được giữ nguyên.',
      ],
      highlight: more ? { value: capitalize(more), caption: `trước ngày ${date}` } : { value: date, caption: 'ngày xét hạng' },
      cta: 'Mua sắm ngay',
      loyaltyCta: 'Xem hạng và điểm của tôi',
    }),
    tier_down: ({ shop, tier }) => ({
      subject: `Hạng thành viên của bạn tại ${shop} hiện là ${tier}`,
      preheader: 'Điểm của bạn vẫn được giữ nguyên.',
      headline: `Hạng thành viên của bạn hiện là ${tier}`,
      paragraphs: [
        `Hạng thành viên của bạn đã được chuyển sang ${tier}. Điểm của bạn vẫn được giữ nguyên, và mỗi đơn hàng sẽ đưa bạn đến gần hơn với hạng tiếp theo.`,
        'Mong sớm được gặp lại bạn.',
      ],
      cta: 'Mua sắm ngay',
      loyaltyCta: 'Xem hạng và điểm của tôi',
    }),
    birthday: ({ shop, name, bonus, offer }) => ({
      subject: name ? `Chúc mừng sinh nhật ${name}! Quà tặng từ ${shop}` : `${shop} chúc mừng sinh nhật bạn!`,
      preheader: bonus ? `Chúng tôi đã tặng bạn ${bonus}.` : `Quà tặng dành cho bạn: ${offer}.`,
      headline: 'Chúc mừng sinh nhật!',
      paragraphs: [
        bonus
          ? `${shop} chúc bạn một ngày sinh nhật thật vui vẻ và ý nghĩa. Để chúc mừng, chúng tôi đã tặng bạn ${bonus} vào tài khoản.`
          : `${shop} chúc bạn một ngày sinh nhật thật vui vẻ và ý nghĩa.`,
        ...(offer ? [`Và một món quà để bạn tự thưởng: ${offer} với mã dưới đây:`] : []),
      ],
      ...(bonus ? { highlight: { value: `+${bonus}`, caption: 'Quà sinh nhật dành cho bạn' } } : {}),
      cta: 'Tự thưởng cho mình',
    }),
    win_back: ({ shop, balance, coupon, offer }) => ({
      subject: offer ? `${shop} rất nhớ bạn: ${offer}` : `${shop} rất nhớ bạn`,
      preheader: balance ? `Bạn vẫn còn ${balance} đang chờ.` : 'Ghé xem có gì mới nhé.',
      headline: 'Chúng tôi rất nhớ bạn',
      paragraphs: [
        `Đã lâu rồi bạn chưa ghé ${shop}, và chúng tôi rất mong được chào đón bạn quay lại.`,
        ...(balance ? [`Bạn vẫn còn ${balance} đang chờ: hãy dùng cho đơn hàng tiếp theo nhé.`] : []),
        ...(offer
          ? [`Để chào mừng bạn quay lại, ${shop} tặng bạn ${offer} với mã dưới đây:`]
          : coupon
            ? ['Một món quà nhỏ để chào mừng bạn quay lại:']
            : []),
      ],
      cta: 'Quay lại mua sắm',
    }),
    flow: ({ shop, name, balance, offer }) => ({
      subject: offer ? `Quà tặng từ ${shop}: ${offer}` : `Lời nhắn từ ${shop}`,
      preheader: offer ? 'Một món quà nhỏ dành riêng cho bạn.' : 'Cảm ơn bạn đã đồng hành cùng chúng tôi.',
      headline: name ? `Cảm ơn ${name}` : 'Cảm ơn bạn',
      paragraphs: [
        `${shop} rất vui vì có bạn đồng hành.`,
        ...(balance ? [`Bạn có ${balance} để dùng cho đơn hàng tiếp theo.`] : []),
        ...(offer ? [`${shop} tặng bạn ${offer} với mã dưới đây:`] : []),
      ],
      cta: 'Ghé cửa hàng',
    }),
    points_expiring: ({ points, date }) => ({
      subject: `${points} của bạn sẽ hết hạn vào ngày ${date}`,
      preheader: `Hãy dùng trước ngày ${date}.`,
      headline: 'Điểm của bạn sắp hết hạn',
      paragraphs: [
        `${points} trong tài khoản của bạn sẽ hết hạn vào ngày ${date}. Hãy dùng điểm cho đơn hàng tiếp theo để không bị lãng phí nhé.`,
      ],
      highlight: { value: points, caption: `sẽ hết hạn vào ngày ${date}` },
      cta: 'Mua sắm ngay',
      loyaltyCta: 'Dùng điểm ngay',
    }),
    feedback_request: ({ shop, orderNumber }) => ({
      subject: `Bạn thấy đơn hàng từ ${shop} thế nào?`,
      preheader: 'Chỉ mất một phút thôi.',
      headline: 'Bạn có hài lòng không?',
      paragraphs: [
        `Chúng tôi rất muốn biết cảm nhận của bạn về ${orderNumber ? `đơn hàng ${orderNumber}` : 'đơn hàng gần đây'}.`,
        'Chỉ mất một phút thôi, và ý kiến của bạn sẽ giúp chúng tôi phục vụ bạn tốt hơn.',
      ],
      cta: 'Gửi đánh giá',
    }),
    redemption_receipt: ({ shop, spent, balance, date }) => ({
      subject: `Xác nhận đổi điểm tại ${shop}`,
      preheader: `Bạn đã đổi ${spent}. Số dư mới: ${balance}.`,
      headline: 'Đổi điểm thành công',
      paragraphs: ['Đây là biên nhận cho lần đổi điểm của bạn. Hãy lưu lại để tiện theo dõi.'],
      details: [
        ...(date ? [{ label: 'Ngày', value: date }] : []),
        { label: 'Số điểm đã đổi', value: spent },
        { label: 'Số dư mới', value: balance },
      ],
      cta: 'Ghé cửa hàng',
    }),
    points_milestone: ({ shop, milestone }) => ({
      subject: `Bạn đã tích lũy được ${milestone} tại ${shop}`,
      preheader: 'Cảm ơn bạn đã luôn đồng hành cùng chúng tôi.',
      headline: 'Một cột mốc đáng nhớ',
      paragraphs: [
        `Bạn đã tích lũy được ${milestone} kể từ khi tham gia. Cảm ơn bạn đã đồng hành cùng ${shop}. Hẹn gặp bạn ở cột mốc tiếp theo!`,
      ],
      highlight: { value: milestone, caption: 'tích lũy kể từ khi bạn tham gia' },
      cta: 'Tiếp tục tích điểm',
      loyaltyCta: 'Xem ưu đãi của tôi',
    }),
    reward_issued: ({ shop, reward, value, code, date, points, minOrder }) => {
      const worth = vi.rewardValue(value);
      return {
        subject: `Ưu đãi của bạn tại ${shop}: ${worth.short}`,
        preheader: `Mã ${code} của bạn có hiệu lực đến hết ngày ${date}.`,
        headline: 'Ưu đãi của bạn đã sẵn sàng',
        paragraphs: [
          `${points ? `Bạn đã dùng ${points} để đổi “${reward}”.` : `Mã ưu đãi “${reward}” của bạn đã sẵn sàng.`} Nhập mã bên dưới khi thanh toán để được ${worth.long}.`,
          `Mã chỉ dùng được một lần, đến hết ngày ${date}.${minOrder ? ` Áp dụng cho đơn hàng từ ${minOrder} trở lên.` : ''}`,
        ],
        highlight: { value: worth.short, caption: reward },
        details: [
          { label: 'Ưu đãi', value: reward },
          ...(points ? [{ label: 'Số điểm đã đổi', value: points }] : []),
          ...(minOrder ? [{ label: 'Đơn hàng tối thiểu', value: minOrder }] : []),
        ],
        cta: 'Dùng mã ngay',
        loyaltyCta: 'Xem điểm và ưu đãi',
      };
    },
    reward_failed: ({ shop, reward, points, code }) => ({
      subject: `Chưa thể tạo mã cho ưu đãi “${reward}” của bạn`,
      preheader: points ? `${points} bạn đã đổi đã được hoàn lại vào tài khoản.` : 'Rất xin lỗi vì sự bất tiện này.',
      headline: points ? 'Điểm của bạn đã được hoàn lại' : 'Chưa thể tạo mã ưu đãi của bạn',
      paragraphs: points
        ? [
            `Rất tiếc, ${shop} chưa thể tạo mã cho ưu đãi “${reward}” mà bạn đã đổi. ${points} bạn đã dùng đã được hoàn lại vào tài khoản.`,
            'Bạn có thể đổi lại ưu đãi này hoặc chọn một ưu đãi khác bất cứ lúc nào.',
          ]
        : [`Rất tiếc, ${shop} chưa thể tạo mã cho ưu đãi “${reward}” của bạn.`],
      ...(points ? { highlight: { value: `+${points}`, caption: 'đã hoàn lại vào tài khoản' } } : {}),
      details: [
        { label: 'Ưu đãi', value: reward },
        ...(points ? [{ label: 'Số điểm được hoàn lại', value: points }] : []),
        { label: 'Mã tham chiếu', value: code },
      ],
      cta: 'Ghé cửa hàng',
      loyaltyCta: 'Chọn ưu đãi khác',
    }),
  },
};

function capitalize(text: string): string {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

export const PHRASES: Readonly<Record<EmailLanguage, Phrases>> = { en, vi };
