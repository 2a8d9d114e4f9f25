import type { Server } from 'node:http';
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, dynamoClient, type Emulator, ensureTable, listen, startDynamo } from '#infra/local/emulators.ts';

/**
 * The runtime's dynalite (a worker thread, with its expression cache) against dynalite as it comes
 * (in this thread, untouched): the same requests must get the same answers, failures included,
 * however often an expression comes back with other names and values.
 */
describe('dynalite on its worker thread, with cached expressions', () => {
  const table = 'rapport';
  let runtimeDynalite: Emulator;
  let plain: Server;
  let clients: [DynamoDBClient, DynamoDBClient];

  beforeAll(async () => {
    runtimeDynalite = await startDynamo({ engine: 'dynalite' });
    plain = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const plainEndpoint = await listen(plain);
    await Promise.all([ensureTable(runtimeDynalite.endpoint, table), ensureTable(plainEndpoint, table)]);
    clients = [dynamoClient(runtimeDynalite.endpoint), dynamoClient(plainEndpoint)];
  });
  afterAll(async () => {
    for (const client of clients ?? []) client.destroy();
    await runtimeDynalite?.stop();
    if (plain) await closeServer(plain);
  });

  /** Both answers, as comparable text: the result, or the error's name and message. */
  const both = async (send: (client: DynamoDBClient) => Promise<unknown>) =>
    Promise.all(
      clients.map((client) =>
        send(client).then(
          (result) => JSON.stringify(result, (key, value) => (key === '$metadata' ? undefined : value)),
          (err: Error) => `${err.name}: ${err.message}`,
        ),
      ),
    );
  const update = (input: Omit<UpdateItemCommandInput, 'TableName'>) =>
    both((client) => client.send(new UpdateItemCommand({ TableName: table, ReturnValues: 'ALL_NEW', ...input })));

  const n = (value: number): AttributeValue => ({ N: String(value) });
  const s = (value: string): AttributeValue => ({ S: value });

  it('answers every request as dynalite itself does', async () => {
    const answers: string[][] = [];
    const condition =
      '(attribute_not_exists(#summary) OR #summary.q < :q) AND (attribute_not_exists(#t0) OR #t0 < :at OR (#t0 = :at AND #f0 < :v0)) AND ';
    for (let i = 0; i < 24; i++) {
      const key = { PK: s(`SHOP#s#C#c${i % 3}`), SK: s('PROFILE') };
      const first = i < 3;
      answers.push(
        await update({
          Key: key,
          UpdateExpression: 'SET #summary = :summary, #f0 = :v0, #t0 = :at, pv = :pvNext',
          ConditionExpression: condition + (first ? 'attribute_not_exists(pv)' : 'pv = :pv'),
          // A new attribute name each time (the order's summary), as the processor sends it; now and
          // then a field whose stamp is older, and a version that is stale, so the condition fails.
          ExpressionAttributeNames: { '#summary': `o#${i}`, '#t0': i % 4 ? 'emailAt' : 'phoneAt', '#f0': i % 4 ? 'email' : 'phone' },
          ExpressionAttributeValues: {
            ':summary': { M: { q: n(i), t: n(1000 + i) } },
            ':q': n(i),
            ':v0': s(`x${i}@example.com`),
            ':at': n(i % 5 === 0 ? 1 : 100 + i),
            ':pvNext': n(Math.floor(i / 3) + 1),
            ...(first ? {} : { ':pv': n(i % 7 === 0 ? 99 : Math.floor(i / 3)) }),
          },
        }),
      );
    }
    // Mistakes, each twice: the second must not be answered from what the first left behind.
    for (let i = 0; i < 2; i++) {
      const Key = { PK: s('SHOP#s#C#c0'), SK: s('PROFILE') };
      answers.push(
        await update({ Key, UpdateExpression: 'SET a = :v + :w', ExpressionAttributeValues: { ':v': s('1'), ':w': n(i) } }),
        await update({ Key, UpdateExpression: 'SET a = :v + :w', ExpressionAttributeValues: { ':v': n(1), ':w': n(i) } }),
        await update({ Key, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': n(i), ':unused': n(1) } }),
        await update({
          Key,
          UpdateExpression: 'SET #a = :v, #b = :w',
          ExpressionAttributeNames: { '#a': 'x', '#b': i ? 'x' : 'y' },
          ExpressionAttributeValues: { ':v': n(1), ':w': n(2) },
        }),
        await update({
          Key,
          UpdateExpression: 'SET #a = :v',
          ExpressionAttributeNames: { '#a': 'PK' },
          ExpressionAttributeValues: { ':v': s(`k${i}`) },
        }),
        await update({
          Key,
          UpdateExpression: 'SET #a = :v',
          ConditionExpression: '#a BETWEEN :lo AND :hi',
          ExpressionAttributeNames: { '#a': 'a' },
          ExpressionAttributeValues: { ':v': n(1), ':lo': n(5), ':hi': n(i) },
        }),
        await update({ Key, UpdateExpression: 'SET size = :v', ExpressionAttributeValues: { ':v': n(i) } }),
      );
    }
    answers.push(
      await both((client) =>
        client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'PK = :pk AND begins_with(#sk, :p)',
            ExpressionAttributeNames: { '#sk': 'SK' },
            ExpressionAttributeValues: { ':pk': s('SHOP#s#C#c1'), ':p': s('PRO') },
          }),
        ),
      ),
    );

    for (const [cached, plainAnswer] of answers) expect(cached).toBe(plainAnswer);
    // The sequence meant something: writes that won, conditions that failed, mistakes refused.
    const flat = answers.map(([answer]) => answer as string);
    expect(flat.filter((a) => a.startsWith('{"Attributes"')).length).toBeGreaterThan(5);
    expect(flat.some((a) => a.startsWith('ConditionalCheckFailedException'))).toBe(true);
    expect(flat.filter((a) => a.startsWith('ValidationException')).length).toBeGreaterThan(8);
  });
});
