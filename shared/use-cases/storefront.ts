import * as z from 'zod';
import { getCustomerRecordsPage, getIdentityOwners, loadProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import type { Profile } from '#shared/data/profile-item.ts';
import { getRewardCode, listCustomerCodes, type RewardCode } from '#shared/data/reward-code-repo.ts';
import { storefrontSecretsOf } from '#shared/data/shop-credentials.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { checkCustomerSignature, customerSignatureProblem } from '#shared/domain/customer-signature.ts';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '#shared/domain/errors.ts';
import { ShopIdSchema } from '#shared/domain/event.ts';
import { type IdentityRef, normalizeEmail } from '#shared/domain/identity.ts';
import { formatMoney } from '#shared/email/format.ts';
import { localizedName, resolveLocale } from '#shared/email/locales.ts';
import { loyaltyKey, verifyLoyaltyToken } from '#shared/email/loyalty-link.ts';
import type {
  StorefrontCode,
  StorefrontCustomer,
  StorefrontHistoryEntry,
  StorefrontLanguage,
  StorefrontMe,
  StorefrontProgram,
  StorefrontRedeemAnswer,
  StorefrontReward,
  StorefrontRewardOffer,
} from '#shared/http/storefront-contract.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { tierFactsOf } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import type { ReferralReward } from '#shared/loyalty/referrals.ts';
import { limitPeriod, priceOf, type Reward } from '#shared/loyalty/rewards.ts';
import { clvFactsOf, factsOf, localDate, shortfallTo, tierIndex } from '#shared/loyalty/rules.ts';
import { pointsText, STOREFRONT_COPY, type StorefrontCopy } from '#shared/loyalty/storefront-copy.ts';
import { KeySchema, pendingPoints } from '#shared/use-cases/redeem-points.ts';
import { type RedeemRewardDeps, RewardIdSchema, redeemReward } from '#shared/use-cases/redeem-reward.ts';
import { referralCodeFor } from '#shared/use-cases/referrals.ts';

/**
 * The storefront API (GET /v1/storefront/me, POST /v1/storefront/me/rewards/{rewardId}/redeem): the
 * loyalty program as the shop's own customers see it, in the widget on the shop's pages and on the
 * hosted loyalty page. Answers are the shapes of shared/http/storefront-contract.ts.
 *
 * Who is asking: `X-Rapport-Shop` names the shop; `X-Rapport-Customer` (the shop's server signs its
 * logged-in customer, domain/customer-signature.ts) or `X-Rapport-Link` (a link token from an email,
 * email/loyalty-link.ts) names the customer; with neither the visitor is anonymous and gets the
 * program only. A signature or a link that does not hold is a 401 naming its header, never a quiet
 * fall back to anonymous: a page that shows "join us" to a member would be a worse answer.
 *
 * A signed-in customer Rapport has never seen (no order or customer webhook has named them yet) is not
 * an error: the shop vouches for them, so they get a `customer` with 0 points in the first tier and
 * every reward unavailable, and a redemption is refused with 409 (nothing to spend). Creating a
 * profile here would make a customer from a page view, which only the shop's events may do.
 */

export interface StorefrontDeps {
  db: Db;
  /** The shop, undefined when unknown or erased (deps.ts loadShop); `fresh` reads past the cache. */
  loadShop: (shopId: string, options?: { fresh?: boolean }) => Promise<ShopRecord | undefined>;
  /** The program as this container last read it (30 s at most): pages are read far more than programs change. */
  program: (shopId: string) => Promise<Program>;
  /** What a redemption needs (redeem-reward.ts), its program read afresh (the catalog the shop just edited). */
  redeem: RedeemRewardDeps;
  masterKey: () => Promise<string>;
  now: () => Date;
  /** The API's public URL, for the referral link `/r/{code}`; absent: the answer gives the code only. */
  publicUrl?: string;
}

/** The request's headers and query, as the edge found them. */
export interface StorefrontRequest {
  shopId: string | undefined;
  customer: string | undefined;
  link: string | undefined;
  lang: string | undefined;
  /** The widget names the language of a redemption's texts here (it sends no ?lang there). */
  acceptLanguage?: string | undefined;
}

const SHOP_HEADER = 'X-Rapport-Shop';
const CUSTOMER_HEADER = 'X-Rapport-Customer';
const LINK_HEADER = 'X-Rapport-Link';
const CODES_SHOWN = 20;
const HISTORY_SHOWN = 20;
const LangSchema = z.enum(['vi', 'en'], { error: 'vi or en' }).optional();
/** The storefront's keys live beside the shop API's under the customer, marked `sf:` (the shop's ledger shows where a redemption came from). */
const StorefrontKeySchema = KeySchema.max(96, 'an Idempotency-Key of 8–96 characters');

/** Who the request is for: the shop, and the customer when signed in (`customerId` undefined: one Rapport has not seen). */
export interface Visitor {
  shop: ShopRecord;
  signedIn: boolean;
  customerId?: string;
  profile?: Profile;
}

/** The shop and the customer a request names, each header checked; throws 400, 401 or 404 naming the header. */
export async function identifyVisitor(request: StorefrontRequest, deps: StorefrontDeps): Promise<Visitor> {
  if (request.shopId === undefined || request.shopId === '')
    throw new ValidationError(SHOP_HEADER, `the ${SHOP_HEADER} header is required`);
  const shopId = parseOrThrow(ShopIdSchema, request.shopId, SHOP_HEADER);
  if (request.customer !== undefined && request.link !== undefined) {
    throw new ValidationError(CUSTOMER_HEADER, `send ${CUSTOMER_HEADER} or ${LINK_HEADER}, not both`);
  }
  let shop = await deps.loadShop(shopId);
  if (!shop) throw new NotFoundError(`no shop ${shopId}`);
  if (request.customer === undefined && request.link === undefined) return { shop, signedIn: false };
  const masterKey = await deps.masterKey();
  const now = deps.now();
  let customerId: string | undefined;
  if (request.customer !== undefined) {
    const seconds = Math.floor(now.getTime() / 1000);
    let check = checkCustomerSignature(request.customer, shopId, storefrontSecretsOf(shop, masterKey, now), seconds);
    // The secret may have been set or replaced a moment ago in another container: read the shop
    // afresh once (1 read unit, only when the cached secrets said no).
    if (!check.ok && check.reason === 'bad_signature') {
      shop = await deps.loadShop(shopId, { fresh: true });
      if (!shop) throw new NotFoundError(`no shop ${shopId}`);
      const secrets = storefrontSecretsOf(shop, masterKey, now);
      if (secrets.length === 0) throw new UnauthorizedError(`${CUSTOMER_HEADER} cannot be checked: the shop has set no storefront secret`);
      check = checkCustomerSignature(request.customer, shopId, secrets, seconds);
    }
    if (!check.ok) throw new UnauthorizedError(customerSignatureProblem(check.reason));
    customerId = await customerIdOf(deps.db, shop, check.customer);
  } else {
    const verified = verifyLoyaltyToken(request.link, loyaltyKey(masterKey), now);
    if (!verified.ok) {
      throw new UnauthorizedError(
        verified.reason === 'expired'
          ? `${LINK_HEADER} has expired: the link in an email opens the page for 30 days`
          : `${LINK_HEADER} is not a link Rapport made`,
      );
    }
    if (verified.payload.shopId !== shopId) throw new UnauthorizedError(`${LINK_HEADER} is a link of another shop`);
    customerId = verified.payload.customerId;
  }
  const profile = customerId ? await loadProfile(deps.db, shopId, customerId) : undefined;
  // An erased customer is one Rapport no longer knows.
  if (!profile || profile.erasedAt) return { shop, signedIn: true };
  return { shop, signedIn: true, customerId: profile.customerId, profile };
}

/**
 * The customer `c` names: an email (it has an @), or an external id. Rapport holds external ids
 * namespaced by platform (`shopify:7412…`, `woocommerce:42`); a shop's theme knows only its platform's
 * bare id, so a bare id is also tried under each platform, after itself (a generic sender's own id).
 */
async function customerIdOf(db: Db, shop: ShopRecord, c: string): Promise<string | undefined> {
  let refs: IdentityRef[];
  if (c.includes('@')) {
    const email = normalizeEmail(c);
    if (!email) return undefined;
    refs = [{ kind: 'email', value: email }];
  } else {
    refs = [{ kind: 'ext', value: c }];
    if (!c.includes(':')) refs.push({ kind: 'ext', value: `shopify:${c}` }, { kind: 'ext', value: `woocommerce:${c}` });
  }
  const owners = await getIdentityOwners(db, shop.shopId, refs);
  return owners.find((owner) => owner !== undefined);
}

interface Speech {
  language: StorefrontLanguage;
  /** For numbers and money: the customer's or the shop's exact locale when it is of this language. */
  locale: string;
  copy: StorefrontCopy;
}

/** `?lang=` when given, else the customer's language, else the shop's; Vietnamese or English. */
function speechOf(lang: string | undefined, visitor: Visitor): Speech {
  const asked = parseOrThrow(LangSchema, lang === '' ? undefined : lang, 'lang');
  const candidates = asked ? [asked] : [visitor.profile?.contact.locale, visitor.shop.locale];
  const resolved = resolveLocale(...candidates);
  // The shop's own locale formats numbers when it is of the language spoken (vi-VN for vi).
  const { locale } = asked && resolveLocale(visitor.shop.locale).language === asked ? resolveLocale(visitor.shop.locale) : resolved;
  return { language: resolved.language, locale, copy: STOREFRONT_COPY[resolved.language] };
}

/** What the hosted loyalty page shows (shared/http/loyalty-page.ts renders it). */
export interface LoyaltyPageFacts {
  shopId: string;
  shopName: string;
  language: StorefrontLanguage;
  link?: string;
  notice?: 'expired' | 'invalid';
  /** For the log line only. */
  customerId?: string;
}

/**
 * GET /l/{shopId}?t=…: the page a loyalty link opens. A token that does not hold (expired, another
 * shop's, not ours) still shows the page, to an anonymous visitor, with a line saying why: the
 * customer clicked a link in a real email, and the program is still worth showing.
 */
export async function loyaltyPageFacts(
  shopId: unknown,
  token: string | undefined,
  lang: string | undefined,
  deps: Pick<StorefrontDeps, 'db' | 'loadShop' | 'masterKey' | 'now'>,
): Promise<LoyaltyPageFacts> {
  const id = parseOrThrow(ShopIdSchema, shopId, 'shopId');
  const shop = await deps.loadShop(id);
  if (!shop) throw new NotFoundError(`no shop ${id}`);
  let visitor: Visitor = { shop, signedIn: false };
  let link: string | undefined;
  let notice: LoyaltyPageFacts['notice'];
  if (token) {
    const verified = verifyLoyaltyToken(token, loyaltyKey(await deps.masterKey()), deps.now());
    if (verified.ok && verified.payload.shopId === id) {
      link = token;
      const profile = await loadProfile(deps.db, id, verified.payload.customerId);
      visitor = { shop, signedIn: true, customerId: verified.payload.customerId, ...(profile && !profile.erasedAt ? { profile } : {}) };
    } else {
      notice = !verified.ok && verified.reason === 'expired' ? 'expired' : 'invalid';
    }
  }
  const { language } = speechOf(lang, visitor);
  return {
    shopId: id,
    shopName: shop.name,
    language,
    ...(link ? { link } : {}),
    ...(notice ? { notice } : {}),
    ...(visitor.customerId ? { customerId: visitor.customerId } : {}),
  };
}

/**
 * The language an Accept-Language header asks for first, when it is one the storefront speaks; any
 * other header (a browser's own list of languages it would take) asks for nothing, and is no error.
 */
function askedLanguage(header: string | undefined): StorefrontLanguage | undefined {
  const first = header?.split(',')[0]?.split(';')[0]?.trim().toLowerCase().split('-')[0];
  return first === 'vi' || first === 'en' ? first : undefined;
}

/** GET /v1/storefront/me */
export async function storefrontMe(request: StorefrontRequest, deps: StorefrontDeps): Promise<Answered<StorefrontMe>> {
  const visitor = await identifyVisitor(request, deps);
  const speech = speechOf(request.lang, visitor);
  const program = await deps.program(visitor.shop.shopId);
  const answer: StorefrontMe = {
    shop: shopOf(visitor.shop),
    language: speech.language,
    program: programOf(program, visitor.shop, speech),
    customer: visitor.signedIn ? await customerOf(visitor, program, speech, deps) : null,
  };
  return { answer, ...keysOf(visitor) };
}

/** An answer with the ids a log line carries (Rapport's ids only: never the signed `c`, which may be an email). */
export type Answered<T> = { answer: T; shopId: string; customerId?: string };

const keysOf = (visitor: Visitor) => ({ shopId: visitor.shop.shopId, ...(visitor.customerId ? { customerId: visitor.customerId } : {}) });

const shopOf = (shop: ShopRecord): StorefrontMe['shop'] => ({
  shopId: shop.shopId,
  name: shop.name,
  currency: shop.currency,
  ...(shop.url ? { url: shop.url } : {}),
});

const nameIn = (names: Record<string, string>, speech: Speech, fallback: string) =>
  localizedName(names, speech.language, speech.locale, fallback);

/** The program as an anonymous visitor reads it: how to earn, the tiers, the rewards on offer. */
export function programOf(program: Program, shop: ShopRecord, speech: Speech): StorefrontProgram {
  return {
    howToEarn: howToEarn(program, shop.currency, speech),
    tiers: {
      metric: program.tiers.metric,
      levels: program.tiers.levels.map((level) => ({
        id: level.id,
        name: nameIn(level.name, speech, level.id),
        ...(level.threshold !== undefined ? { threshold: level.threshold } : {}),
        earnMultiplier: level.earnMultiplier,
      })),
    },
    rewards: program.rewards.filter((reward) => reward.active).map((reward) => rewardOf(reward, speech)),
  };
}

function howToEarn(program: Program, currency: string, speech: Speech): string[] {
  const { copy, language, locale } = speech;
  const { earn, firstOrderBonus, birthdayBonus, pendingDays, expiry } = program.points;
  const points = (n: number) => pointsText(n, language, locale);
  const lines: string[] = [];
  if (earn.points > 0) lines.push(copy.earnRate(points(earn.points), formatMoney(earn.per, currency, locale)));
  if (firstOrderBonus > 0) lines.push(copy.firstOrderBonus(points(firstOrderBonus)));
  if (birthdayBonus > 0) lines.push(copy.birthdayBonus(points(birthdayBonus)));
  if (earn.points > 0) {
    for (const level of program.tiers.levels) {
      if (level.earnMultiplier === 1) continue;
      const multiplier = `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(level.earnMultiplier)}×`;
      lines.push(copy.tierMultiplier(nameIn(level.name, speech, level.id), multiplier));
    }
  }
  if (pendingDays > 0) lines.push(copy.pendingDays(pendingDays));
  if (expiry.kind === 'inactivity') lines.push(copy.expiryInactivity(expiry.months));
  if (expiry.kind === 'fixedTerm') lines.push(copy.expiryFixedTerm(expiry.months));
  return lines;
}

function rewardOf(reward: Reward, speech: Speech): StorefrontReward {
  return {
    id: reward.id,
    name: nameIn(reward.name, speech, reward.id),
    value: reward.value,
    cost: reward.cost,
    ...(reward.minOrder ? { minOrder: reward.minOrder } : {}),
    ...(reward.tiers ? { tiers: reward.tiers } : {}),
    ...(reward.limit ? { limit: reward.limit } : {}),
    validityDays: reward.validityDays,
  };
}

async function customerOf(visitor: Visitor, program: Program, speech: Speech, deps: StorefrontDeps): Promise<StorefrontCustomer> {
  const { shop, profile } = visitor;
  const now = deps.now();
  const levels = program.tiers.levels;
  // The tier a redemption checks (use-cases/redeem-reward.ts): the profile's, else the first.
  const index = tierIndex(program, profile?.loyalty.tier ?? levels[0]?.id);
  const tier = levels[index] ?? levels[0];
  const next = levels[index + 1];
  const balance = profile?.loyalty.balance ?? 0;
  const pending = profile ? pendingPoints(profile, program, now) : 0;
  const spendable = balance - pending;
  const facts = profile ? tierFactsOf(profile.history, program, now, clvFactsOf(profile.derived.clv)) : factsOf(0, program);
  const progress = next ? facts[program.tiers.metric] : 0;
  const remaining = next ? shortfallTo(next, facts, program) : undefined;
  const [codes, history] = profile
    ? await Promise.all([codesOf(shop, profile.customerId, speech, deps.db), historyOf(visitor, program, speech, deps.db)])
    : [[], []];
  const firstName = profile?.contact.firstName;
  const referral = profile && program.referrals.active ? await referralOf(shop, profile.customerId, program, speech, deps) : undefined;
  return {
    ...(firstName ? { firstName } : {}),
    spendable,
    balance,
    pending,
    tier: { id: tier?.id ?? '', name: tier ? nameIn(tier.name, speech, tier.id) : '' },
    nextTier: next
      ? {
          id: next.id,
          name: nameIn(next.name, speech, next.id),
          progress,
          ...(remaining !== undefined ? { threshold: next.threshold ?? progress + remaining, remaining } : {}),
        }
      : null,
    rewards: program.rewards
      .filter((reward) => reward.active)
      .map((reward) => offerOf(reward, { profile, tierId: tier?.id ?? '', balance, spendable, shop, program, speech, now })),
    codes,
    history,
    ...(referral ? { referral } : {}),
  };
}

/** The customer's code (claimed on first sight: referrals.ts), their link, and what each side gets, in the customer's words. */
async function referralOf(shop: ShopRecord, customerId: string, program: Program, speech: Speech, deps: StorefrontDeps) {
  const code = await referralCodeFor(deps.db, shop.shopId, customerId, deps.now());
  const said = (reward: ReferralReward) => {
    if ('points' in reward) return pointsText(reward.points, speech.language, speech.locale);
    const found = program.rewards.find((candidate) => candidate.id === reward.rewardId);
    return found ? nameIn(found.name, speech, found.id) : reward.rewardId;
  };
  return {
    code,
    ...(deps.publicUrl ? { url: `${deps.publicUrl}/r/${code}` } : {}),
    offer: speech.copy.referralOffer(said(program.referrals.friendReward), said(program.referrals.referrerReward)),
  };
}

interface OfferContext {
  profile: Profile | undefined;
  tierId: string;
  balance: number;
  spendable: number;
  shop: ShopRecord;
  program: Program;
  speech: Speech;
  now: Date;
}

/**
 * Whether the customer may redeem the reward now, by the rules redeemReward applies, in its order:
 * the tier, the limit in its period (the shop's local date), then the spendable points for the
 * reward's smallest purchase.
 */
function offerOf(reward: Reward, ctx: OfferContext): StorefrontRewardOffer {
  const { copy, language, locale } = ctx.speech;
  const offer = rewardOf(reward, ctx.speech);
  const no = (reason: string): StorefrontRewardOffer => ({ ...offer, available: false, reason });
  if (!ctx.profile) return no(copy.notYetMember);
  if (reward.tiers && !reward.tiers.includes(ctx.tierId)) {
    const names = reward.tiers.map((id) => {
      const level = ctx.program.tiers.levels.find((candidate) => candidate.id === id);
      return level ? nameIn(level.name, ctx.speech, id) : id;
    });
    return no(copy.forTiers(names.join(', ')));
  }
  if (reward.limit) {
    const period = limitPeriod(reward.limit, localDate(ctx.now, ctx.shop.timezone));
    const held = ctx.profile.rewardLimits[reward.id];
    const count = held?.period === period ? held.count : 0;
    if (count >= reward.limit.count) return no(copy.limitReached(reward.limit.count, reward.limit.per));
  }
  const cheapest = priceOf(reward, reward.cost.kind === 'per' ? reward.cost.minSteps : 1).points;
  if (ctx.spendable < cheapest) {
    return no(ctx.balance >= cheapest ? copy.stillPending : copy.needMorePoints(pointsText(cheapest - ctx.spendable, language, locale)));
  }
  return { ...offer, available: true };
}

/** The customer's newest codes (their pointers, then each code: at most 20 reads in parallel). */
async function codesOf(shop: ShopRecord, customerId: string, speech: Speech, db: Db): Promise<StorefrontCode[]> {
  const names = await listCustomerCodes(db, shop.shopId, customerId, CODES_SHOWN);
  const codes = await Promise.all(names.map((code) => getRewardCode(db, shop.shopId, code)));
  return codes.filter((code): code is RewardCode => code !== undefined).map((code) => codeOf(code, speech));
}

function codeOf(
  code: Pick<RewardCode, 'code' | 'rewardId' | 'name' | 'value' | 'minOrder' | 'points' | 'issuedAt' | 'expiresAt' | 'status'>,
  speech: Speech,
): StorefrontCode {
  return {
    code: code.code,
    rewardId: code.rewardId,
    name: nameIn(code.name, speech, code.rewardId),
    value: code.value,
    ...(code.minOrder ? { minOrder: code.minOrder } : {}),
    points: code.points,
    issuedAt: code.issuedAt,
    expiresAt: code.expiresAt,
    status: code.status,
  };
}

const HISTORY_KINDS = new Set<StorefrontHistoryEntry['kind']>([
  'earn',
  'clawback',
  'bonus',
  'redeem',
  'adjust',
  'expire',
  'return',
  'activity',
  'referral',
]);

/** "#1042" from `shopify:1042`: the customer knows the order by the shop's number, not Rapport's namespace. */
const orderLabel = (orderId: unknown) => `#${String(orderId ?? '').replace(/^(shopify|woocommerce|generic):/, '')}`;

/** The newest ledger entries, each said in the customer's words; the staff's reason for an adjustment stays with the staff. */
async function historyOf(visitor: Visitor, program: Program, speech: Speech, db: Db): Promise<StorefrontHistoryEntry[]> {
  const { copy } = speech;
  const page = await getCustomerRecordsPage(db, visitor.shop.shopId, visitor.customerId as string, 'PTS#', HISTORY_SHOWN);
  return page.items.map((item) => {
    const stored = String(item.kind);
    const kind = HISTORY_KINDS.has(stored as StorefrontHistoryEntry['kind']) ? (stored as StorefrontHistoryEntry['kind']) : 'adjust';
    const source = (item.source ?? {}) as Record<string, unknown>;
    let description: string;
    switch (kind) {
      case 'earn':
        description = copy.history.order(orderLabel(source.orderId));
        break;
      case 'clawback':
        description = copy.history.clawback(orderLabel(source.orderId));
        break;
      case 'bonus':
        description =
          source.reason === 'first order'
            ? copy.history.firstOrderBonus
            : source.reason === 'birthday'
              ? copy.history.birthdayBonus
              : copy.history.bonus;
        break;
      case 'redeem': {
        const reward = program.rewards.find((candidate) => candidate.id === source.rewardId);
        description = copy.history.redeemed(reward ? nameIn(reward.name, speech, reward.id) : undefined);
        break;
      }
      case 'expire':
        description = copy.history.expired;
        break;
      case 'return':
        // A code the platform refused, or one that expired unused: its points came back.
        description = copy.history.returned(typeof source.code === 'string' ? source.code : undefined);
        break;
      case 'activity': {
        const activity = program.activities.find((candidate) => candidate.activity === source.activity);
        description = copy.history.activity(
          activity?.name ? nameIn(activity.name, speech, activity.activity) : undefined,
          String(source.activity),
        );
        break;
      }
      case 'referral':
        description = copy.history.referral(source.role === 'friend' ? 'friend' : 'referrer');
        break;
      default:
        description = copy.history.adjusted;
    }
    return { at: String(item.at), kind, points: Number(item.points), description };
  });
}

/**
 * POST /v1/storefront/me/rewards/{rewardId}/redeem (Idempotency-Key): the signed-in customer buys a
 * reward, through the very redemption the shop API makes (use-cases/redeem-reward.ts), so the points,
 * the limit, the code and the ledger follow the same rules and the same once-per-key guarantee.
 */
export async function redeemOnStorefront(
  request: StorefrontRequest,
  rewardId: unknown,
  body: unknown,
  idempotencyKey: string | undefined,
  deps: StorefrontDeps,
): Promise<Answered<StorefrontRedeemAnswer>> {
  // The route's own parameter first, as every route checks its path before anything else.
  parseOrThrow(RewardIdSchema, rewardId, 'rewardId');
  const visitor = await identifyVisitor(request, deps);
  const speech = speechOf(request.lang ?? askedLanguage(request.acceptLanguage), visitor);
  if (!visitor.signedIn) {
    throw new UnauthorizedError(`redeeming needs a signed-in customer: send ${CUSTOMER_HEADER} (or ${LINK_HEADER} from an email)`);
  }
  if (idempotencyKey === undefined) throw new ValidationError('Idempotency-Key', 'the Idempotency-Key header is required');
  const key = parseOrThrow(StorefrontKeySchema, idempotencyKey, 'Idempotency-Key');
  if (!visitor.profile) throw new ConflictError('this customer has no points yet: points come with their first order');
  const program = await deps.redeem.program(visitor.shop.shopId);
  const answer = await redeemReward(visitor.shop, visitor.profile.customerId, rewardId, body, `sf:${key}`, {
    ...deps.redeem,
    program: async () => program,
  });
  // Pending points come from orders, which a redemption does not touch: the profile read before
  // says how many of the new balance are still pending.
  const pending = Math.min(pendingPoints(visitor.profile, program, deps.now()), answer.balance);
  return {
    answer: { code: codeOf(answer.reward, speech), spendable: answer.balance - pending, balance: answer.balance },
    ...keysOf(visitor),
  };
}
