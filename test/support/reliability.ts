import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { QueueName } from '#functions/triggers.ts';
import { sqsClientFor } from '#infra/local/emulators.ts';
import type { Runtime } from '#infra/local/runtime.ts';
import { getIdentityOwner, getProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { customerPk } from '#shared/data/keys.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import type { CanonicalEvent, OrderStatus } from '#shared/domain/event.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { redeemPoints } from '#shared/use-cases/redeem-points.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { startTestRuntime } from '#test/support/local-api.ts';
import { profileView } from '#test/support/profile.ts';
import { seededRandom } from '#test/support/seeded-random.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/**
 * The reliability scenario (issue 11): a random shop history — orders and their states, contact
 * changes, redemptions, then refunds and cancellations — sent as webhooks and API calls to the real
 * local runtime while every AWS call it makes may fail (RAPPORT_FAULTS), permuted, duplicated and
 * retried as senders retry. After the queues drain and the dead-letter queues are redriven, the
 * shop must be exactly what the same history gives processed once, in order, without faults (the
 * oracle, a second table): the same aggregates, balances, ledger entries, contact details and email
 * triggers per customer; no email sent twice; nothing left in a queue but emails whose send outcome
 * SES never answered (kept, by design, rather than risk sending them twice).
 *
 * Used by test/integration/reliability.test.ts and by `npm run bench -- reliability`.
 */

export interface ReliabilityOptions {
  seed: number;
  /** RAPPORT_FAULTS for the runtime (the seed is appended). */
  faults: string;
  customers: number;
  log?: (line: string) => void;
}

export interface ReliabilityFigures {
  seed: number;
  faults: string;
  customers: number;
  /** Distinct events and API calls of the history. */
  events: number;
  /** Requests sent, duplicates and retries included. */
  requests: number;
  /** Requests answered with a non-2xx (a fault the handler could not absorb) and sent again. */
  retried: number;
  faultsInjected: number;
  faultsByKind: Record<string, number>;
  /** Messages moved from dead-letter queues back to their queues. */
  redriven: number;
  lost: number;
  doubles: number;
  emailsSent: number;
  emailsSentTwice: number;
  /** Emails whose send SES answered with a timeout: kept unsent-or-sent-once by design. */
  unknownEmailOutcomes: number;
  seconds: number;
}

export interface ReliabilityResult {
  figures: ReliabilityFigures;
  /** Every difference from the oracle, in words; empty when the run is right. */
  mismatches: string[];
}

/** Seeded (seeded-random.ts): a failing history replays from its seed. */
function prng(seed: number) {
  const next = seededRandom(seed);
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    shuffle<T>(items: T[]): T[] {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}

const SHOP = 'reliability-shop';
const day = (d: number, hour = 0) => new Date(Date.UTC(2026, 0, 1 + d, hour)).toISOString();

interface History {
  /** Orders, their states and contact changes. */
  first: CanonicalEvent[];
  /** Refunds and cancellations, after the redemptions. */
  late: CanonicalEvent[];
  externalIds: string[];
}

function generate(seed: number, customers: number): History {
  const rnd = prng(seed);
  const first: CanonicalEvent[] = [];
  const late: CanonicalEvent[] = [];
  const externalIds: string[] = [];
  for (let c = 0; c < customers; c++) {
    const externalId = `generic:rel-${c}`;
    externalIds.push(externalId);
    const customer = { externalId, email: `rel-${c}@example.com`, firstName: `C${c}`, acceptsEmailMarketing: true, updatedAt: day(0) };
    const orders = rnd.int(1, 7);
    for (let o = 0; o < orders; o++) {
      const orderId = `${c}-${o}`;
      const created = rnd.int(0, 250);
      const lines = Array.from({ length: rnd.int(1, 3) }, (_, i) => ({
        title: `item ${i}`,
        productId: `p-${rnd.int(1, 12)}`,
        category: ['Tea', 'Coffee', 'Cups', 'Gifts'][rnd.int(0, 3)],
        quantity: rnd.int(1, 3),
        price: rnd.int(5, 80) * 10_000,
      }));
      const total = lines.reduce((s, l) => s + l.price * l.quantity, 0);
      const end = rnd.next();
      const statuses: OrderStatus[] = end < 0.8 ? ['pending', 'paid'] : end < 0.9 ? ['pending', 'cancelled'] : ['pending'];
      const order = (status: OrderStatus, updatedAt: string) => ({
        orderId,
        status,
        currency: 'VND',
        total,
        createdAt: day(created),
        updatedAt,
        lineItems: lines,
      });
      statuses.forEach((status, v) => {
        first.push({
          eventId: `rel.${orderId}.v${v}`,
          shopId: SHOP,
          type: 'order.upserted',
          occurredAt: day(created, v + 1),
          source: 'generic',
          customer,
          order: order(status, day(created, v + 1)),
        });
      });
      if (statuses.at(-1) === 'paid' && rnd.chance(0.3)) {
        const at = day(created + 20);
        late.push({
          eventId: `rel.${orderId}.r`,
          shopId: SHOP,
          type: 'refund.created',
          occurredAt: at,
          source: 'generic',
          refund: {
            refundId: `${orderId}-r`,
            orderId,
            amount: rnd.int(1, Math.max(1, Math.floor(total / 20_000))) * 10_000,
            currency: 'VND',
            createdAt: at,
          },
        });
      } else if (statuses.at(-1) === 'paid' && rnd.chance(0.1)) {
        late.push({
          eventId: `rel.${orderId}.x`,
          shopId: SHOP,
          type: 'order.upserted',
          occurredAt: day(created + 30),
          source: 'generic',
          customer,
          order: order('cancelled', day(created + 30)),
        });
      }
    }
    // Contact changes: the newest wins whatever order they arrive in.
    for (let k = 0, changes = rnd.int(0, 2); k < changes; k++) {
      first.push({
        eventId: `rel.contact.${c}.${k}`,
        shopId: SHOP,
        type: 'customer.upserted',
        occurredAt: day(260 + k),
        source: 'generic',
        customer: { externalId, firstName: `C${c}-v${k}`, phone: `+8490${String(1_000_000 + c * 10 + k)}`, updatedAt: day(260 + k) },
      });
    }
  }
  return { first, late, externalIds };
}

/** Redemptions decided from the oracle's balances after the first wave: a third of the spendable balance, for about half the customers. */
function redemptionsFor(seed: number, balances: Map<string, number>) {
  const rnd = prng(seed ^ 0x5eed);
  const out: Array<{ externalId: string; points: number; key: string; copies: number }> = [];
  for (const [externalId, balance] of balances) {
    if (balance >= 3 && rnd.chance(0.5)) {
      out.push({ externalId, points: Math.floor(balance / 3), key: `rel-redeem-${externalId.slice(8)}`, copies: rnd.chance(0.3) ? 2 : 1 });
    }
  }
  return out;
}

interface CustomerState {
  view: Record<string, unknown>;
  ledger: string[];
  ledgerSum: number;
  triggers: string[];
}

async function customerState(db: Db, externalId: string): Promise<CustomerState | undefined> {
  const customerId = await getIdentityOwner(db, SHOP, { kind: 'ext', value: externalId }, true);
  if (!customerId) return undefined;
  const item = await getProfile(db, SHOP, customerId, true);
  if (!item) return undefined;
  const v = profileView(item, 'VND') as Record<string, unknown>;
  const ledger = await ledgerEntries(db, SHOP, customerId);
  const timeline = await partition(db, customerId);
  return {
    view: {
      orderCount: v.orderCount,
      totalSpent: v.totalSpent,
      refunded: v.refunded,
      firstOrderAt: v.firstOrderAt,
      lastOrderAt: v.lastOrderAt,
      pointsBalance: (item.pointsBalance as number | undefined) ?? 0,
      tier: v.tier,
      firstName: v.firstName,
      phone: v.phone,
    },
    ledger: ledgerTotals(ledger),
    ledgerSum: ledger.reduce((s, e) => s + e.points, 0),
    // A tier-up's key carries the day the tier was reached as known when it rose, which an order
    // dated earlier arriving later can move; which tiers were reached, and once each, does not.
    triggers: timeline
      .filter((i) => i.type === 'trigger')
      .map((i) => String(i.key).replace(/^(tier_up:[^:]+):\d{4}-\d{2}-\d{2}$/, '$1'))
      .sort(),
  };
}

/**
 * Points per kind and per order (or redemption, or bonus). An entry's id counts the order's
 * changes in the order they arrived (`order:<id>:<n>`), which permutation changes; what each order
 * earned and lost does not.
 */
function ledgerTotals(ledger: Array<{ kind: string; points: number; entryId: string }>): string[] {
  const totals = new Map<string, number>();
  for (const e of ledger) {
    const what = `${e.kind}:${e.entryId.replace(/^(order:.+):\d+$/, '$1')}`;
    totals.set(what, (totals.get(what) ?? 0) + e.points);
  }
  return [...totals].map(([what, points]) => `${what}=${points}`).sort();
}

/** Every item of one customer's partition. */
async function partition(db: Db, customerId: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': customerPk(SHOP, customerId) },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as Array<Record<string, unknown>>));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Events in event-time order (stable: events of one instant keep the order they were generated in). */
const chronological = (events: CanonicalEvent[]) => [...events].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));

/**
 * The history processed once, in event-time order, with no faults, on a table of its own. Each wave
 * in event-time order — generation order is not (a customer's orders are drawn at random days) — and
 * the late wave after the redemptions, as the runtime receives it. Merging the late events into the
 * first wave by time would give the same tiers (a tier is the one event-time order gives, whatever
 * order events arrive in) but not the same balances and emails: the redemptions are decided between
 * the waves, and a tier reached on a value a late event then corrects has mailed its tier_up in the
 * runtime too, before the late event came.
 */
async function oracle(history: History, seed: number, now: Date) {
  const { db, stop } = await startTestDb();
  try {
    const deps = processDepsFor(db, now);
    for (const event of chronological(history.first)) await processEvent(event, deps);
    const balances = new Map<string, number>();
    for (const externalId of history.externalIds)
      balances.set(externalId, ((await customerState(db, externalId))?.view.pointsBalance as number) ?? 0);
    const redemptions = redemptionsFor(seed, balances);
    const shop = { shopId: SHOP, currency: 'VND', name: SHOP } as ShopRecord;
    for (const r of redemptions) {
      const customerId = await getIdentityOwner(db, SHOP, { kind: 'ext', value: r.externalId }, true);
      await redeemPoints(shop, customerId, { points: r.points }, r.key, { db, program: async () => defaultProgram(shop), now: () => now });
    }
    for (const event of chronological(history.late)) await processEvent(event, deps);
    const states = new Map<string, CustomerState | undefined>();
    for (const externalId of history.externalIds) states.set(externalId, await customerState(db, externalId));
    return { states, redemptions };
  } finally {
    await stop();
  }
}

/** Sends with the sender's patience: a non-2xx or a dropped connection is sent again, the same bytes. */
async function deliver(
  requests: Array<() => Promise<RawResponse>>,
  counters: { requests: number; retried: number },
  mismatches: string[],
  concurrency = 4,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        for (let attempt = 0; ; attempt++) {
          counters.requests++;
          const res = await request().catch((err: Error) => ({ status: 0, text: err.message, json: undefined }));
          if (res.status >= 200 && res.status < 300) break;
          if (res.status >= 400 && res.status < 500 && res.status !== 429) {
            mismatches.push(`a request was refused: ${res.status} ${res.text.slice(0, 200)}`);
            break;
          }
          counters.retried++;
          if (attempt === 30) {
            mismatches.push(`a request still failed after 30 retries: ${res.status} ${res.text.slice(0, 200)}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 20 * Math.min(attempt + 1, 10)));
        }
      }
    }),
  );
}

/** Every message on a queue now (received and kept hidden: the run is over), as bodies. */
async function drainBodies(client: SQSClient, url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let round = 0; round < 100; round++) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0 && (await depthOf(client, url)) === 0) break;
    bodies.push(...Messages.map((m) => m.Body ?? '{}'));
    if (Messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return bodies;
}

async function depthOf(client: SQSClient, url: string): Promise<number> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Every dead letter back on its queue (send, then delete: a crash between duplicates, never loses). */
async function redrive(client: SQSClient, queues: Runtime['queues']): Promise<number> {
  let moved = 0;
  for (const name of Object.keys(queues) as QueueName[]) {
    const { url, dlqUrl } = queues[name];
    for (;;) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 30 }),
      );
      if (Messages.length === 0) break;
      await client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body as string, MessageAttributes: m.MessageAttributes })),
        }),
      );
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      moved += Messages.length;
    }
  }
  return moved;
}

export async function runReliability(opts: ReliabilityOptions): Promise<ReliabilityResult> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const history = generate(opts.seed, opts.customers);
  const now = new Date();
  const expected = await oracle(history, opts.seed, now);
  const mismatches: string[] = [];
  const counters = { requests: 0, retried: 0 };
  let redriven = 0;

  const before = process.env.RAPPORT_FAULTS;
  process.env.RAPPORT_FAULTS = `${opts.faults},seed=${opts.seed}`;
  const { runtime, db, stop } = await startTestRuntime({ visibilityTimeoutSeconds: 2, drainTimeoutMs: 1_000 });
  const sqs = sqsClientFor(runtime.endpoints.sqs);
  try {
    const admin = { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' };
    let shop: { apiKey: string; generatedSecrets: { generic: string } } | undefined;
    await deliver(
      [
        async () => {
          const res = await send(`${runtime.apiUrl}/admin/shops`, {
            headers: admin,
            body: JSON.stringify({ shopId: SHOP, name: SHOP, currency: 'VND', locale: 'vi-VN', timezone: 'Asia/Ho_Chi_Minh' }),
          });
          // A create whose answer a fault swallowed is repeated and finds the shop: the key is then unknown, so start over.
          if (res.status === 201) shop = res.json;
          return res.status === 409 ? { ...res, status: 500 } : res;
        },
      ],
      counters,
      mismatches,
    );
    if (!shop) throw new Error(`the shop could not be created: ${mismatches.join('; ')}`);
    const secret = shop.generatedSecrets.generic;
    const webhook = (event: CanonicalEvent) => {
      const body = JSON.stringify(event);
      return () =>
        send(`${runtime.apiUrl}/webhooks/generic/${SHOP}`, {
          headers: { 'content-type': 'application/json', 'x-rapport-signature': signGeneric(secret, body, Math.floor(Date.now() / 1000)) },
          body,
        });
    };
    const rnd = prng(opts.seed ^ 0xd311);
    const wave = (events: CanonicalEvent[]) => rnd.shuffle([...events, ...events.filter(() => rnd.chance(0.2))]).map(webhook);

    // Until the queues are empty and the dead-letter queues too, redriven as an operator would. An
    // email whose send SES never answered keeps failing until SENDING_STALE_MS (2 min) and is not
    // waited for: once only email dead letters are left and a redrive changed nothing, it stops.
    const drain = async (phase: string) => {
      const phaseStarted = Date.now();
      let emailDeadBefore = -1;
      for (let round = 0; round < 6; round++) {
        await runtime.idle(180_000);
        const dead = await Promise.all(Object.values(runtime.queues).map((q) => depthOf(sqs, q.dlqUrl)));
        const total = dead.reduce((a, b) => a + b, 0);
        const emailDead = await depthOf(sqs, runtime.queues.email.dlqUrl);
        if (total === 0 || (total === emailDead && emailDead === emailDeadBefore)) break;
        emailDeadBefore = total === emailDead ? emailDead : -1;
        redriven += await redrive(sqs, runtime.queues);
      }
      log(`reliability: ${phase} drained in ${((Date.now() - phaseStarted) / 1000).toFixed(1)} s`);
    };

    log(
      `reliability: ${history.first.length} events, then ${expected.redemptions.length} redemptions, then ${history.late.length} late events`,
    );
    await deliver(wave(history.first), counters, mismatches);
    await drain('orders and contact changes');

    const apiKey = shop.apiKey;
    const redemptionRequests: Array<() => Promise<RawResponse>> = [];
    for (const r of expected.redemptions) {
      const customerId = await getIdentityOwner(db, SHOP, { kind: 'ext', value: r.externalId }, true);
      if (!customerId) {
        mismatches.push(`${r.externalId}: no customer to redeem for`);
        continue;
      }
      for (let copy = 0; copy < r.copies; copy++) {
        redemptionRequests.push(() =>
          send(`${runtime.apiUrl}/v1/customers/${customerId}/redemptions`, {
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': r.key },
            body: JSON.stringify({ points: r.points }),
          }),
        );
      }
    }
    await deliver(rnd.shuffle(redemptionRequests), counters, mismatches);
    await drain('redemptions');
    await deliver(wave(history.late), counters, mismatches);
    await drain('refunds and cancellations');

    // The shop against the oracle, customer by customer.
    let lost = 0;
    let doubles = 0;
    for (const externalId of history.externalIds) {
      const want = expected.states.get(externalId);
      const got = await customerState(db, externalId);
      if (!want) continue;
      if (!got) {
        mismatches.push(`${externalId}: missing`);
        lost++;
        continue;
      }
      if ((got.view.orderCount as number) < (want.view.orderCount as number)) lost++;
      if ((got.view.orderCount as number) > (want.view.orderCount as number)) doubles++;
      if (JSON.stringify(got.view) !== JSON.stringify(want.view))
        mismatches.push(`${externalId}: ${JSON.stringify(got.view)} ≠ oracle ${JSON.stringify(want.view)}`);
      if (got.ledgerSum !== got.view.pointsBalance)
        mismatches.push(`${externalId}: ledger sums to ${got.ledgerSum}, balance ${got.view.pointsBalance}`);
      if (JSON.stringify(got.ledger) !== JSON.stringify(want.ledger))
        mismatches.push(`${externalId}: ledger ${got.ledger.join(' ')} ≠ oracle ${want.ledger.join(' ')}`);
      if (JSON.stringify(got.triggers) !== JSON.stringify(want.triggers))
        mismatches.push(`${externalId}: triggers ${got.triggers.join(' ')} ≠ oracle ${want.triggers.join(' ')}`);
    }

    // Emails: what SES took per address against the send records; every trigger has its send record.
    const store = (await (await fetch(`${runtime.endpoints.ses}/store`)).json()) as { emails: Array<{ destination: { to: string[] } }> };
    const sesCount = new Map<string, number>();
    for (const email of store.emails) for (const to of email.destination.to) sesCount.set(to, (sesCount.get(to) ?? 0) + 1);
    let emailsSent = 0;
    let emailsSentTwice = 0;
    let unknown = 0;
    /** The keys of the sends whose outcome is in doubt: messages for them may stay on the email queue. */
    const unknownKeys = new Set<string>();
    for (const [c, externalId] of history.externalIds.entries()) {
      const customerId = await getIdentityOwner(db, SHOP, { kind: 'ext', value: externalId }, true);
      if (!customerId) continue;
      const items = await partition(db, customerId);
      const sends = items.filter((i) => String(i.SK).startsWith('EMAIL#'));
      const sent = sends.filter((s) => s.status === 'sent').length;
      // SES may or may not have sent these (its answer was lost): never sent again, by design.
      const inDoubt = sends.filter((s) => s.status === 'sending' || s.reason === 'send_outcome_unknown');
      for (const send of inDoubt) unknownKeys.add(`${customerId}/${String(send.key)}`);
      const unanswered = inDoubt.length;
      unknown += unanswered;
      const took = [...sesCount].filter(([to]) => to.includes(`rel-${c}@example.com`)).reduce((n, [, k]) => n + k, 0);
      emailsSent += took;
      if (took > sent + unanswered) emailsSentTwice += took - sent - unanswered;
      if (took < sent) mismatches.push(`${externalId}: ${sent} sends recorded as sent, SES took ${took}`);
      const keys = new Set(sends.map((s) => String(s.key)));
      for (const trigger of items.filter((i) => i.type === 'trigger')) {
        if (!keys.has(String(trigger.key))) mismatches.push(`${externalId}: trigger ${trigger.key} has no email outcome`);
      }
    }
    if (emailsSentTwice > 0) mismatches.push(`${emailsSentTwice} email(s) sent twice`);

    // Nothing left in any queue but emails whose send is in doubt (a trigger may be on the queue more
    // than once — the processor's send and an outbox rewritten after a crash — so messages are matched
    // to those sends by key, not counted against them).
    for (const [name, q] of Object.entries(runtime.queues)) {
      if (name !== 'email') {
        const left = (await depthOf(sqs, q.url)) + (await depthOf(sqs, q.dlqUrl));
        if (left > 0) mismatches.push(`${left} message(s) left on ${name}`);
        continue;
      }
      for (const body of [...(await drainBodies(sqs, q.url)), ...(await drainBodies(sqs, q.dlqUrl))]) {
        const record = JSON.parse(body) as { customerId?: string; key?: string };
        if (!unknownKeys.has(`${record.customerId}/${record.key}`))
          mismatches.push(`email ${record.key} left on the queue, its send not in doubt`);
      }
    }

    const faults = (await runtime.faults?.()) ?? { total: 0, byKind: {} };
    return {
      figures: {
        seed: opts.seed,
        faults: opts.faults,
        customers: opts.customers,
        events: history.first.length + expected.redemptions.length + history.late.length,
        requests: counters.requests,
        retried: counters.retried,
        faultsInjected: faults.total,
        faultsByKind: faults.byKind,
        redriven,
        lost,
        doubles,
        emailsSent,
        emailsSentTwice,
        unknownEmailOutcomes: unknown,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      },
      mismatches,
    };
  } finally {
    sqs.destroy();
    await stop();
    if (before === undefined) delete process.env.RAPPORT_FAULTS;
    else process.env.RAPPORT_FAULTS = before;
  }
}
