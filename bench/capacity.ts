import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemSize } from '#shared/data/item-size.ts';

/**
 * Capacity accounting on a document client: every command asks for ReturnConsumedCapacity
 * INDEXES, and what DynamoDB reports (table and GSI units) is recorded per command. A write whose
 * condition fails carries no ConsumedCapacity, yet DynamoDB charges it (the larger of the
 * existing and the proposed item, 1 WCU per KB, at least 1): the middleware also asks for
 * ReturnValuesOnConditionCheckFailure ALL_OLD and charges the item it gets back, marked
 * `estimated`. No repository code changes; the middleware sits at the initialize step.
 */

type Op = 'read' | 'write';

export interface CommandCost {
  command: string;
  /** What the key names: profile, order, timeline, identity:ext, shop, … */
  item: string;
  op: Op;
  rcu: number;
  wcu: number;
  /** Part of wcu spent on GSI1. */
  gsiWcu: number;
  conditionFailed?: boolean;
  estimated?: boolean;
}

interface CapacityEntry {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

export function describeKey(key: Record<string, unknown> | undefined): string {
  // At the initialize step the document client's input is still plain JavaScript.
  const pk = String(key?.PK ?? '');
  const sk = String(key?.SK ?? '');
  const identity = /#ID#([^#]+)#/.exec(pk);
  if (identity) return `identity:${identity[1]}`;
  if (/#O#/.test(pk)) return 'order';
  if (sk === 'PROFILE') return 'profile';
  if (sk.startsWith('T#')) return 'timeline';
  if (sk === 'SHOP') return 'shop';
  return sk.split('#')[0] || 'item';
}

function itemsOf(commandName: string, input: Record<string, unknown>): string {
  if (commandName === 'BatchGetItemCommand') {
    const requests = Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: Record<string, unknown>[] }>);
    const names = requests.flatMap((r) => (r.Keys ?? []).map(describeKey));
    return `batch[${names.join(',')}]`;
  }
  if (commandName === 'BatchWriteItemCommand') {
    const requests = Object.values((input.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item: Record<string, unknown> } }>>);
    return `batch[${requests
      .flat()
      .map((r) => describeKey(r.PutRequest?.Item))
      .join(',')}]`;
  }
  return describeKey((input.Key ?? input.Item) as Record<string, unknown> | undefined);
}

function sum(entries: CapacityEntry | CapacityEntry[] | undefined) {
  const list = entries === undefined ? [] : Array.isArray(entries) ? entries : [entries];
  let total = 0;
  let gsi = 0;
  for (const entry of list) {
    total += entry.CapacityUnits ?? (entry.ReadCapacityUnits ?? 0) + (entry.WriteCapacityUnits ?? 0);
    for (const index of Object.values(entry.GlobalSecondaryIndexes ?? {})) gsi += index.CapacityUnits ?? 0;
  }
  return { total, gsi };
}

/* ---------- DynamoDB item size (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html) ---------- */

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function numberSize(n: number | string): number {
  const digits = String(n).replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Size of a value in DynamoDB's wire form ({S: …}, {N: …}, {M: …}, …). */
export function attributeValueSize(av: Record<string, unknown>): number {
  const [type, value] = Object.entries(av)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return utf8(value as string);
    case 'N':
      return numberSize(value as string);
    case 'B':
      return (value as Uint8Array).byteLength;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (value as string[]).reduce((s, v) => s + utf8(v), 0);
    case 'NS':
      return (value as string[]).reduce((s, v) => s + numberSize(v), 0);
    case 'BS':
      return (value as Uint8Array[]).reduce((s, v) => s + v.byteLength, 0);
    case 'L':
      return 3 + (value as Record<string, unknown>[]).reduce((s, v) => s + 1 + attributeValueSize(v), 0);
    case 'M':
      return (
        3 +
        Object.entries(value as Record<string, Record<string, unknown>>).reduce((s, [k, v]) => s + 1 + utf8(k) + attributeValueSize(v), 0)
      );
    default:
      return 0;
  }
}

export const wireItemSize = (item: Record<string, Record<string, unknown>>) =>
  Object.entries(item).reduce((s, [name, value]) => s + utf8(name) + attributeValueSize(value), 0);

/* ---------- the meter ---------- */

export interface CapacityMeter {
  /** Commands since the last take(). */
  take(): CommandCost[];
}

/** A write's units from the items it writes: a put's item, an update's item after (ALL_NEW), each batch put. */
function estimatedWcu(commandName: string, input: Record<string, unknown>, after: Record<string, unknown> | undefined): number {
  const units = (item: Record<string, unknown> | undefined) => Math.max(1, Math.ceil(itemSize(item ?? {}) / 1024));
  if (commandName === 'PutItemCommand') return units(input.Item as Record<string, unknown>);
  if (commandName === 'BatchWriteItemCommand') {
    const requests = Object.values((input.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item: Record<string, unknown> } }>>);
    return requests.flat().reduce((sum, r) => sum + units(r.PutRequest?.Item), 0);
  }
  return units(after);
}

export function meterCapacity(client: DynamoDBDocumentClient): CapacityMeter {
  let log: CommandCost[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const commandName = String(context.commandName ?? 'unknown');
      const input = args.input as Record<string, unknown>;
      const op: Op | undefined = READS.has(commandName) ? 'read' : WRITES.has(commandName) ? 'write' : undefined;
      if (!op) return next(args);
      input.ReturnConsumedCapacity = 'INDEXES';
      const conditional = op === 'write' && typeof input.ConditionExpression === 'string';
      if (conditional) input.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
      const item = itemsOf(commandName, input);
      try {
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: CapacityEntry | CapacityEntry[]; Attributes?: Record<string, unknown> };
        if (output.ConsumedCapacity === undefined && op === 'write') {
          // dynalite reports no capacity: estimate a write from the item it leaves (1 WCU per KB).
          log.push({
            command: commandName,
            item,
            op,
            rcu: 0,
            wcu: estimatedWcu(commandName, input, output.Attributes),
            gsiWcu: 0,
            estimated: true,
          });
          return result;
        }
        const { total, gsi } = sum(output.ConsumedCapacity);
        log.push({
          command: commandName,
          item,
          op,
          rcu: op === 'read' ? total : 0,
          wcu: op === 'write' ? total : 0,
          gsiWcu: op === 'write' ? gsi : 0,
        });
        return result;
      } catch (error) {
        const e = error as { name?: string; Item?: Record<string, Record<string, unknown>> };
        if (conditional && e.name === 'ConditionalCheckFailedException') {
          const existing = e.Item ? wireItemSize(e.Item) : 0;
          const proposed = commandName === 'PutItemCommand' ? itemSize(input.Item as Record<string, unknown>) : 0;
          const wcu = Math.max(1, Math.ceil(Math.max(existing, proposed) / 1024));
          log.push({ command: commandName, item, op, rcu: 0, wcu, gsiWcu: 0, conditionFailed: true, estimated: true });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchCapacityMeter' },
  );
  return {
    take() {
      const taken = log;
      log = [];
      return taken;
    },
  };
}

export const totals = (costs: CommandCost[]) => ({
  rcu: costs.reduce((s, c) => s + c.rcu, 0),
  wcu: costs.reduce((s, c) => s + c.wcu, 0),
  gsiWcu: costs.reduce((s, c) => s + c.gsiWcu, 0),
});

/** `UpdateItem profile 2 WCU (1 GSI)` lines, for the report. */
export const describeCosts = (costs: CommandCost[]) =>
  costs.map((c) => {
    const units = c.op === 'read' ? `${c.rcu} RCU` : `${c.wcu} WCU${c.gsiWcu ? ` (${c.gsiWcu} GSI)` : ''}`;
    const flags = [c.conditionFailed ? 'condition failed' : '', c.estimated ? 'estimated' : ''].filter(Boolean).join(', ');
    return `${c.command.replace(/Command$/, '')} ${c.item} ${units}${flags ? ` [${flags}]` : ''}`;
  });
