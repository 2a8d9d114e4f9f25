import { ValidationError } from '#shared/domain/errors.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';

/**
 * One line of an import file in, canonical events out (or why not). Converters are pure: the shop
 * settings they need come in, and the same line always gives the same events — the same event ids
 * above all, which is what makes running an import twice change nothing.
 */

export interface ImportShop {
  shopId: string;
  currency: string;
  /** IANA zone: a CSV date without a zone is the shop's local day or time. */
  timezone: string;
  ignoreTestOrders: boolean;
}

export type LineOutcome =
  | { kind: 'events'; events: CanonicalEvent[] }
  /** Dropped on purpose, as the webhooks drop it (a Shopify test order when the shop ignores them). */
  | { kind: 'ignored'; why: string }
  | { kind: 'rejected'; field: string; message: string };

export interface LineConverter {
  convert(line: string, lineNumber: number): LineOutcome;
  /**
   * A line an interrupted run already sent, read again on resume without sending it: converters
   * that remember earlier lines (the CSV duplicate check) remember this one too.
   */
  skip?(line: string, lineNumber: number): void;
}

/** Runs a conversion; a ValidationError (something wrong with the line) becomes a rejection, anything else is a bug. */
export function converting(run: () => LineOutcome): LineOutcome {
  try {
    return run();
  } catch (error) {
    if (error instanceof ValidationError) return { kind: 'rejected', field: error.field, message: error.message };
    throw error;
  }
}
