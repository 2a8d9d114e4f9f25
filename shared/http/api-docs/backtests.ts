import * as z from 'zod';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, requires, route } from '#shared/http/api-docs/parts.ts';
import { MOVE_LIST_CAP } from '#shared/loyalty/backtest.ts';
import { ProgramSchema } from '#shared/loyalty/program.ts';
import { BacktestIdSchema, type readBacktest, type requestBacktest } from '#shared/use-cases/backtest.ts';

/** Backtests of a proposed program: functions/start-backtest.ts, get-backtest.ts (shared/use-cases/backtest.ts). */

const SHOP_KEY = requires('shopApiKey');

const BacktestStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed']);

/** The body: what the handler parses (use-cases/backtest.ts BacktestRequestSchema, the program then by ProgramSchema). */
const BacktestBodySchema = z.strictObject({
  program: ProgramSchema.meta({ description: 'The proposed program document, as PUT /v1/program takes it (its `program`).' }),
  asOf: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'The instant the backtest is as of (not in the future); absent: now.' }),
});

const StartedSchema = z.object({
  backtestId: z.string(),
  status: BacktestStatusSchema,
  asOf: z.string(),
  location: z.string().meta({ description: 'Where to follow it: `/v1/program/backtests/{backtestId}`.' }),
});
const _started: Describes<typeof StartedSchema, Awaited<ReturnType<typeof requestBacktest>>> = true;

const PointsSchema = z.object({
  issued: z.int().meta({ description: 'Every point given: earned, bonuses, activities, referrals, adjustments up, codes returned.' }),
  earned: z.int(),
  bonuses: z.int().meta({ description: 'First-order and birthday bonuses.' }),
  activities: z.int(),
  referrals: z.int().meta({ description: 'Referral rewards, as given (friend and referrer).' }),
  adjusted: z.int().meta({ description: 'Staff adjustments, net.' }),
  returned: z.int().meta({ description: 'Points of reward codes given back unused.' }),
  clawedBack: z.int().meta({ description: 'Taken back by refunds and cancellations.' }),
  writtenOff: z.int().meta({ description: 'Clawbacks the balance could not cover (already spent).' }),
  redeemed: z.int(),
  blocked: z
    .object({ redemptions: z.int(), points: z.int() })
    .meta({ description: 'Actual redemptions the replayed balance could not afford.' }),
  expired: z.int(),
  outstanding: z.int().meta({ description: 'Balances as of the instant.' }),
});

const OutcomeSchema = z.object({
  tiers: z.array(z.object({ id: z.string(), customers: z.int() })).meta({ description: 'Customers per tier, lowest tier first.' }),
  points: PointsSchema,
  liability: z.object({ points: z.int(), value: z.int().meta({ description: 'Minor units, at the point value.' }) }),
  breakageRate: z.number().meta({ description: 'Expired over issued.' }),
  rewardsCost: z.int().meta({ description: 'Redeemed points at the point value, minor units.' }),
  emails: z.record(z.string(), z.int()).meta({ description: 'Emails that would have fired, per trigger.' }),
  liabilityByMonth: z.array(z.object({ month: z.string(), points: z.int(), value: z.int() })).meta({
    description:
      'Outstanding points and their value at the start of each of the last 24 months (UTC), oldest first: the liability over time.',
  }),
});

const MoveSchema = z.object({ customerId: z.string(), from: z.string(), to: z.string() });
const MovesSchema = z.object({
  count: z.int(),
  customers: z.array(MoveSchema).meta({ description: `At most ${MOVE_LIST_CAP}: the lowest customer ids.` }),
});

const ProjectionSchema = z.object({
  customers: z.int().meta({ description: 'Customers with a CLV model.' }),
  expectedPurchases: z.number(),
  expectedSpend: z.int(),
  pointsIssued: z.int(),
  pointsIssuedValue: z.int(),
});

const BacktestReportSchema = z.object({
  asOf: z.string(),
  currency: z.string(),
  customers: z.int(),
  orders: z.int(),
  current: OutcomeSchema.meta({ description: 'The program in force, replayed.' }),
  proposed: OutcomeSchema.meta({ description: 'The proposed program, replayed.' }),
  moves: z.object({ up: MovesSchema, down: MovesSchema, unchanged: z.int(), listCap: z.int() }),
  projection: z.object({
    label: z.string(),
    horizonMonths: z.literal(12),
    holdout: z
      .object({
        meanAbsoluteError: z.number(),
        predictedPurchases: z.number(),
        actualPurchases: z.number(),
        relativeError: z.number().nullable(),
      })
      .nullable()
      .meta({ description: "The CLV model's holdout check from the last run; null without one." }),
    current: ProjectionSchema,
    proposed: ProjectionSchema,
  }),
  reconciliation: z
    .object({
      customers: z.int(),
      tierDiffers: z.int(),
      balanceDiffers: z.int(),
      examples: z.array(z.object({ customerId: z.string(), tier: z.array(z.string()), balance: z.array(z.int()) })),
    })
    .meta({ description: "The current program's replay against the live profiles: 0 and 0 when they agree." }),
});

const BacktestSchema = z.object({
  backtestId: z.string(),
  status: BacktestStatusSchema,
  requestedAt: z.string(),
  asOf: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  progress: z.object({ customers: z.int(), shardsDone: z.int(), shards: z.int() }),
  report: BacktestReportSchema.optional().meta({ description: 'Once succeeded.' }),
  error: z.string().optional(),
});
const _read: Describes<typeof BacktestSchema, Awaited<ReturnType<typeof readBacktest>>> = true;

export const backtests: ApiFamily = {
  tag: {
    name: 'Program backtests',
    description: "A proposed program replayed on the shop's own history, side by side with the program in force.",
  },
  schemas: { Backtest: BacktestSchema, BacktestReport: BacktestReportSchema },
  routes: [
    route('POST', '/v1/program/backtests', {
      summary: "Backtest a proposed program on the shop's history",
      description:
        "Replays every order (its states and refunds, by event time), redemption, adjustment and activity through the proposed program and the one in force, with the same rules the live path applies (earn, clawback, bonuses, first-order bonus, tier-up, the daily review's downgrades and expiry), as of `asOf`. Nothing is written but the backtest. Follow it at the `location`.",
      security: SHOP_KEY,
      requestBody: jsonBody(BacktestBodySchema),
      responses: { '202': jsonAnswer('The backtest is queued.', StartedSchema), ...errors(400, 401, 413) },
    }),
    route('GET', '/v1/program/backtests/{backtestId}', {
      summary: 'A backtest: progress, then the report',
      security: SHOP_KEY,
      requestParams: { path: z.object({ backtestId: BacktestIdSchema }) },
      responses: { '200': jsonAnswer('The backtest.', BacktestSchema), ...errors(400, 401, 404) },
    }),
  ],
};
