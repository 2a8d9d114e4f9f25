import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DynamoEngine } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';

/** GET|PUT /v1/program over HTTP: defaults as version 0, optimistic versions, field paths on errors. */

// biome-ignore lint/suspicious/noExplicitAny: the test edits the document as a shop would, as plain JSON
type Loose = any;

let runtime: Runtime;
let auth: Record<string, string>;

beforeAll(async () => {
  runtime = await startRuntime({
    port: 0,
    dataDir: null,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    log: () => {},
  });
  const created = await fetch(`${runtime.apiUrl}/admin/shops`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.adminKey}` },
    body: JSON.stringify({ shopId: 'program-shop', name: 'Trà Việt', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
  });
  auth = { authorization: `Bearer ${((await created.json()) as { apiKey: string }).apiKey}` };
});
afterAll(async () => runtime?.stop());

const put = (body: unknown) => fetch(`${runtime.apiUrl}/v1/program`, { method: 'PUT', headers: auth, body: JSON.stringify(body) });

it('serves the defaults, saves a new version with its changes, and refuses a stale or invalid one', async () => {
  const current = (await (await fetch(`${runtime.apiUrl}/v1/program`, { headers: auth })).json()) as { version: number; program: Loose };
  expect(current.version).toBe(0);
  expect(current.program.points.earn).toEqual({ points: 1, per: 10_000 });

  const edited = structuredClone(current.program);
  edited.tiers.levels[1].threshold = 4;
  const saved = await put({ version: 0, program: edited });
  expect(saved.status).toBe(200);
  expect(await saved.json()).toMatchObject({
    version: 1,
    changes: [{ path: 'tiers.levels[1].threshold', change: 'changed', from: 3, to: 4 }],
  });

  const stale = await put({ version: 0, program: edited });
  expect(stale.status).toBe(409);

  edited.tiers.levels[0].threshold = 1;
  const invalid = await put({ version: 1, program: edited });
  expect(invalid.status).toBe(400);
  expect(((await invalid.json()) as { error: { field: string } }).error.field).toBe('program.tiers.levels[0].threshold');

  const reread = (await (await fetch(`${runtime.apiUrl}/v1/program`, { headers: auth })).json()) as { version: number; program: Loose };
  expect(reread.version).toBe(1);
  expect(reread.program.tiers.levels[1].threshold).toBe(4);
  expect((await fetch(`${runtime.apiUrl}/v1/program`)).status).toBe(401);
});
