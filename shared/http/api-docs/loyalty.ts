import * as z from 'zod';
import { ruleSchema } from '#shared/analytics/segments.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, requires, route } from '#shared/http/api-docs/parts.ts';
import { ProgramSchema } from '#shared/loyalty/program.ts';
import type { loyaltyLiability } from '#shared/use-cases/loyalty-admin.ts';
import {
  PutProgramSchema,
  type programVersion,
  type programVersions,
  type readProgram,
  type replaceProgram,
  VersionsQuerySchema,
} from '#shared/use-cases/manage-program.ts';

/** The loyalty program and what it owes: functions/get-program.ts, put-program.ts, get-liability.ts. */

const SHOP_KEY = requires('shopApiKey');

const StoredProgramSchema = z.object({
  version: z.int().min(0).meta({ description: 'Name it in the PUT that replaces this program.' }),
  updatedAt: z.string(),
  program: ProgramSchema,
});
const _read: Describes<typeof StoredProgramSchema, Awaited<ReturnType<typeof readProgram>>> = true;

const DiffLineSchema = z.object({
  path: z.string().meta({ description: 'The field, e.g. `tiers.levels[1].threshold`.' }),
  change: z.enum(['added', 'removed', 'changed']),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
});

const SavedProgramSchema = StoredProgramSchema.extend({ changes: z.array(DiffLineSchema).meta({ description: 'Field by field.' }) });
const _saved: Describes<typeof SavedProgramSchema, Awaited<ReturnType<typeof replaceProgram>>> = true;

const VersionsPageSchema = z.object({
  items: z.array(z.object({ version: z.int(), updatedAt: z.string(), current: z.boolean() })).meta({ description: 'Newest first.' }),
  before: z.int().optional().meta({ description: 'Pass as `before` for the next page; absent on the last.' }),
});
const _versions: Describes<typeof VersionsPageSchema, Awaited<ReturnType<typeof programVersions>>> = true;

const ProgramVersionSchema = StoredProgramSchema.extend({
  current: z.boolean(),
  changesToCurrent: z.array(DiffLineSchema).meta({ description: 'What changed from this version to the current program.' }),
});
const _version: Describes<typeof ProgramVersionSchema, Awaited<ReturnType<typeof programVersion>>> = true;

const MoneySchema = z.object({ amount: z.number(), currency: z.string() });
const LiabilitySchema = z.object({
  shopId: z.string(),
  at: z.string(),
  customers: z.int(),
  customersWithPoints: z.int(),
  points: z.object({
    outstanding: z.int(),
    pending: z.int().meta({ description: "On balances, not spendable yet (the program's pending period)." }),
    spendable: z.int(),
  }),
  pointValue: MoneySchema,
  value: MoneySchema.meta({ description: 'What the spendable points are worth.' }),
});
const _liability: Describes<typeof LiabilitySchema, Awaited<ReturnType<typeof loyaltyLiability>>> = true;

export const loyalty: ApiFamily = {
  tag: {
    name: 'Loyalty program',
    description: 'Tiers, points rules and email settings, versioned; what the points outstanding are worth.',
  },
  schemas: { Program: ProgramSchema, SegmentRule: ruleSchema, ProgramDiffLine: DiffLineSchema },
  routes: [
    route('GET', '/v1/program', {
      summary: 'The loyalty program',
      description: 'The defaults, as version 0, until the shop saves one.',
      security: SHOP_KEY,
      responses: { '200': jsonAnswer('The program and its version.', StoredProgramSchema), ...errors(401) },
    }),
    route('PUT', '/v1/program', {
      summary: 'Replace the loyalty program',
      description:
        "Name the version you edited: 409 if someone saved in between. The changes (activities and bonus rules named by their id: `activities[survey].points`, `bonuses[tet-week]`) also go on the shop's activity as `program.updated`. `bonuses`: more points on some products (product id or SKU), categories (any case) or dates (the order's own date in the shop's time zone, `from`–`to` inclusive); each line earns at the largest multiplier of the active rules naming it (rules do not stack), shipping and taxes at a dates rule's, and the tier's multiplier multiplies the result. An order's rates are fixed when it first earns; a refund claws back its share of the order's points at that blended rate. `flows`: a message on entering a segment (`rfm:…`, `tier:<id>`, `rule:<id>`, as GET /v1/segments lists them), at once or `delayDays` later (sent by the first scheduled run on or after that day if the customer is still in the segment), once per customer per `once` period (`ever`, `month`, `year`, or `days` with `days`), with a catalog reward's code (`rewardId`) and the built-in copy (`copy`: `flow` or `win_back`) or the shop's own `message` (subject and body per language, the variables of a campaign's message); at most 20. Left out, a program runs the built-in win-back flow alone; `[]`: no flows. 400 names the field: `program.flows[0].segments[0]` for an unknown segment, `program.flows[0].rewardId`, `program.flows[0].message.body.vi` for an unknown variable or unsafe HTML, `brand.address` for a message without the shop's postal address.",
      security: SHOP_KEY,
      requestBody: jsonBody(PutProgramSchema),
      responses: {
        '200': jsonAnswer('The new version and what changed.', SavedProgramSchema),
        ...errors(400, 401, 409, 413),
      },
    }),
    route('GET', '/v1/program/versions', {
      summary: "The program's versions, newest first",
      description: 'The current one, then every version a save replaced, without their documents.',
      security: SHOP_KEY,
      requestParams: { query: VersionsQuerySchema },
      responses: { '200': jsonAnswer('A page of versions.', VersionsPageSchema), ...errors(400, 401) },
    }),
    route('GET', '/v1/program/versions/{version}', {
      summary: 'One version of the program',
      security: SHOP_KEY,
      requestParams: { path: z.object({ version: z.string().regex(/^[1-9][0-9]{0,7}$/) }) },
      responses: {
        '200': jsonAnswer('The version and what changed from it to the current program.', ProgramVersionSchema),
        ...errors(400, 401, 404),
      },
    }),
    route('GET', '/v1/loyalty/liability', {
      summary: 'Points outstanding and their value',
      security: SHOP_KEY,
      responses: { '200': jsonAnswer('Outstanding, pending and spendable points.', LiabilitySchema), ...errors(401) },
    }),
  ],
};
