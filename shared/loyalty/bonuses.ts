import * as z from 'zod';
import type { EventOrder } from '#shared/domain/event.ts';
import { LocalizedText } from '#shared/loyalty/rewards.ts';
import { localDate } from '#shared/loyalty/rules.ts';

/**
 * Bonus rules: more points per unit of spend on some products, on some categories (collections), or
 * on every order placed within some dates ("double points week"). Part of the program document, and
 * part of the one earn computation (rules.ts pointsFor, plan.ts planOrderChange), so a refund or a
 * cancellation takes back what the bonus gave exactly as it takes back the base points.
 *
 * How rules combine (the program's docs say the same):
 * - Bonuses do not stack: each line of an order earns at the LARGEST multiplier of the active rules
 *   that apply to it (a product rule, a category rule, a dates rule); a line no rule names earns at 1.
 * - The part of the order that is no line (shipping, taxes, the rounding of discounts) earns at the
 *   dates rule's multiplier when one applies, else at 1.
 * - The tier's earn multiplier then multiplies the whole: points = earn rate × net × tier × bonus.
 * - A dates rule looks at the order's own date (its createdAt) in the shop's time zone, not at the
 *   time it is processed, so a late or redelivered order earns what it earned when it was placed.
 * - A rule with `tiers` applies only to customers in those tiers, as of the order (the same tier
 *   that fixes the order's earn multiplier).
 * - What an order earns at its bonus rates is fixed when it first earns, like its tier multiplier:
 *   changing a rule later never re-prices an order already earning.
 */

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, up to 40 characters');

/** Hundredths allowed, as for the tiers' earn multipliers. */
const Multiplier = z
  .number()
  .min(1.01, 'a bonus multiplies points by more than 1')
  .max(10)
  .refine((m) => Math.abs(m * 100 - Math.round(m * 100)) < 1e-9, 'at most two decimals');

export const BonusTargetSchema = z.discriminatedUnion('kind', [
  /** Lines whose product id or SKU is one of these (as the connectors give them: Shopify product ids, WooCommerce ids, SKUs). */
  z.strictObject({ kind: z.literal('products'), ids: z.array(z.string().trim().min(1).max(256)).min(1).max(100) }),
  /** Lines of these categories (Shopify product_type, the generic category); compared without regard to case. */
  z.strictObject({ kind: z.literal('categories'), names: z.array(z.string().trim().min(1).max(200)).min(1).max(50) }),
  /** Orders placed from `from` to `to` inclusive, dates in the shop's time zone. */
  z
    .strictObject({ kind: z.literal('dates'), from: z.iso.date(), to: z.iso.date() })
    .refine((range) => range.to >= range.from, { message: 'to is on or after from', path: ['to'] }),
]);

export const BonusSchema = z.strictObject({
  id: Id,
  /** What the merchant calls it (the console shows it); absent: the id. */
  name: LocalizedText.optional(),
  multiplier: Multiplier,
  on: BonusTargetSchema,
  /** Only customers in these tiers earn it; absent: every tier. */
  tiers: z.array(Id).min(1).max(10).optional(),
  /** A rule taken out of the program stays in the document but gives nothing. */
  active: z.boolean().default(true),
});

export type Bonus = z.infer<typeof BonusSchema>;
export type BonusTarget = z.infer<typeof BonusTargetSchema>;

export const MAX_BONUSES = 20;

/**
 * An order's value split by the multiplier (hundredths) it earns at: `[multiplier, amount]` pairs,
 * one per distinct multiplier, amounts in minor units. The weights of the earn computation
 * (rules.ts pointsFor): their ratio, not their sum, is what counts. At most MAX_BONUSES + 1 pairs.
 */
export type BonusParts = Array<[number, number]>;

/** What of an order the bonus rules read. */
export interface BonusOrder {
  total: number;
  lineItems: Pick<EventOrder['lineItems'][number], 'productId' | 'sku' | 'category' | 'price' | 'quantity'>[];
  /** ISO instant the order was placed. */
  createdAt: string;
}

const hundredths = (multiplier: number) => Math.round(multiplier * 100);

/**
 * The parts of `order` at each bonus multiplier for a customer in `tierId`, or undefined when no
 * rule applies (the order earns at the base rate). Pure: the processor and the backtest call it
 * with the same facts and get the same parts.
 */
export function bonusParts(order: BonusOrder, bonuses: readonly Bonus[], tierId: string, timeZone: string): BonusParts | undefined {
  const rules = bonuses.filter((bonus) => bonus.active && (!bonus.tiers || bonus.tiers.includes(tierId)));
  if (rules.length === 0) return undefined;
  const placed = localDate(new Date(order.createdAt), timeZone);
  let whole = 100;
  for (const rule of rules) {
    if (rule.on.kind === 'dates' && rule.on.from <= placed && placed <= rule.on.to) whole = Math.max(whole, hundredths(rule.multiplier));
  }
  const parts = new Map<number, number>();
  const add = (multiplier: number, amount: number) => {
    if (amount > 0) parts.set(multiplier, (parts.get(multiplier) ?? 0) + amount);
  };
  let lines = 0;
  for (const line of order.lineItems) {
    const amount = line.price * line.quantity;
    lines += amount;
    add(lineMultiplier(line, rules, whole), amount);
  }
  // What is not a line — shipping, taxes — earns at the dates rule's rate; lines worth more than the
  // order (a discount on the order) leave nothing over, and the lines' own ratio stands.
  add(whole, order.total - lines);
  if ([...parts.keys()].every((multiplier) => multiplier === 100)) return undefined;
  return [...parts.entries()].sort((a, b) => a[0] - b[0]);
}

function lineMultiplier(line: BonusOrder['lineItems'][number], rules: readonly Bonus[], whole: number): number {
  let best = whole;
  const category = line.category?.trim().toLowerCase();
  for (const rule of rules) {
    const on = rule.on;
    const applies =
      (on.kind === 'products' && on.ids.some((id) => id === line.productId || id === line.sku)) ||
      (on.kind === 'categories' && category !== undefined && on.names.some((name) => name.toLowerCase() === category));
    if (applies) best = Math.max(best, hundredths(rule.multiplier));
  }
  return best;
}
