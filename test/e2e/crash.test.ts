import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signGeneric } from '#shared/domain/signature.ts';
import { freePort, type LocalProcess, type ProcessId, startLocalProcess, waitFor } from '#test/e2e/local-process.ts';
import { orderEvent } from '#test/support/factories.ts';

/**
 * The operator's worst case, as a tester ran it: signed orders streaming into `npm start`, and the
 * whole process group SIGKILLed mid-stream (no handler runs, nothing is saved on the way out). After
 * a restart on the same data directory every order that was answered 202 is processed, once.
 */

const ORDERS = 240;
const KILL_AFTER = 150;
const SENDERS = 4;
/** Every tenth order is delivered twice, as webhooks are. */
const DUPLICATE_EVERY = 10;

interface CreatedShop {
  apiKey: string;
  generatedSecrets: { generic: string };
}
interface FoundCustomers {
  items: Array<{ orderCount: number; totalSpent?: { amount: number } }>;
}

const admin = { authorization: 'Bearer e2e-admin-key-123', 'content-type': 'application/json' };
let port: number;
let dataDir: string;
const started: Array<{ app: LocalProcess; tree: () => ProcessId[] }> = [];

beforeAll(async () => {
  port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-crash-'));
  return () => rmSync(dataDir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const { app, tree } of started.splice(0)) await app.kill(tree());
});

async function startNpm(): Promise<{ app: LocalProcess; api: string }> {
  const app = startLocalProcess({ via: 'npm', port, dataDir });
  let tree: ProcessId[] = [];
  started.push({ app, tree: () => tree });
  const api = await app.ready();
  tree = app.tree();
  return { app, api };
}

describe('a SIGKILL of npm start', () => {
  it('loses no order that was answered 202: all are processed after the restart, none twice', async () => {
    const first = await startNpm();
    const created = await fetch(`${first.api}/admin/shops`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ shopId: 'crash-shop', name: 'Crash', currency: 'EUR', timezone: 'Europe/Paris', locale: 'fr-FR' }),
    });
    expect(created.status).toBe(201);
    const shop = (await created.json()) as CreatedShop;

    const accepted = new Set<number>();
    let refused = 0;
    let killed: Promise<void> | undefined;
    const send = async (i: number) => {
      const event = orderEvent(
        'crash-shop',
        { orderId: `C-${i}`, total: 100 + i, currency: 'EUR' },
        { externalId: `generic:c-${i}`, email: `c-${i}@example.fr` },
      );
      const body = JSON.stringify(event);
      for (let copy = 0; copy < (i % DUPLICATE_EVERY === 0 ? 2 : 1); copy++) {
        try {
          const res = await fetch(`${first.api}/webhooks/generic/crash-shop`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-rapport-signature': signGeneric(shop.generatedSecrets.generic, body, Math.floor(Date.now() / 1000)),
            },
            body,
          });
          const answer = await res.text();
          if (res.status === 202) accepted.add(i);
          else {
            refused++;
            if (refused === 1) process.stdout.write(`refused: ${res.status} ${answer}\n`);
          }
        } catch {
          // Sent while the runtime died: not answered, so not accepted.
        }
      }
      if (accepted.size >= KILL_AFTER && !killed) {
        const { app, tree } = started[0]!;
        killed = app.kill(tree());
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < ORDERS && !killed) await send(next++);
      }),
    );
    await killed;
    expect(refused).toBe(0);
    expect(accepted.size).toBeGreaterThanOrEqual(KILL_AFTER);
    started.splice(0, 1);

    const second = await startNpm();
    const counts = new Map<number, number>();
    await waitFor(
      `all ${accepted.size} accepted orders after the restart`,
      async () => {
        for (const i of accepted) {
          if (counts.get(i) === 1) continue;
          const res = await fetch(`${second.api}/v1/customers?email=c-${i}%40example.fr`, {
            headers: { authorization: `Bearer ${shop.apiKey}` },
          });
          const found = ((await res.json()) as FoundCustomers).items[0];
          counts.set(i, found?.orderCount ?? 0);
        }
        return [...accepted].every((i) => counts.get(i) === 1) ? true : undefined;
      },
      60_000,
    ).catch(() => undefined);
    const lost = [...accepted].filter((i) => (counts.get(i) ?? 0) === 0);
    const doubles = [...accepted].filter((i) => (counts.get(i) ?? 0) > 1);
    process.stdout.write(
      `crash test: ${accepted.size} orders answered 202 before the SIGKILL (sent ${next}), lost ${lost.length}, counted twice ${doubles.length}\n`,
    );
    expect({ lost, doubles }).toEqual({ lost: [], doubles: [] });
    expect(second.app.output()).toMatch(/message\(s\) back on rapport-/);
  });
});
