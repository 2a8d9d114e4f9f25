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

it('refuses a segment rule nested 2,000 levels deep with 400 naming where, before any schema recurses into it', async () => {
  const current = (await (await fetch(`${runtime.apiUrl}/v1/program`, { headers: auth })).json()) as { version: number; program: Loose };
  let rule: Loose = { field: 'orderCount', op: 'gte', value: 1 };
  for (let i = 0; i < 2000; i++) rule = { not: rule };
  const program = { ...current.program, analytics: { ...current.program.analytics, segments: [{ id: 'deep', name: 'Deep', rule }] } };
  const res = await put({ version: current.version, program });
  expect(res.status).toBe(400);
  const { error } = (await res.json()) as { error: { code: string; field: string; message: string } };
  expect(error.code).toBe('invalid_request');
  expect(error.field).toMatch(/^program\.analytics\.segments\[0\]\.rule(\.not)+$/);
  expect(error.message).toMatch(/nested deeper than/);

  // Within the body's depth limit but past the rule's: the rule's own limit names it.
  let thirteen: Loose = { field: 'orderCount', op: 'gte', value: 1 };
  for (let i = 0; i < 13; i++) thirteen = { not: thirteen };
  const over = await put({
    version: current.version,
    program: { ...program, analytics: { ...program.analytics, segments: [{ id: 'deep', name: 'Deep', rule: thirteen }] } },
  });
  expect(over.status).toBe(400);
  expect(((await over.json()) as { error: { field: string } }).error.field).toBe(`program.analytics.segments[0].rule${'.not'.repeat(12)}`);
});

it('answers 400, never 5xx, for a body nested 100,000 deep on every route that reads JSON', async () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const routes: Array<[string, string]> = [
    ['PUT', '/v1/program'],
    ['POST', '/v1/interactions'],
    ['POST', '/v1/customers/c_0123456789abcdef0123/redemptions'],
    ['PUT', '/v1/customers/c_0123456789abcdef0123/tier'],
  ];
  for (const [method, path] of routes) {
    for (const body of [deep, `{"version":0,"program":${deep}}`, `{"channel":"phone","note":${deep}}`]) {
      const res = await fetch(`${runtime.apiUrl}${path}`, { method, headers: { ...auth, 'idempotency-key': 'deep-body-0001' }, body });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toEqual(expect.any(String));
    }
  }
});

it('keeps every saved version: a history newest first, paged, each version whole with what changed since', async () => {
  const get = async (path: string) => {
    const res = await fetch(`${runtime.apiUrl}${path}`, { headers: auth });
    return { status: res.status, json: (await res.json()) as Loose };
  };
  let doc = (await get('/v1/program')).json as { version: number; program: Loose };
  const start = doc.version;
  for (const months of [13, 14, 15]) {
    const edited = structuredClone(doc.program);
    edited.tiers.downgrade.termMonths = months;
    const saved = await put({ version: doc.version, program: edited });
    expect(saved.status).toBe(200);
    doc = { version: ((await saved.json()) as { version: number }).version, program: edited };
  }
  // A save that loses the race leaves the history as it was.
  expect((await put({ version: start, program: doc.program })).status).toBe(409);

  const seen: Array<{ version: number; current: boolean }> = [];
  let before: number | undefined;
  do {
    const page = await get(`/v1/program/versions?limit=2${before ? `&before=${before}` : ''}`);
    expect(page.status).toBe(200);
    expect(page.json.items.length).toBeLessThanOrEqual(2);
    seen.push(...page.json.items);
    before = page.json.before;
  } while (before);
  expect(seen.map((v) => v.version)).toEqual(Array.from({ length: doc.version }, (_, i) => doc.version - i));
  expect(seen.filter((v) => v.current).map((v) => v.version)).toEqual([doc.version]);

  const older = await get(`/v1/program/versions/${doc.version - 2}`);
  expect(older.status).toBe(200);
  expect(older.json.program.tiers.downgrade.termMonths).toBe(13);
  expect(older.json.changesToCurrent).toEqual([{ path: 'tiers.downgrade.termMonths', change: 'changed', from: 13, to: 15 }]);
  expect((await get(`/v1/program/versions/${doc.version}`)).json).toMatchObject({ current: true, changesToCurrent: [] });
  expect((await get('/v1/program/versions/999')).status).toBe(404);
  const bad = await get('/v1/program/versions/x');
  expect(bad.status).toBe(400);
  expect(bad.json.error.field).toBe('version');
});

it('saves a tier with a rule of its own, and refuses a rule that does not parse with 400 naming its qualifies and the position', async () => {
  const current = (await (await fetch(`${runtime.apiUrl}/v1/program`, { headers: auth })).json()) as { version: number; program: Loose };
  const edited = structuredClone(current.program);
  delete edited.tiers.levels[2].threshold;
  edited.tiers.levels[2].qualifies = 'spend >= 5000000 or (orders >= 6 and predictedValue12m >= 3000000 and pAlive >= O.5)';
  const refused = await put({ version: current.version, program: edited });
  expect(refused.status).toBe(400);
  const { error } = (await refused.json()) as { error: { code: string; field: string; message: string } };
  expect(error.field).toBe('program.tiers.levels[2].qualifies');
  expect(error.message).toContain('at character 81: unknown name "O"');

  edited.tiers.levels[2].qualifies = 'spend >= 5000000 or (orders >= 6 and predictedValue12m >= 3000000)';
  const saved = await put({ version: current.version, program: edited });
  expect(saved.status).toBe(200);
  expect(((await saved.json()) as { changes: unknown[] }).changes).toEqual(
    expect.arrayContaining([
      { path: 'tiers.levels[2].threshold', change: 'removed', from: 8 },
      { path: 'tiers.levels[2].qualifies', change: 'added', to: edited.tiers.levels[2].qualifies },
    ]),
  );
  const reread = (await (await fetch(`${runtime.apiUrl}/v1/program`, { headers: auth })).json()) as { program: Loose };
  expect(reread.program.tiers.levels[2]).toMatchObject({ id: 'gold', qualifies: edited.tiers.levels[2].qualifies });
  expect(reread.program.tiers.levels[2]).not.toHaveProperty('threshold');
});
