import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, ensureTable, isLoopbackEndpoint, startDynamo } from '#infra/local/emulators.ts';
import type { Db } from '#shared/data/db.ts';
import { CanonicalEventSchema } from '#shared/domain/event.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { orderEvent } from '#test/support/factories.ts';
import { describeCosts, meterCapacity, totals } from './capacity.ts';
import { customer, order } from './orders.ts';
import type { BenchResult } from './report.ts';

/**
 * What the loyalty program adds to a paid order's write cost, on DynamoDB Local: the same ten
 * orders of one customer processed with a program that awards nothing (one tier, no points, no
 * bonuses, no milestones: the spine alone) and with the default program; the difference per order.
 * Points ride in the profile write the spine makes anyway; the ledger entry is the added item.
 */

export const LOYALTY_WCU_TARGET = 1;

export const spineOnly = (program: Program): Program => ({
  ...program,
  tiers: { ...program.tiers, levels: program.tiers.levels.slice(0, 1) },
  points: { ...program.points, earn: { points: 0, per: 1 }, firstOrderBonus: 0, milestones: [] },
});

export async function benchLoyalty(): Promise<BenchResult> {
  const emulator = await startDynamo({ engine: 'dynamodb-local' });
  if (!isLoopbackEndpoint(emulator.endpoint)) throw new Error(`refusing to bench against ${emulator.endpoint}`);
  const client = DynamoDBDocumentClient.from(dynamoClient(emulator.endpoint), { marshallOptions: { removeUndefinedValues: true } });
  try {
    const table = `bench-${randomUUID().slice(0, 8)}`;
    await ensureTable(emulator.endpoint, table);
    const meter = meterCapacity(client);
    const db: Db = { client, table };
    const full = defaultProgram({ currency: 'VND', name: 'bench' });

    const tenOrders = async (program: Program, shopId: string) => {
      const costs: Array<{ wcu: number; commands: string[] }> = [];
      for (let k = 1; k <= 10; k++) {
        const at = new Date(Date.UTC(2026, 0, 5 + 7 * (k - 1), 9));
        const deps = { db, now: () => at, phoneRegion: async () => 'VN', program: async () => program };
        const event = orderEvent(shopId, order({ orderId: `loyalty-${k}`, at, lines: 3, seed: k }), {
          ...customer(1),
          updatedAt: '2025-12-01T00:00:00.000Z',
        });
        meter.take();
        await processEvent(CanonicalEventSchema.parse(JSON.parse(JSON.stringify(event))), deps);
        const taken = meter.take();
        costs.push({ wcu: totals(taken).wcu, commands: describeCosts(taken) });
      }
      return costs;
    };
    const spine = await tenOrders(spineOnly(full), 'bench-spine');
    const loyalty = await tenOrders(full, 'bench-loyalty');
    // Orders 2–10 (the first order creates the customer in both runs).
    const added = loyalty.slice(1).map((cost, i) => cost.wcu - (spine[i + 1]?.wcu ?? 0));
    const sorted = [...added].sort((a, b) => a - b);
    const typical = sorted[Math.floor(sorted.length / 2)] ?? 0;
    const worst = sorted[sorted.length - 1] ?? 0;
    const worstAt = added.indexOf(worst) + 2;
    return {
      figures: {
        wcuPerPaidOrder: typical,
        wcuWorstPaidOrder: worst,
        addedPerOrder: added,
        spineWcu: spine.map((c) => c.wcu),
        loyaltyWcu: loyalty.map((c) => c.wcu),
        engine: 'dynamodb-local',
        method:
          'the same ten orders with a program that awards nothing and with the default program; WCU difference per order, orders 2–10',
      },
      notes: [
        `loyalty, a paid order that changes no tier: ${loyalty[4]?.commands.join('; ')}`,
        `loyalty, the worst order (${worstAt}, a tier or milestone change with its timeline entries): ${loyalty[worstAt - 1]?.commands.join('; ')}`,
      ],
      rows: [
        {
          key: 'loyalty.wcuPerPaidOrder',
          label: `added by the points of a paid order (median of orders 2–10; worst ${worst} on order ${worstAt}, which also changes tier or passes a milestone)`,
          value: typical,
          unit: 'WCU',
          target: { op: '<=', value: LOYALTY_WCU_TARGET },
        },
      ],
    };
  } finally {
    client.destroy();
    await emulator.stop();
  }
}
