import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderStatus } from '#shared/domain/event.ts';
import { emptyTotals, type Held, type OrderHistory } from '#shared/domain/history.ts';
import { counts, netOf, type OrderState, summarize, valueFactsOf, valueSteps, withValueSteps } from '#shared/domain/order.ts';
import { type LoyaltyState, planOrderChange, summaryToPlan } from '#shared/loyalty/plan.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';
import { qualifyingMetric, tierAfterEvent, tierIndex } from '#shared/loyalty/rules.ts';
import { seededRandom } from '#test/support/seeded-random.ts';

/**
 * Tiers by event time: whatever order an order's states, refunds and cancellations arrive in, and
 * however often, the customer ends in the tier that event-time order gives (plan.ts tierFromEvents).
 * The processor's path for one customer, without the table: the order item keeps the newest state
 * and every refund (order-repo.ts), a stale state still tells when the order had its value
 * (order.ts valueFactsOf), and the profile is planned by summaryToPlan and planOrderChange as
 * process-event.ts does. Orders stay at most six, so none folds (folded orders count at their
 * current value, an approximation of their own).
 */

const base = defaultProgram({ currency: 'VND', name: 'x' });
const levels = (metric: Program['tiers']['metric'], silver: number, gold: number, window: Program['tiers']['window']) => ({
  ...base,
  tiers: {
    ...base.tiers,
    metric,
    window,
    levels: [
      { id: 'member', name: { en: 'Member' }, threshold: 0, earnMultiplier: 1 },
      { id: 'silver', name: { en: 'Silver' }, threshold: silver, earnMultiplier: 1.25 },
      { id: 'gold', name: { en: 'Gold' }, threshold: gold, earnMultiplier: 1.5 },
    ],
  },
});
const programs: Record<string, Program> = {
  orders: levels('orders', 2, 4, { kind: 'rollingMonths', months: 12 }),
  spend: levels('spend', 5_000_000, 15_000_000, { kind: 'rollingMonths', months: 6 }),
  year: levels('spend', 4_000_000, 12_000_000, { kind: 'calendarYear' }),
};

type Line = OrderState['lineItems'][number];
type Event =
  | {
      kind: 'state';
      orderId: string;
      status: OrderStatus;
      total: number;
      reported: number;
      createdAt: string;
      updatedAt: string;
      lines?: Line[];
    }
  | { kind: 'refund'; orderId: string; refundId: string; amount: number; createdAt: string };

const timeOf = (event: Event) => (event.kind === 'state' ? event.updatedAt : event.createdAt);
const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 0, 1);

/** One customer as the processor keeps it: order items, the profile's history and loyalty, the triggers written. */
type StateEvent = Extract<Event, { kind: 'state' }>;
type RefundEvent = Extract<Event, { kind: 'refund' }>;
interface OrderItem {
  state?: StateEvent;
  refunds: Map<string, RefundEvent>;
  seq: number;
}

class Customer {
  private readonly items = new Map<string, OrderItem>();
  loyalty: LoyaltyState = { balance: 0, lifetime: 0 };
  history: OrderHistory = { open: {}, base: emptyTotals() };
  readonly triggers: string[] = [];
  readonly corrections: string[] = [];

  constructor(private readonly program: Program) {}

  apply(event: Event) {
    const item: OrderItem = this.items.get(event.orderId) ?? { refunds: new Map(), seq: 0 };
    this.items.set(event.orderId, item);
    let stale: StateEvent | undefined;
    if (event.kind === 'state') {
      if (!item.state || event.updatedAt > item.state.updatedAt) {
        item.state = event;
        item.seq++;
      } else if (event.updatedAt < item.state.updatedAt) stale = event;
    } else if (!item.refunds.has(event.refundId)) {
      item.refunds.set(event.refundId, event);
      item.seq++;
    }
    if (!item.state) return;
    const state: OrderState = {
      orderId: event.orderId,
      status: item.state.status,
      total: item.state.total,
      reportedRefunded: item.state.reported,
      createdAt: item.state.createdAt,
      lineItems: item.state.lines ?? [],
      refunds: [...item.refunds.values()].map((r) => ({ amount: r.amount, createdAt: r.createdAt })),
      seq: item.seq,
    };
    const staleState = stale && { status: stale.status, total: stale.total, reportedRefunded: stale.reported, updatedAt: stale.updatedAt };
    const open = this.history.open[event.orderId];
    const held: Held | undefined = open ? { where: 'open', summary: open } : undefined;
    const next = summaryToPlan(held, summarize(state), valueFactsOf(state, item.state.updatedAt, staleState));
    if (!next) return;
    const earn = { lineItems: item.state.lines ?? [], timeZone: 'Asia/Ho_Chi_Minh' };
    const plan = planOrderChange(this.loyalty, this.history, held, event.orderId, next, this.program, timeOf(event), earn);
    this.history = plan.history;
    this.loyalty = {
      ...this.loyalty,
      ...plan.sets,
      balance: this.loyalty.balance + plan.balanceDelta,
      lifetime: this.loyalty.lifetime + plan.lifetimeDelta,
    };
    this.triggers.push(...plan.triggers.map((t) => t.key));
    if (plan.tierChange?.reason?.startsWith('corrected')) this.corrections.push(plan.tierChange.to);
  }

  get tier() {
    return this.loyalty.tier ?? 'member';
  }

  /** tier_up keys without their date, as a set. */
  tiersUp() {
    return new Set(this.triggers.filter((k) => k.startsWith('tier_up:')).map((k) => k.split(':')[1]));
  }
}

/** Tiers as they were judged before: at each event, the metric as of its time from the orders' current values, never down. */
function previousRule(events: Event[], program: Program) {
  const items = new Map<string, { state?: StateEvent; refunds: number }>();
  let tier: string | undefined;
  const keys: string[] = [];
  for (const event of events) {
    const item = items.get(event.orderId) ?? { refunds: 0 };
    items.set(event.orderId, item);
    if (event.kind === 'state') item.state = event;
    else item.refunds += event.amount;
    if (!item.state) continue;
    const orders = [...items.values()].flatMap(({ state, refunds }) => {
      if (!state) return [];
      const summary = summarize({
        orderId: '',
        status: state.status,
        total: state.total,
        reportedRefunded: state.reported,
        createdAt: state.createdAt,
        lineItems: [],
        refunds: [{ amount: refunds, createdAt: state.createdAt }],
        seq: 1,
      });
      return counts(summary) ? [{ net: netOf(summary), placedAt: new Date(summary.c * 1000), points: 0 }] : [];
    });
    const at = timeOf(event);
    const next = tierAfterEvent(tier, qualifyingMetric(orders, [], program, new Date(at)), program);
    if (next.id !== tier && tierIndex(program, next.id) > tierIndex(program, tier)) keys.push(`tier_up:${next.id}:${at.slice(0, 10)}`);
    tier = next.id;
  }
  return { tier: tier ?? 'member', keys };
}

const orderArb = fc.record({
  day: fc.integer({ min: 0, max: 500 }),
  total: fc.integer({ min: 1, max: 60 }).map((n) => n * 100_000),
  pending: fc.boolean(),
  paid: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
  paidAfterHours: fc.integer({ min: 0, max: 96 }),
  partial: fc.option(fc.record({ afterDays: fc.integer({ min: 1, max: 60 }), percent: fc.integer({ min: 1, max: 90 }) })),
  end: fc.constantFrom('keep', 'keep', 'cancelled', 'refunded'),
  endAfterDays: fc.integer({ min: 1, max: 120 }),
  refunds: fc.array(fc.record({ afterDays: fc.integer({ min: 0, max: 120 }), percent: fc.integer({ min: 1, max: 40 }) }), {
    maxLength: 2,
  }),
});

/** An order's events: pending, paid, a partial refund reported on the order, a cancellation or full refund, refund records. */
function eventsOf(orders: Array<typeof orderArb extends fc.Arbitrary<infer T> ? T : never>) {
  const events: Event[] = [];
  orders.forEach((o, i) => {
    const orderId = `o${i}`;
    const created = START + o.day * DAY + i * 60_000;
    const state = (status: OrderStatus, at: number, reported = 0): Event => ({
      kind: 'state',
      orderId,
      status,
      total: o.total,
      reported,
      createdAt: iso(created),
      updatedAt: iso(at),
    });
    if (o.pending || !o.paid) events.push(state('pending', created));
    if (!o.paid) return;
    const paidAt = created + o.paidAfterHours * HOUR + 1_000;
    events.push(state('paid', paidAt));
    let last = paidAt;
    if (o.partial) {
      last = paidAt + o.partial.afterDays * DAY + 2_000;
      events.push(state('partially_refunded', last, Math.floor((o.total * o.partial.percent) / 100)));
    }
    if (o.end !== 'keep') events.push(state(o.end as OrderStatus, last + o.endAfterDays * DAY + 3_000));
    o.refunds.forEach((r, k) => {
      const at = paidAt + r.afterDays * DAY + 4_000 + k * 1_000;
      events.push({
        kind: 'refund',
        orderId,
        refundId: `${orderId}-r${k}`,
        amount: Math.floor((o.total * r.percent) / 100),
        createdAt: iso(at),
      });
    });
  });
  return events;
}

const chronological = (events: Event[]) => [...events].sort((a, b) => Date.parse(timeOf(a)) - Date.parse(timeOf(b)));

function permuted(events: Event[], seed: number): Event[] {
  const next = seededRandom(seed);
  const out = [...events, ...events.filter(() => next() < 0.3)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as Event, out[i] as Event];
  }
  return out;
}

const run = (events: Event[], program: Program) => {
  const customer = new Customer(program);
  for (const event of events) customer.apply(event);
  return customer;
};

describe('tiers by event time', () => {
  for (const [name, program] of Object.entries(programs)) {
    it(`end where event-time order puts them, whatever the arrival order and duplicates (${name} metric)`, () => {
      fc.assert(
        fc.property(fc.array(orderArb, { minLength: 1, maxLength: 6 }), fc.integer(), (orders, seed) => {
          const events = eventsOf(orders);
          const inOrder = run(chronological(events), program);
          const arrived = run(permuted(events, seed), program);
          expect(arrived.tier).toBe(inOrder.tier);
          // Delivered in event-time order: nothing to correct, and exactly the tiers and emails of the previous rule.
          expect(inOrder.corrections).toEqual([]);
          const previous = previousRule(chronological(events), program);
          expect(inOrder.tier).toBe(previous.tier);
          expect(inOrder.triggers.filter((k) => k.startsWith('tier_'))).toEqual(previous.keys);
          // Out of order: never a tier_down email from an event; the tier held at the end was mailed.
          expect(arrived.triggers.filter((k) => k.startsWith('tier_down'))).toEqual([]);
          if (arrived.tier !== 'member') expect(arrived.tiersUp()).toContain(arrived.tier);
          // A count metric moves one order at a time, so a tier is never skipped: every tier mailed in order is mailed.
          if (program.tiers.metric === 'orders') for (const tier of inOrder.tiersUp()) expect(arrived.tiersUp()).toContain(tier);
        }),
        { numRuns: 300 },
      );
    });
  }

  const program = programs.orders as Program;
  const paid = (orderId: string, day: number, total = 1_000_000): Event => ({
    kind: 'state',
    orderId,
    status: 'paid',
    total,
    reported: 0,
    createdAt: iso(START + day * DAY),
    updatedAt: iso(START + day * DAY),
  });
  const cancelled = (orderId: string, createdDay: number, day: number): Event => ({
    ...(paid(orderId, createdDay) as StateEvent),
    status: 'cancelled',
    updatedAt: iso(START + day * DAY),
  });

  it('counts an order refunded later in full before its refund, whichever order arrives first (the under-count)', () => {
    const events: Event[] = [
      paid('a', 184),
      { kind: 'refund', orderId: 'a', refundId: 'a-r', amount: 1_000_000, createdAt: iso(START + 204 * DAY) },
      paid('b', 200),
    ];
    for (const order of [events, [events[2], events[0], events[1]], [events[1], events[2], events[0]]] as Event[][]) {
      const customer = run(order, program);
      expect(customer.tier).toBe('silver');
      expect([...customer.tiersUp()]).toEqual(['silver']);
    }
  });

  it('corrects a tier reached on a payment a late, earlier-dated cancellation undoes, without a tier_down (the over-count)', () => {
    const late = run([paid('a', 10), paid('b', 20)], program);
    expect(late.tier).toBe('silver');
    expect(late.triggers).toContain('tier_up:silver:2025-01-21');
    late.apply(cancelled('a', 10, 15));
    expect(late.tier).toBe('member');
    expect(late.corrections).toEqual(['member']);
    expect(late.triggers.filter((k) => k.startsWith('tier_'))).toEqual(['tier_up:silver:2025-01-21']);
    expect(run([paid('a', 10), cancelled('a', 10, 15), paid('b', 20)], program).tier).toBe('member');
    // A later, legitimate climb mails again: its key is dated by the instant it was reached.
    late.apply(paid('c', 40));
    expect(late.tier).toBe('silver');
    expect(late.triggers.filter((k) => k.startsWith('tier_'))).toEqual(['tier_up:silver:2025-01-21', 'tier_up:silver:2025-02-10']);
  });

  it('learns "paid on day 2" from a stale state that arrives after "cancelled on day 30", without changing the order', () => {
    const customer = run([cancelled('a', 2, 30), paid('b', 10)], program);
    expect(customer.tier).toBe('member');
    const before = customer.history.open.a;
    customer.apply(paid('a', 2));
    const after = customer.history.open.a;
    expect(after?.s).toBe('cancelled');
    expect(after?.q).toBe(before?.q);
    expect(after && valueSteps(after)).toEqual([
      [(START + 2 * DAY) / 1000, 1_000_000],
      [(START + 30 * DAY) / 1000, 0],
    ]);
    expect(customer.tier).toBe('silver');
    // The same stale state again changes nothing.
    const history = customer.history;
    customer.apply(paid('a', 2));
    expect(customer.history).toBe(history);
  });

  it('lifts from the last decision that was not an event, judged from its time on (a downgrade, an override)', () => {
    const customer = run([paid('a', 10), paid('b', 20)], program);
    expect(customer.tier).toBe('silver');
    // The scheduled run took the customer down on day 400: the old peak does not lift them back.
    customer.loyalty = { ...customer.loyalty, tier: 'member', tierBase: { tier: 'member', at: iso(START + 400 * DAY) } };
    customer.apply(paid('c', 401));
    expect(customer.tier).toBe('member');
    customer.apply(paid('d', 402));
    expect(customer.tier).toBe('silver');
  });

  it('keeps a tier set before tiers were judged by event time as the base, from its tierSince', () => {
    const customer = new Customer(program);
    customer.loyalty = { balance: 0, lifetime: 0, tier: 'gold', tierSince: iso(START) };
    customer.apply(paid('a', 10));
    expect(customer.tier).toBe('gold');
    expect(customer.loyalty.tierBase).toBeUndefined();
  });
});

describe('an order value over time', () => {
  const c = START / 1000;
  const summary = { q: 1, s: 'paid' as const, t: 1_000, r: 0, c };

  it('carries nothing for an order worth its value since its creation, and only its start when later', () => {
    expect(withValueSteps(summary, undefined, { states: [[c, 1_000]], refunds: [] })).toEqual(summary);
    expect(withValueSteps(summary, undefined, { states: [[c + 60, 1_000]], refunds: [] })).toEqual({ ...summary, u: c + 60 });
  });

  it('keeps the newest five values, reading the order as worth nothing before the oldest kept', () => {
    const refunds: Array<[number, number]> = [1, 2, 3, 4, 5].map((k) => [c + k * 100, 100]);
    const next = withValueSteps({ ...summary, r: 500 }, undefined, { states: [[c, 1_000]], refunds });
    expect(next.v).toEqual([
      [c + 100, 900],
      [c + 200, 800],
      [c + 300, 700],
      [c + 400, 600],
    ]);
    expect(next.u).toBe(c + 500);
  });
});

/**
 * Points with bonus rules (shared/loyalty/bonuses.ts) converge too: whatever the arrival order and
 * duplicates, each order ends earning what its final net earns at its lines' bonus rates, so the
 * balance is the oracle's sum. Tier multipliers are all 1 and no rule is for a tier here: which tier
 * prices an order that arrives before earlier-dated ones is the processor's documented
 * approximation (plan.ts tierAsOf), not what this property is about.
 */
describe('points with bonus rules', () => {
  const ZONE = 'Asia/Ho_Chi_Minh';
  const flat = levels('orders', 2, 4, { kind: 'rollingMonths', months: 12 });
  const program: Program = {
    ...flat,
    tiers: { ...flat.tiers, levels: flat.tiers.levels.map((level) => ({ ...level, earnMultiplier: 1 })) },
    points: { ...flat.points, firstOrderBonus: 0 },
    bonuses: [
      { id: 'p1', multiplier: 2, on: { kind: 'products', ids: ['p1'] }, active: true },
      { id: 'tea', multiplier: 1.5, on: { kind: 'categories', names: ['Tea'] }, active: true },
      { id: 'summer', multiplier: 3, on: { kind: 'dates', from: '2025-04-11', to: '2025-06-10' }, active: true },
      { id: 'off', multiplier: 10, on: { kind: 'categories', names: ['Gifts'] }, active: false },
    ],
  };
  const lineArb = fc.record({
    title: fc.constant('item'),
    productId: fc.constantFrom('p1', 'p2', 'p3'),
    category: fc.constantFrom('Tea', 'Cups', 'Gifts'),
    price: fc.integer({ min: 1, max: 50 }).map((n) => n * 10_000),
    quantity: fc.integer({ min: 1, max: 3 }),
  });
  const bonusOrderArb = fc
    .tuple(
      orderArb,
      fc.array(lineArb, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 5 }).map((n) => n * 10_000),
    )
    .map(([order, lines, shipping]) => ({ ...order, total: lines.reduce((sum, l) => sum + l.price * l.quantity, 0) + shipping, lines }));

  /** Written from the rules as the docs state them, not from bonuses.ts: each line at its largest rate, shipping at the dates rate. */
  function expectedBalance(orders: Array<{ lines: Line[]; total: number }>, events: Event[]) {
    let balance = 0;
    orders.forEach((o, i) => {
      const mine = events.filter((e) => e.orderId === `o${i}`);
      const states = mine.filter((e): e is StateEvent => e.kind === 'state');
      if (states.length === 0) return;
      const last = states.reduce((a, b) => (b.updatedAt > a.updatedAt ? b : a));
      const refunds = mine.filter((e): e is RefundEvent => e.kind === 'refund').reduce((sum, r) => sum + r.amount, 0);
      const paid = ['paid', 'partially_refunded'].includes(last.status);
      const net = paid ? Math.max(0, o.total - Math.min(o.total, Math.max(last.reported, refunds))) : 0;
      const day = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(last.createdAt));
      const whole = day >= '2025-04-11' && day <= '2025-06-10' ? 300 : 100;
      let weighted = 0;
      let weights = 0;
      let lines = 0;
      for (const line of o.lines) {
        const rate = Math.max(whole, line.productId === 'p1' ? 200 : 100, line.category === 'Tea' ? 150 : 100);
        weighted += line.price * line.quantity * rate;
        weights += line.price * line.quantity;
        lines += line.price * line.quantity;
      }
      weighted += (o.total - lines) * whole;
      weights += o.total - lines;
      balance += Number((BigInt(net) * BigInt(weighted)) / (10_000n * 100n * BigInt(weights)));
    });
    return balance;
  }

  it('ends at the sum of what each order’s final net earns at its bonus rates, whatever the arrival order and duplicates', () => {
    fc.assert(
      fc.property(fc.array(bonusOrderArb, { minLength: 1, maxLength: 6 }), fc.integer(), (orders, seed) => {
        const events = eventsOf(orders).map((event) =>
          event.kind === 'state' ? { ...event, lines: orders[Number(event.orderId.slice(1))]?.lines } : event,
        );
        const expected = expectedBalance(orders, events);
        const inOrder = run(chronological(events), program);
        const arrived = run(permuted(events, seed), program);
        expect(inOrder.loyalty.balance).toBe(expected);
        expect(arrived.loyalty.balance).toBe(expected);
        expect(arrived.loyalty.lifetime).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
