import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signGeneric } from '#shared/domain/signature.ts';
import { freePort, type LocalProcess, type ProcessId, startLocalProcess, waitFor } from '#test/e2e/local-process.ts';
import { orderEvent } from '#test/support/factories.ts';

/**
 * The operator's worst case, as a tester ran it: signed orders streaming into `npm start`, and the
 * whole process group SIGKILLed mid-stream (no handler runs, nothing is saved on the way out), then
 * a restart on the same data directory. Used by test/e2e/crash.test.ts and `npm run bench -- reliability`.
 */

export interface CrashOptions {
  orders?: number;
  /** The SIGKILL comes once this many orders were answered 202. */
  killAfter?: number;
  senders?: number;
}

export interface CrashFigures {
  /** Orders answered 202 before the SIGKILL. */
  accepted: number;
  /** Requests sent, duplicates included; those in flight at the kill got no answer. */
  sent: number;
  refused: number;
  /** Messages the restarted runtime put back on its queues from the journal. */
  restored: number;
  lost: number;
  /** Which, when any: C-<n>. */
  lostOrders: string[];
  doubles: number;
  /** From the restart until every accepted order was found. */
  recoverSeconds: number;
}

interface CreatedShop {
  apiKey: string;
  generatedSecrets: { generic: string };
}

const admin = { authorization: 'Bearer e2e-admin-key-123', 'content-type': 'application/json' };

export async function runCrash(opts: CrashOptions = {}): Promise<CrashFigures & { output: string }> {
  const orders = opts.orders ?? 240;
  const killAfter = opts.killAfter ?? 150;
  const senders = opts.senders ?? 4;
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-crash-'));
  const started: Array<{ app: LocalProcess; tree: ProcessId[] }> = [];
  const startNpm = async () => {
    const app = startLocalProcess({ via: 'npm', port, dataDir });
    const entry = { app, tree: [] as ProcessId[] };
    started.push(entry);
    const api = await app.ready();
    entry.tree = app.tree();
    return { app, api, entry };
  };
  try {
    const first = await startNpm();
    const created = await fetch(`${first.api}/admin/shops`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ shopId: 'crash-shop', name: 'Crash', currency: 'EUR', timezone: 'Europe/Paris', locale: 'fr-FR' }),
    });
    if (created.status !== 201) throw new Error(`creating the shop: ${created.status} ${await created.text()}`);
    const shop = (await created.json()) as CreatedShop;

    const accepted = new Set<number>();
    let refused = 0;
    let sent = 0;
    let killed: Promise<void> | undefined;
    const send = async (i: number) => {
      const event = orderEvent(
        'crash-shop',
        { orderId: `C-${i}`, total: 100 + i, currency: 'EUR' },
        { externalId: `generic:c-${i}`, email: `c-${i}@example.fr` },
      );
      const body = JSON.stringify(event);
      // Every tenth order is delivered twice, as webhooks are.
      for (let copy = 0; copy < (i % 10 === 0 ? 2 : 1); copy++) {
        sent++;
        try {
          const res = await fetch(`${first.api}/webhooks/generic/crash-shop`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-rapport-signature': signGeneric(shop.generatedSecrets.generic, body, Math.floor(Date.now() / 1000)),
            },
            body,
          });
          await res.arrayBuffer();
          if (res.status === 202) accepted.add(i);
          else refused++;
        } catch {
          // Sent while the runtime died: not answered, so not accepted.
        }
      }
      if (accepted.size >= killAfter && !killed) killed = first.app.kill(first.entry.tree);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: senders }, async () => {
        while (next < orders && !killed) await send(next++);
      }),
    );
    await killed;
    started.splice(0, 1);

    const restartedAt = Date.now();
    const second = await startNpm();
    const counts = new Map<number, number>();
    // Until every accepted order is found, or the queues have been empty twice in a row (then what
    // is missing is lost, not slow): on a loaded machine the backlog can take a while.
    let emptyChecks = 0;
    await waitFor(
      `all ${accepted.size} accepted orders after the restart`,
      async () => {
        for (const i of accepted) {
          if (counts.get(i) === 1) continue;
          const res = await fetch(`${second.api}/v1/customers?email=c-${i}%40example.fr`, {
            headers: { authorization: `Bearer ${shop.apiKey}` },
          });
          const found = ((await res.json()) as { items: Array<{ orderCount: number }> }).items[0];
          counts.set(i, found?.orderCount ?? 0);
        }
        if ([...accepted].every((i) => counts.get(i) === 1)) return true;
        const health = (await (await fetch(`${second.api}/health`)).json()) as {
          queues?: Record<string, { visible: number; inFlight: number; delayed: number }>;
        };
        const queued = Object.values(health.queues ?? {}).reduce((n, q) => n + q.visible + q.inFlight + q.delayed, 0);
        emptyChecks = health.queues && queued === 0 ? emptyChecks + 1 : 0;
        return emptyChecks >= 2 ? true : undefined;
      },
      180_000,
    ).catch(() => undefined);
    const restored = [...second.app.output().matchAll(/queue journal: (\d+) message\(s\) back on/g)].reduce((n, m) => n + Number(m[1]), 0);
    return {
      accepted: accepted.size,
      sent,
      refused,
      restored,
      lost: [...accepted].filter((i) => (counts.get(i) ?? 0) === 0).length,
      lostOrders: [...accepted].filter((i) => (counts.get(i) ?? 0) === 0).map((i) => `C-${i}`),
      doubles: [...accepted].filter((i) => (counts.get(i) ?? 0) > 1).length,
      recoverSeconds: Math.round((Date.now() - restartedAt) / 100) / 10,
      output: second.app.output(),
    };
  } finally {
    for (const { app, tree } of started.splice(0)) await app.kill(tree);
    // RAPPORT_CRASH_KEEP=1 keeps the data directory (journal and tables) to look into a failure.
    if (process.env.RAPPORT_CRASH_KEEP === '1') process.stderr.write(`crash test: data kept in ${dataDir}\n`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}
