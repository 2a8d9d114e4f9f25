import type { StorefrontLanguage } from '#shared/http/storefront-contract.ts';

/**
 * Every word a customer reads from the storefront API (the widget and the hosted loyalty page), per
 * language, as functions of values already formatted for it: how points are earned, why a reward
 * cannot be redeemed yet, what each ledger entry was, and the hosted page's own lines.
 */

export interface StorefrontCopy {
  earnRate(points: string, per: string): string;
  firstOrderBonus(points: string): string;
  birthdayBonus(points: string): string;
  tierMultiplier(tier: string, multiplier: string): string;
  pendingDays(days: number): string;
  expiryInactivity(months: number): string;
  expiryFixedTerm(months: number): string;
  needMorePoints(points: string): string;
  stillPending: string;
  forTiers(tiers: string): string;
  limitReached(count: number, per: 'ever' | 'month' | 'year'): string;
  notYetMember: string;
  /** The referral offer: what a friend gets on their first order, and what the customer gets once it is approved. */
  referralOffer(friend: string, referrer: string): string;
  history: {
    order(label: string): string;
    clawback(label: string): string;
    firstOrderBonus: string;
    birthdayBonus: string;
    bonus: string;
    redeemed(reward: string | undefined): string;
    adjusted: string;
    expired: string;
    returned(code: string | undefined): string;
    /** Points for an activity: its name in the program, or the built-in wording of a built-in one. */
    activity(name: string | undefined, activity: string): string;
    /** A referral's reward: as the friend who came, or as the customer who brought them. */
    referral(role: 'friend' | 'referrer'): string;
  };
  page: { title(shop: string): string; heading(shop: string): string; expired: string; invalid: string; noScript: string };
  /** The page a referral link shows when the shop gave no URL to send the friend to. */
  referralLanding: string;
}

const en: StorefrontCopy = {
  earnRate: (points, per) => `Earn ${points} for every ${per} you spend.`,
  firstOrderBonus: (points) => `Get ${points} extra on your first order.`,
  birthdayBonus: (points) => `Get ${points} on your birthday.`,
  tierMultiplier: (tier, multiplier) => `${tier} members earn ${multiplier} points.`,
  pendingDays: (days) => `Points from an order can be spent ${days} ${days === 1 ? 'day' : 'days'} after it is paid.`,
  expiryInactivity: (months) => `Points expire after ${months} ${months === 1 ? 'month' : 'months'} without an order or a redemption.`,
  expiryFixedTerm: (months) => `Points expire ${months} ${months === 1 ? 'month' : 'months'} after you earn them.`,
  needMorePoints: (points) => `${points} more needed`,
  stillPending: 'Some of your points are still pending',
  forTiers: (tiers) => `For ${tiers} members`,
  limitReached: (count, per) =>
    `Limit reached: ${count} per customer${per === 'ever' ? '' : per === 'month' ? ' each month' : ' each year'}`,
  notYetMember: 'Earn points with your first order',
  referralOffer: (friend, referrer) =>
    `Invite a friend: they get ${friend} on their first order, and you get ${referrer} once it is confirmed.`,
  history: {
    order: (label) => `Order ${label}`,
    clawback: (label) => `Refund or cancellation of order ${label}`,
    firstOrderBonus: 'First order bonus',
    birthdayBonus: 'Birthday bonus',
    bonus: 'Bonus points',
    redeemed: (reward) => (reward ? `Redeemed: ${reward}` : 'Points redeemed'),
    adjusted: 'Adjusted by the shop',
    expired: 'Points expired',
    returned: (code) => (code ? `Points returned for code ${code}` : 'Points returned'),
    activity: (name, activity) =>
      name ??
      ({
        signup: 'Signing up',
        review: 'Writing a review',
        survey: 'Answering a survey',
        social_follow: 'Following us',
        birthday_set: 'Telling us your birthday',
      }[activity] ||
        'Bonus points'),
    referral: (role) => (role === 'friend' ? 'Welcome gift from a friend’s invitation' : 'A friend you invited ordered'),
  },
  page: {
    title: (shop) => `${shop} rewards`,
    heading: (shop) => `${shop} rewards`,
    expired: 'This link has expired. Open the link in a newer email from the shop, or log in to the shop, to see your points.',
    invalid: 'This link is not valid. Open the link in an email from the shop, or log in to the shop, to see your points.',
    noScript: 'Turn on JavaScript to see your points and rewards.',
  },
  referralLanding: 'A friend invited you. Use this code at checkout:',
};

const vi: StorefrontCopy = {
  earnRate: (points, per) => `Nhận ${points} cho mỗi ${per} chi tiêu.`,
  firstOrderBonus: (points) => `Nhận thêm ${points} cho đơn hàng đầu tiên.`,
  birthdayBonus: (points) => `Nhận ${points} vào ngày sinh nhật.`,
  tierMultiplier: (tier, multiplier) => `Thành viên hạng ${tier} nhận ${multiplier} điểm.`,
  pendingDays: (days) => `Điểm từ một đơn hàng có thể dùng sau ${days} ngày kể từ khi thanh toán.`,
  expiryInactivity: (months) => `Điểm hết hạn sau ${months} tháng không có đơn hàng hay lần đổi điểm nào.`,
  expiryFixedTerm: (months) => `Điểm hết hạn ${months} tháng sau khi được cộng.`,
  needMorePoints: (points) => `Cần thêm ${points}`,
  stillPending: 'Một phần điểm của bạn đang chờ xác nhận',
  forTiers: (tiers) => `Dành cho thành viên hạng ${tiers}`,
  limitReached: (count, per) =>
    `Đã đạt giới hạn: ${count} lần mỗi khách hàng${per === 'ever' ? '' : per === 'month' ? ' mỗi tháng' : ' mỗi năm'}`,
  notYetMember: 'Tích điểm từ đơn hàng đầu tiên của bạn',
  referralOffer: (friend, referrer) =>
    `Mời bạn bè: bạn ấy nhận ${friend} cho đơn hàng đầu tiên, bạn nhận ${referrer} khi đơn được xác nhận.`,
  history: {
    order: (label) => `Đơn hàng ${label}`,
    clawback: (label) => `Hoàn tiền hoặc hủy đơn hàng ${label}`,
    firstOrderBonus: 'Thưởng đơn hàng đầu tiên',
    birthdayBonus: 'Quà sinh nhật',
    bonus: 'Điểm thưởng',
    redeemed: (reward) => (reward ? `Đổi điểm: ${reward}` : 'Đổi điểm'),
    adjusted: 'Cửa hàng điều chỉnh',
    expired: 'Điểm hết hạn',
    returned: (code) => (code ? `Hoàn điểm cho mã ${code}` : 'Hoàn điểm'),
    activity: (name, activity) =>
      name ??
      ({
        signup: 'Đăng ký thành viên',
        review: 'Viết đánh giá',
        survey: 'Trả lời khảo sát',
        social_follow: 'Theo dõi cửa hàng',
        birthday_set: 'Cập nhật ngày sinh',
      }[activity] ||
        'Điểm thưởng'),
    referral: (role) => (role === 'friend' ? 'Quà chào mừng nhờ lời mời của bạn bè' : 'Bạn bè bạn giới thiệu đã mua hàng'),
  },
  page: {
    title: (shop) => `Ưu đãi thành viên ${shop}`,
    heading: (shop) => `Ưu đãi thành viên ${shop}`,
    expired: 'Liên kết này đã hết hạn. Hãy mở liên kết trong email mới hơn của cửa hàng, hoặc đăng nhập vào cửa hàng, để xem điểm của bạn.',
    invalid: 'Liên kết này không hợp lệ. Hãy mở liên kết trong email của cửa hàng, hoặc đăng nhập vào cửa hàng, để xem điểm của bạn.',
    noScript: 'Hãy bật JavaScript để xem điểm và ưu đãi của bạn.',
  },
  referralLanding: 'Một người bạn đã mời bạn. Hãy dùng mã này khi thanh toán:',
};

export const STOREFRONT_COPY: Record<StorefrontLanguage, StorefrontCopy> = { en, vi };

/** "1 point", "1,250 points"; "1 điểm", "1.250 điểm". */
export function pointsText(points: number, language: StorefrontLanguage, locale: string): string {
  const count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(points);
  if (language === 'vi') return `${count} điểm`;
  return `${count} ${points === 1 ? 'point' : 'points'}`;
}
