import * as z from 'zod';
import { RunIdSchema } from '#functions/get-run.ts';
import { SegmentIdSchema } from '#shared/analytics/segment-ids.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, requires, route } from '#shared/http/api-docs/parts.ts';
import type { listSegmentCustomers, listSegments } from '#shared/use-cases/read-segments.ts';
import { CsvQuerySchema, PageQuerySchema, SEGMENT_CSV_COLUMNS } from '#shared/use-cases/read-segments.ts';
import type { RunModel, readRun } from '#shared/use-cases/resegment.ts';

/**
 * Re-segmentation runs and the segments they leave: functions/start-run.ts, get-run.ts, segments.ts
 * (shared/use-cases/resegment.ts, read-segments.ts).
 */

const SHOP_KEY = requires('shopApiKey');

const RunStatusSchema = z.enum(['queued', 'fitting', 'applying', 'succeeded', 'failed']);

const StartedRunSchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  asOf: z.string().meta({ description: 'The instant the analysis is as of.' }),
  location: z.string().meta({ description: 'Where to follow it: `/v1/runs/{runId}`.' }),
});

const RfmBinsSchema = z.object({ lower: z.array(z.number()), upper: z.array(z.number()) });
const fitted = <P extends z.ZodRawShape>(params: P) =>
  z.object({ params: z.object(params), logLikelihood: z.number(), converged: z.boolean() });

/** What the fit step found (resegment.ts RunModel): the glass box of the run. */
const RunModelSchema = z.object({
  asOf: z.string(),
  analysisDate: z.string(),
  customers: z.int(),
  buyers: z.int(),
  rfm: z.object({ recency: RfmBinsSchema, frequency: RfmBinsSchema, monetary: RfmBinsSchema }).nullable(),
  clv: z
    .object({
      unit: z.literal('week'),
      horizon: z.number(),
      fit: z.union([
        z.object({
          model: z.literal('bgnbd-gg'),
          bgnbd: fitted({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number() }).meta({
            description: 'BG/NBD: purchases and P(alive).',
          }),
          gammaGamma: fitted({ p: z.number(), q: z.number(), v: z.number() }).meta({ description: 'Gamma-Gamma: spend per order.' }),
          customers: z.int(),
          repeatCustomers: z.int(),
        }),
        z.object({
          model: z.literal('historical'),
          reason: z.string().meta({ description: 'Why the models were not used.' }),
          repeatRate: z.number(),
          meanT: z.number(),
          meanSpend: z.number(),
          customers: z.int(),
          repeatCustomers: z.int(),
        }),
      ]),
    })
    .nullable(),
  holdout: z
    .object({
      from: z.string(),
      to: z.string(),
      length: z.number(),
      customers: z.int(),
      predictedPurchases: z.number(),
      actualPurchases: z.number(),
      meanAbsoluteError: z.number(),
      byFrequency: z
        .array(z.object({ frequency: z.string(), customers: z.int(), predicted: z.number(), actual: z.number() }))
        .meta({ description: 'Mean predicted and actual holdout purchases by calibration frequency (0 … 6, then 7+).' }),
    })
    .nullable(),
  coPurchase: z.object({ baskets: z.int(), products: z.int(), pairs: z.int() }),
});
const _model: Describes<typeof RunModelSchema, RunModel> = true;

const RunSchema = z.object({
  runId: z.string(),
  shopId: z.string(),
  status: RunStatusSchema,
  trigger: z.enum(['api', 'schedule', 'cli']),
  requestedAt: z.string(),
  asOf: z.string(),
  shards: z.int(),
  startedAt: z.string().optional(),
  fittedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  // Stored as plain JSON (run-repo.ts RunRecord.model): its shape is RunModel's, written by the fit step.
  model: z.union([RunModelSchema, z.record(z.string(), z.unknown())]).optional(),
  shardResults: z.record(z.string(), z.record(z.string(), z.unknown())).meta({ description: 'Counters per finished GSI1 shard.' }),
  progress: z.object({
    shardsDone: z.int(),
    shards: z.int(),
    customersRead: z.int(),
    customers: z.int().nullable().meta({ description: 'Customers of the shop, once the fit has counted them.' }),
  }),
  totals: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: 'Customers, profiles, timeline entries and memberships written, triggers, downgrades…, once finished.' }),
  error: z.string().optional(),
});
const _run: Describes<typeof RunSchema, Awaited<ReturnType<typeof readRun>>> = true;

const SegmentsSchema = z.object({
  asOf: z.string().nullable().meta({ description: 'As of the last finished run; null before the first.' }),
  runId: z.string().nullable(),
  segments: z.array(
    z.object({
      id: z.string().meta({ description: '`rfm:champions`, `tier:gold`, `rule:{id}`.' }),
      kind: z.string().meta({ description: '`rfm`, `tier` or `rule`.' }),
      name: z.string(),
      customers: z.int(),
    }),
  ),
});
const _segments: Describes<typeof SegmentsSchema, Awaited<ReturnType<typeof listSegments>>> = true;

const SegmentMembersSchema = z.object({
  segmentId: z.string(),
  items: z.array(z.object({ customerId: z.string(), since: z.string() })),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
});
const _members: Describes<typeof SegmentMembersSchema, Awaited<ReturnType<typeof listSegmentCustomers>>> = true;

export const analytics: ApiFamily = {
  tag: {
    name: 'Segments and runs',
    description:
      'RFM segments, tiers and rule segments as of the last re-segmentation run; runs with their fitted model and holdout check.',
  },
  schemas: { Run: RunSchema, RunModel: RunModelSchema },
  routes: [
    route('POST', '/v1/runs', {
      summary: 'Start a re-segmentation run now',
      description: 'Refused (409) while another run of the shop is still going.',
      security: SHOP_KEY,
      responses: { '202': jsonAnswer('The run is queued.', StartedRunSchema), ...errors(401, 409) },
    }),
    route('GET', '/v1/runs/{runId}', {
      summary: 'A run: progress, totals, model',
      security: SHOP_KEY,
      requestParams: { path: z.object({ runId: RunIdSchema }) },
      responses: { '200': jsonAnswer('The run.', RunSchema), ...errors(400, 401, 404) },
    }),
    route('GET', '/v1/segments', {
      summary: 'Customers per segment',
      description: 'Every RFM segment, tier and rule segment, counted as of the last finished run.',
      security: SHOP_KEY,
      responses: { '200': jsonAnswer('The segments.', SegmentsSchema), ...errors(401) },
    }),
    route('GET', '/v1/segments/{segmentId}/customers', {
      summary: "A segment's members, paged; as CSV with `format=csv`",
      description:
        'JSON: member ids, `limit` up to 500. `format=csv`: an audience file, `limit` up to 1,000 rows (default 1,000); the next page is named by the `X-Next-Cursor` header (and `Link: rel="next"`). The first page starts with a UTF-8 byte order mark and the header, later pages with neither, so the pages concatenate into one file. Cells that a spreadsheet would run as a formula (= + - @) are prefixed with a single quote.',
      security: SHOP_KEY,
      requestParams: {
        path: z.object({ segmentId: SegmentIdSchema }),
        // One route, two shapes: the CSV's limit is CsvQuerySchema's (up to 1,000).
        query: PageQuerySchema.extend({ format: CsvQuerySchema.shape.format.optional() }),
      },
      responses: {
        '200': {
          description: 'A page of members.',
          headers: z.object({
            'X-Next-Cursor': z.string().optional().meta({ description: 'CSV only: the cursor of the next page; absent on the last.' }),
          }),
          content: {
            'application/json': { schema: SegmentMembersSchema },
            'text/csv': { schema: z.string().meta({ description: `RFC 4180, CRLF; columns: ${SEGMENT_CSV_COLUMNS.join(', ')}.` }) },
          },
        },
        ...errors(400, 401),
      },
    }),
  ],
};
