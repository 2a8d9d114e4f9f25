import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signGeneric } from '#shared/domain/signature.ts';
import {
  describeProcess,
  freePort,
  isAlive,
  type LocalProcess,
  type ProcessId,
  refusesConnections,
  startLocalProcess,
  waitFor,
} from '#test/e2e/local-process.ts';
import { orderEvent } from '#test/support/factories.ts';

/**
 * `npm start` stopped the ways an operator stops it: SIGTERM to npm's own pid (a supervisor,
 * `docker stop`, `kill <pid>`) and SIGHUP to the whole process group (a closed terminal). Either way
 * the runtime stops cleanly, nothing of the tree is left running, and the data is there on restart.
 */

/** The parts of the API's answers these tests read. */
interface CreatedShop {
  apiKey: string;
  generatedSecrets: { generic: string };
}
interface FoundCustomers {
  items: Array<{ orderCount: number }>;
}

const admin = { authorization: 'Bearer e2e-admin-key-123', 'content-type': 'application/json' };

let port: number;
let dataDir: string;
const started: Array<{ app: LocalProcess; tree: ProcessId[] }> = [];

async function startNpm(): Promise<{ app: LocalProcess; api: string; tree: ProcessId[] }> {
  const app = startLocalProcess({ via: 'npm', port, dataDir });
  const entry = { app, tree: [] as ProcessId[] };
  started.push(entry);
  const api = await app.ready();
  entry.tree = app.tree();
  return { app, api, tree: entry.tree };
}

/** Within 20 s: no process of the tree alive, and nothing listening on the API's port. */
async function expectAllGone(app: LocalProcess, tree: ProcessId[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (tree.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const left = tree.filter(isAlive).map(describeProcess);
  expect(left, `still running 20 s after the signal; output:\n${app.output()}`).toEqual([]);
  expect(await refusesConnections(port)).toBe(true);
}

beforeAll(async () => {
  port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-signals-'));
  return () => rmSync(dataDir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const { app, tree } of started.splice(0)) await app.kill(tree);
});

describe('stopping npm start', () => {
  let shopKey: string;

  it('SIGTERM to npm alone stops the runtime too, cleanly', async () => {
    const { app, api, tree } = await startNpm();
    // npm, and under it the runtime itself: no shell or tsx CLI in between to swallow the signal.
    expect(tree.length).toBeGreaterThanOrEqual(2);
    const created = await fetch(`${api}/admin/shops`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ shopId: 'sig-shop', name: 'Signals', currency: 'EUR', timezone: 'Europe/Paris', locale: 'fr-FR' }),
    });
    expect(created.status).toBe(201);
    shopKey = ((await created.json()) as CreatedShop).apiKey;

    process.kill(app.child.pid!, 'SIGTERM');
    await expectAllGone(app, tree);
    const exit = await app.closed;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(app.output()).toMatch(/SIGTERM: stopping/);
    expect(app.output()).toMatch(/Stopped: data saved in /);
    expect(existsSync(join(dataDir, 'runtime.json'))).toBe(false);
  });

  it('SIGHUP to the process group (a closed terminal) stops cleanly, and a restart finds everything', async () => {
    const { app, api, tree } = await startNpm();
    const firstShop = await fetch(`${api}/v1/customers?email=nobody%40example.fr`, { headers: { authorization: `Bearer ${shopKey}` } });
    expect(firstShop.status).toBe(200);
    const hupShop = (await (
      await fetch(`${api}/admin/shops`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ shopId: 'hup-shop', name: 'Hang-up', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
      })
    ).json()) as CreatedShop;
    // Accepted just before the hang-up: processed while draining, or kept in the queue journal and delivered again on restart.
    const body = JSON.stringify(orderEvent('hup-shop', { orderId: 'H-1' }, { externalId: 'generic:hup', email: 'hup@example.fr' }));
    const accepted = await fetch(`${api}/webhooks/generic/hup-shop`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-rapport-signature': signGeneric(hupShop.generatedSecrets.generic, body, Math.floor(Date.now() / 1000)),
      },
      body,
    });
    expect(accepted.status).toBe(202);

    process.kill(-app.child.pid!, 'SIGHUP');
    await expectAllGone(app, tree);
    await app.closed;
    // npm itself dies of the hang-up; the runtime's own clean exit is its last line.
    expect(app.output()).toMatch(/SIGHUP: stopping/);
    expect(app.output()).toMatch(/Stopped: data saved in /);
    expect(app.output()).not.toMatch(/again: exiting without draining/);
    expect(existsSync(join(dataDir, 'runtime.json'))).toBe(false);

    const again = await startNpm();
    const firstShopAgain = await fetch(`${again.api}/v1/customers?email=nobody%40example.fr`, {
      headers: { authorization: `Bearer ${shopKey}` },
    });
    expect(firstShopAgain.status).toBe(200);
    await waitFor('the order accepted before the hang-up', async () => {
      const res = await fetch(`${again.api}/v1/customers?email=hup%40example.fr`, {
        headers: { authorization: `Bearer ${hupShop.apiKey}` },
      });
      const found = ((await res.json()) as FoundCustomers).items[0];
      return found?.orderCount === 1 ? found : undefined;
    });
    process.kill(again.app.child.pid!, 'SIGTERM');
    await expectAllGone(again.app, again.tree);
    expect(await again.app.closed).toEqual({ code: 0, signal: null });
  });
});
