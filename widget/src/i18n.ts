import type { StorefrontLanguage } from '../../shared/http/storefront-contract.ts';

/**
 * Every string the widget shows, in English and Vietnamese. `{name}` marks a value put in by
 * `translate`; the Vietnamese table is typed by the English one, so a missing key does not compile
 * (test/unit/widget-i18n.test.ts also checks the placeholders match). Texts the API sends (how to
 * earn, reward and tier names, reasons, history descriptions) arrive already in the language asked.
 */
const en = {
  launcher: 'Rewards',
  title: 'Rewards at {shop}',
  close: 'Close',
  loading: 'Loading…',
  loadFailed: 'The rewards could not be loaded. Check your connection and try again.',
  retry: 'Try again',
  expired: 'Your session has expired. Please reload the page.',
  hello: 'Hi {name}',
  helloAnonymous: 'Hi there',
  pointsOne: '{n} point',
  pointsOther: '{n} points',
  spendable: 'Points to spend',
  pending: '{points} pending',
  pendingHelp: 'Points from recent orders count once the return period is over.',
  tier: 'Your tier',
  nextTier: '{remaining} more to reach {tier}',
  nextTierRule: 'Next tier: {tier}',
  topTier: 'You are in the top tier.',
  progressLabel: 'Progress to {tier}',
  ordersOne: '{n} order',
  ordersOther: '{n} orders',
  rewards: 'Rewards',
  noRewards: 'No rewards yet.',
  redeem: 'Redeem',
  redeeming: 'Redeeming…',
  redeemFor: 'Redeem for {points}',
  steps: 'Amount',
  costFixed: '{points}',
  costPer: '{points} per {amount}',
  minOrder: 'On orders from {amount}',
  tierOnly: 'For {tiers}',
  limit: 'At most {count} per {per}',
  limitEver: 'customer',
  limitMonth: 'month',
  limitYear: 'year',
  amountOff: '{amount} off',
  percentOff: '{percent}% off',
  percentOffMax: '{percent}% off, up to {amount}',
  freeShipping: 'Free shipping',
  freeProduct: 'A free product',
  networkError: 'The request did not get through. Try again: you will not be charged twice.',
  refused: 'Not redeemed: {message}',
  yourCode: 'Your code',
  copy: 'Copy',
  copied: 'Copied',
  expires: 'Valid until {date}',
  codePending: 'Your code is being created. It will appear here in a moment.',
  codeStillPending: 'Your code is still being created: it will be listed under Your codes shortly.',
  codeFailed: 'The code could not be created. Your points have been returned.',
  codes: 'Your codes',
  invite: 'Invite friends',
  inviteLink: 'Your link',
  statusPending: 'Being created',
  statusIssued: 'Ready to use',
  statusUsed: 'Used',
  statusReturned: 'Expired, points returned',
  statusFailed: 'Failed, points returned',
  history: 'History',
  noHistory: 'No points yet: your first order earns some.',
  howToEarn: 'How to earn points',
  tiers: 'Tiers',
  tierFrom: 'From {threshold}',
  tierMultiplier: '×{multiplier} points',
  signIn: 'Sign in to your account to see your points and redeem rewards.',
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

const vi: Messages = {
  launcher: 'Ưu đãi',
  title: 'Ưu đãi tại {shop}',
  close: 'Đóng',
  loading: 'Đang tải…',
  loadFailed: 'Không tải được ưu đãi. Vui lòng kiểm tra kết nối và thử lại.',
  retry: 'Thử lại',
  expired: 'Phiên đã hết hạn. Vui lòng tải lại trang.',
  hello: 'Chào {name}',
  helloAnonymous: 'Xin chào',
  pointsOne: '{n} điểm',
  pointsOther: '{n} điểm',
  spendable: 'Điểm có thể dùng',
  pending: '{points} đang chờ',
  pendingHelp: 'Điểm từ đơn hàng gần đây sẽ dùng được khi hết thời hạn đổi trả.',
  tier: 'Hạng của bạn',
  nextTier: 'Còn {remaining} nữa để lên hạng {tier}',
  nextTierRule: 'Hạng tiếp theo: {tier}',
  topTier: 'Bạn đang ở hạng cao nhất.',
  progressLabel: 'Tiến độ lên hạng {tier}',
  ordersOne: '{n} đơn hàng',
  ordersOther: '{n} đơn hàng',
  rewards: 'Phần thưởng',
  noRewards: 'Chưa có phần thưởng nào.',
  redeem: 'Đổi',
  redeeming: 'Đang đổi…',
  redeemFor: 'Đổi {points}',
  steps: 'Giá trị',
  costFixed: '{points}',
  costPer: '{points} cho mỗi {amount}',
  minOrder: 'Cho đơn hàng từ {amount}',
  tierOnly: 'Dành cho hạng {tiers}',
  limit: 'Tối đa {count} lần mỗi {per}',
  limitEver: 'khách hàng',
  limitMonth: 'tháng',
  limitYear: 'năm',
  amountOff: 'Giảm {amount}',
  percentOff: 'Giảm {percent}%',
  percentOffMax: 'Giảm {percent}%, tối đa {amount}',
  freeShipping: 'Miễn phí vận chuyển',
  freeProduct: 'Một sản phẩm miễn phí',
  networkError: 'Yêu cầu chưa được gửi đi. Vui lòng thử lại: bạn sẽ không bị trừ điểm hai lần.',
  refused: 'Không đổi được: {message}',
  yourCode: 'Mã của bạn',
  copy: 'Sao chép',
  copied: 'Đã sao chép',
  expires: 'Có hiệu lực đến {date}',
  codePending: 'Mã của bạn đang được tạo và sẽ hiện ở đây trong giây lát.',
  codeStillPending: 'Mã của bạn vẫn đang được tạo: mã sẽ có trong mục Mã của bạn ngay sau đó.',
  codeFailed: 'Không tạo được mã. Điểm của bạn đã được hoàn lại.',
  codes: 'Mã của bạn',
  invite: 'Mời bạn bè',
  inviteLink: 'Liên kết của bạn',
  statusPending: 'Đang tạo',
  statusIssued: 'Sẵn sàng dùng',
  statusUsed: 'Đã dùng',
  statusReturned: 'Hết hạn, đã hoàn điểm',
  statusFailed: 'Lỗi, đã hoàn điểm',
  history: 'Lịch sử điểm',
  noHistory: 'Chưa có điểm nào: đơn hàng đầu tiên sẽ mang lại điểm cho bạn.',
  howToEarn: 'Cách tích điểm',
  tiers: 'Hạng thành viên',
  tierFrom: 'Từ {threshold}',
  tierMultiplier: 'Điểm ×{multiplier}',
  signIn: 'Đăng nhập tài khoản để xem điểm và đổi phần thưởng.',
};

export const MESSAGES: Record<StorefrontLanguage, Messages> = { en, vi };

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function translator(language: StorefrontLanguage): Translate {
  const table = MESSAGES[language];
  return (key, values = {}) => table[key].replace(/\{(\w+)\}/g, (whole, name: string) => String(values[name] ?? whole));
}

/** `vi`, `vi-VN` → vi; `en-GB` → en; anything else → undefined (the shop's language then). */
export function languageOf(tag: string | null | undefined): StorefrontLanguage | undefined {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return primary === 'vi' || primary === 'en' ? primary : undefined;
}
