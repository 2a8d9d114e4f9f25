import * as z from 'zod';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, requires, route } from '#shared/http/api-docs/parts.ts';
import { RewardValueSchema } from '#shared/loyalty/rewards.ts';
import { AdjustmentSchema, type adjustPoints } from '#shared/use-cases/adjust-points.ts';
import { AwardActivitySchema, type awardActivity } from '#shared/use-cases/award-activity.ts';
import type { exportCustomer, requestErasure } from '#shared/use-cases/customer-privacy.ts';
import { CustomerListQuerySchema, type CustomerRow, type listCustomers } from '#shared/use-cases/list-customers.ts';
import { IdempotencyKeySchema, InteractionRequestSchema, type logInteraction } from '#shared/use-cases/log-interaction.ts';
import { OverrideSchema, type setTierOverride } from '#shared/use-cases/loyalty-admin.ts';
import type { ProfileView } from '#shared/use-cases/profile-view.ts';
import {
  CustomerIdSchema,
  type findCustomers,
  type getLedger,
  LookupSchema,
  TimelineQuerySchema,
} from '#shared/use-cases/read-customers.ts';
import { KeySchema, RedemptionSchema, type redeemPoints } from '#shared/use-cases/redeem-points.ts';
import { RedeemRewardSchema, RewardIdSchema, type redeemReward } from '#shared/use-cases/redeem-reward.ts';

/**
 * The shop API on its customers: functions/get-customer.ts, find-customers.ts, get-timeline.ts,
 * log-interaction.ts, export-customer.ts, erase-customer.ts, redeem-points.ts, adjust-points.ts, set-tier-override.ts.
 */

const customerPath = z.object({ customerId: CustomerIdSchema });
const SHOP_KEY = requires('shopApiKey');

const MoneySchema = z.object({ amount: z.int().meta({ description: 'Integer minor units.' }), currency: z.string() });
const text = z.string().nullable();

/** The profile as the API shows it (shared/use-cases/profile-view.ts). */
export const ProfileSchema = z.object({
  shopId: z.string(),
  customerId: z.string(),
  email: text,
  phone: text.meta({ description: 'E.164.' }),
  name: text,
  firstName: text,
  lastName: text,
  locale: text,
  birthday: text.meta({ description: 'YYYY-MM-DD.' }),
  gender: text,
  country: text,
  city: text,
  externalIds: z.array(z.string()).meta({ description: "The sources' ids, namespaced: `shopify:7412341234123412341`." }),
  consent: z.object({ email: z.string().meta({ description: '`subscribed`, `unsubscribed` or `suppressed`.' }) }),
  orderCount: z.int().meta({ description: 'Paid orders, not cancelled, not refunded in full.' }),
  totalSpent: MoneySchema.meta({ description: 'Their total, net of refunds.' }),
  refunded: MoneySchema,
  firstOrderAt: text,
  lastOrderAt: text,
  spendByMonth: z.record(z.string(), z.number()).meta({ description: 'Net spend per month (`YYYY-MM`), minor units.' }),
  topCategories: z.array(z.string()),
  tier: text,
  points: z.object({ balance: z.int(), lifetime: z.int() }),
  rfm: z.object({ r: z.int(), f: z.int(), m: z.int(), segment: z.string() }).nullable(),
  clv: z
    .object({ pAlive: z.number().nullable(), expectedPurchases12m: z.number(), expectedValue12m: z.number(), model: z.string() })
    .nullable(),
  segments: z.array(z.string()).meta({ description: 'Rule segments the customer is in, as of the last run.' }),
  lastContact: z.record(z.string(), z.string()).meta({ description: 'The last touch per channel.' }),
  feedback: z.object({ nps: z.int().nullable(), npsAt: text, csat: z.int().nullable(), csatAt: text }),
  dataRequestedAt: z.string().optional(),
  erasedAt: z.string().optional(),
  createdAt: z.string(),
});
/** profileView's contact fields are typed `| undefined` (an index into Object.fromEntries), though `?? null` makes them never so. */
type Defined<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
const _profile: Describes<typeof ProfileSchema, Defined<ProfileView>> = true;

const FoundCustomersSchema = z.object({ items: z.array(ProfileSchema).max(1) });
const _found: Describes<typeof FoundCustomersSchema, { items: Defined<ProfileView>[] } & Awaited<ReturnType<typeof findCustomers>>> = true;

/** A row of the customer list (shared/use-cases/list-customers.ts): the profile's fields a table shows. */
const CustomerRowSchema = z.object({
  customerId: z.string(),
  name: text,
  email: text,
  phone: text,
  tier: text,
  points: z.int().meta({ description: 'The balance.' }),
  orderCount: z.int(),
  totalSpent: MoneySchema,
  lastOrderAt: text,
  rfmSegment: text,
  clv: MoneySchema.nullable().meta({ description: 'The expected value of the next 12 months, as of the last run.' }),
  consent: z.object({ email: z.string() }),
  createdAt: z.string(),
});
const _row: Describes<typeof CustomerRowSchema, Defined<CustomerRow>> = true;

const CustomerPageSchema = z.object({
  items: z.array(CustomerRowSchema),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
});
const _page: Describes<typeof CustomerPageSchema, { items: Defined<CustomerRow>[] } & Awaited<ReturnType<typeof listCustomers>>> = true;

/** A timeline entry: what happened, when, on which channel; more fields by type. */
const TimelineEntrySchema = z.looseObject({ at: z.string(), type: z.string(), channel: z.string(), source: z.string() });

const TimelinePageSchema = z.object({
  items: z.array(TimelineEntrySchema).meta({ description: 'Newest first.' }),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
});

const LedgerEntrySchema = z.object({
  entryId: z.string(),
  kind: z.enum(['earn', 'bonus', 'clawback', 'redeem', 'expire', 'adjust', 'return', 'activity', 'referral']),
  points: z.int().meta({ description: 'Signed: negative for a redemption, a clawback, an expiry.' }),
  at: z.string(),
  source: z.record(z.string(), z.union([z.string(), z.number()])),
  writtenOff: z.int().optional(),
  balanceAfter: z.int().optional(),
});

const LedgerPageSchema = z.object({
  items: z.array(LedgerEntrySchema).meta({ description: 'Newest first.' }),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
});
const _ledger: Describes<typeof LedgerPageSchema, Awaited<ReturnType<typeof getLedger>>> = true;

/** The export's parts that the use case types exactly; its timeline entries come back from the table as plain records. */
const ExportedRecordsSchema = z.object({
  exportedAt: z.string(),
  orders: z.array(z.record(z.string(), z.unknown())).meta({ description: 'Every order state held, as stored.' }),
  pointsLedger: z.array(LedgerEntrySchema),
});
const _export: Describes<typeof ExportedRecordsSchema, Awaited<ReturnType<typeof exportCustomer>>> = true;
const ExportSchema = ExportedRecordsSchema.extend({ profile: ProfileSchema, timeline: z.array(TimelineEntrySchema) });

const ErasureAcceptedSchema = z.object({ accepted: z.int() });
const _erasure: Describes<typeof ErasureAcceptedSchema, Awaited<ReturnType<typeof requestErasure>>> = true;

const InteractionAcceptedSchema = z.object({
  accepted: z.int(),
  eventId: z.string().meta({ description: '`api:<Idempotency-Key>`: a retry with the same key lands on the same entry.' }),
});
const _interaction: Describes<typeof InteractionAcceptedSchema, Awaited<ReturnType<typeof logInteraction>>> = true;

const RedemptionAnswerSchema = z.object({ entry: LedgerEntrySchema, balance: z.int() });
const _redemption: Describes<typeof RedemptionAnswerSchema, Omit<Awaited<ReturnType<typeof redeemPoints>>, 'status'>> = true;

const RewardCodeSchema = z.object({
  code: z.string().meta({ description: 'Single use, for this customer only; Rapport-issued codes begin with RW-.' }),
  rewardId: z.string(),
  name: z.record(z.string(), z.string()).meta({ description: "The reward's names when it was redeemed, per locale." }),
  value: RewardValueSchema,
  minOrder: z.int().optional().meta({ description: 'Minor units: the order subtotal the code needs.' }),
  currency: z.string(),
  points: z.int(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  status: z.enum(['pending', 'issued', 'used', 'returned', 'failed']),
  usedOrderId: z.string().optional(),
  usedAt: z.string().optional(),
});
const RewardRedemptionSchema = z.object({ reward: RewardCodeSchema, entry: LedgerEntrySchema, balance: z.int() });
const _reward: Describes<typeof RewardRedemptionSchema, Omit<Awaited<ReturnType<typeof redeemReward>>, 'status'>> = true;

const _adjustment: Describes<typeof RedemptionAnswerSchema, Omit<Awaited<ReturnType<typeof adjustPoints>>, 'status'>> = true;
const _activity: Describes<typeof RedemptionAnswerSchema, Omit<Awaited<ReturnType<typeof awardActivity>>, 'status'>> = true;

const TierAnswerSchema = z.object({ customerId: z.string(), tier: text, override: OverrideSchema.shape.override });
const _tier: Describes<typeof TierAnswerSchema, Awaited<ReturnType<typeof setTierOverride>>> = true;

export const customers: ApiFamily = {
  tag: { name: 'Customers', description: 'One record per person, whatever the source: profiles, timelines, points, privacy.' },
  schemas: {
    Profile: ProfileSchema,
    CustomerRow: CustomerRowSchema,
    TimelineEntry: TimelineEntrySchema,
    LedgerEntry: LedgerEntrySchema,
    Money: MoneySchema,
  },
  routes: [
    route('GET', '/v1/customers/{customerId}', {
      summary: 'A customer profile',
      security: SHOP_KEY,
      requestParams: { path: customerPath },
      responses: { '200': jsonAnswer('The profile.', ProfileSchema), ...errors(400, 401, 404) },
    }),
    route('GET', '/v1/customers', {
      summary: 'Look a customer up by one identity, or list the customers a page at a time',
      description:
        "A lookup: exactly one of `email` (trimmed, lower-cased), `phone` (read in the region of the shop's locale) or `externalId`; answers the full profile, or no item. Otherwise a page of rows: newest order first (`sort=lastOrderAt`, the default), largest total spent (`totalSpent`) or largest 12-month value (`clv`) first, or found by the start of a name, email or phone (`q`, accents and case ignored). Positions come from the last scheduled run (daily, or POST /v1/runs): a customer created since is listed after the next run, though a `q` that is a whole email or phone finds them at once; the rows themselves are current.",
      security: SHOP_KEY,
      // One route, two uses (functions/find-customers.ts decides by the query): both schemas' fields.
      requestParams: { query: z.object({ ...LookupSchema.shape, ...CustomerListQuerySchema.shape }) },
      responses: {
        '200': jsonAnswer(
          'The customer found (a lookup), or a page of rows (a list).',
          z.union([FoundCustomersSchema, CustomerPageSchema]),
        ),
        ...errors(400, 401),
      },
    }),
    route('GET', '/v1/customers/{customerId}/timeline', {
      summary: "A customer's timeline, newest first",
      security: SHOP_KEY,
      requestParams: { path: customerPath, query: TimelineQuerySchema },
      responses: { '200': jsonAnswer('A page of entries.', TimelinePageSchema), ...errors(400, 401, 404) },
    }),
    route('GET', '/v1/customers/{customerId}/ledger', {
      summary: "A customer's points ledger, newest first",
      description: 'Every earn, bonus, clawback, redemption, expiry and adjustment, a page at a time; the balance equals their sum.',
      security: SHOP_KEY,
      requestParams: { path: customerPath, query: TimelineQuerySchema },
      responses: { '200': jsonAnswer('A page of entries.', LedgerPageSchema), ...errors(400, 401, 404) },
    }),
    route('POST', '/v1/interactions', {
      summary: 'Log a touch or a feedback answer',
      description:
        "A touch `{customer, channel, summary?}` or feedback `{customer, channel, nps? | csat?, comment?}`, onto the timeline through the queue. With `activity` (and an optional `reference`), the interaction also earns that activity of the program, as POST /v1/customers/{customerId}/activities would, with the interaction's id (`api:` and its `Idempotency-Key`) as the key: a repeated call or a redelivery awards it once. An award the program refuses (not in it, not active, not for the tier, over its limit) does not fail the interaction: an `activity_refused` entry with its `reason` goes on the timeline beside it.",
      security: SHOP_KEY,
      requestParams: { header: z.object({ 'Idempotency-Key': IdempotencyKeySchema.optional() }) },
      requestBody: jsonBody(InteractionRequestSchema),
      responses: { '202': jsonAnswer('On the queue.', InteractionAcceptedSchema), ...errors(400, 401, 404, 413) },
    }),
    route('GET', '/v1/customers/{customerId}/export', {
      summary: 'Everything held about a customer',
      description: 'Profile, orders, points ledger and timeline: the answer to a data request.',
      security: SHOP_KEY,
      requestParams: { path: customerPath },
      responses: { '200': jsonAnswer('The export.', ExportSchema), ...errors(400, 401, 404) },
    }),
    route('DELETE', '/v1/customers/{customerId}', {
      summary: 'Erase a customer',
      description: 'Contact details, identities and free text are erased through the queue; aggregates stay, anonymous.',
      security: SHOP_KEY,
      requestParams: { path: customerPath },
      responses: { '202': jsonAnswer('The erasure is on the queue.', ErasureAcceptedSchema), ...errors(400, 401, 404) },
    }),
    route('POST', '/v1/customers/{customerId}/redemptions', {
      summary: 'Spend points',
      description: 'Never below zero, never twice for one `Idempotency-Key`: a repeat gets the first answer.',
      security: SHOP_KEY,
      requestParams: { path: customerPath, header: z.object({ 'Idempotency-Key': KeySchema }) },
      requestBody: jsonBody(RedemptionSchema),
      responses: {
        '201': jsonAnswer('The ledger entry and the new balance.', RedemptionAnswerSchema),
        ...errors(400, 401, 404, 409, 413),
      },
    }),
    route('POST', '/v1/customers/{customerId}/rewards/{rewardId}/redeem', {
      summary: 'Buy a reward of the catalog with points',
      description:
        "The points are taken by one conditional update — never below the spendable balance, within the reward's tiers and per-customer limit, once per `Idempotency-Key` (a repeat gets the first answer, with the same code) — then the reward's single-use code is issued, valid `validityDays`. 409 when the points, the tier or the limit say no.",
      security: SHOP_KEY,
      requestParams: {
        path: z.object({ customerId: CustomerIdSchema, rewardId: RewardIdSchema }),
        header: z.object({ 'Idempotency-Key': KeySchema }),
      },
      requestBody: jsonBody(RedeemRewardSchema),
      responses: {
        '201': jsonAnswer('The code, the ledger entry and the new balance.', RewardRedemptionSchema),
        ...errors(400, 401, 404, 409, 413),
      },
    }),
    route('POST', '/v1/customers/{customerId}/points', {
      summary: 'Give or take points (a staff adjustment)',
      description:
        "A ledger entry of kind `adjust` with the reason, on the customer's timeline and the shop's activity. Taking points never goes below zero: beyond the spendable balance it is refused (409). Once per `Idempotency-Key`: a repeat gets the first answer. The balance moves; lifetime points and tiers do not.",
      security: SHOP_KEY,
      requestParams: { path: customerPath, header: z.object({ 'Idempotency-Key': KeySchema }) },
      requestBody: jsonBody(AdjustmentSchema),
      responses: {
        '201': jsonAnswer('The ledger entry and the new balance.', RedemptionAnswerSchema),
        ...errors(400, 401, 404, 409, 413),
      },
    }),
    route('POST', '/v1/customers/{customerId}/activities', {
      summary: 'Award points for an activity of the program',
      description:
        "Points for an activity the program lists (`signup`, `review`, `survey`, `social_follow`, `birthday_set`, `custom:<name>`): a ledger entry of kind `activity` and an entry on the customer's timeline, both with the optional `reference`. Refused (409) when the activity is not in the program, not active, not for the customer's tier, or over its per-customer limit — the message says which. Once per `Idempotency-Key`: a repeat gets the first answer; concurrent awards never pass the limit. The points count toward lifetime points; tiers do not move.",
      security: SHOP_KEY,
      requestParams: { path: customerPath, header: z.object({ 'Idempotency-Key': KeySchema }) },
      requestBody: jsonBody(AwardActivitySchema),
      responses: {
        '201': jsonAnswer('The ledger entry and the new balance.', RedemptionAnswerSchema),
        ...errors(400, 401, 404, 409, 413),
      },
    }),
    route('PUT', '/v1/customers/{customerId}/tier', {
      summary: 'Set or remove a manual tier override',
      description: '`floor`: never below this tier; `pin`: exactly this tier until removed; `null` removes it.',
      security: SHOP_KEY,
      requestParams: { path: customerPath },
      requestBody: jsonBody(OverrideSchema),
      responses: { '200': jsonAnswer('The tier now.', TierAnswerSchema), ...errors(400, 401, 404, 413) },
    }),
  ],
};
