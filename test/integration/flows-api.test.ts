import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { createShopOverHttp, startTestRuntime } from '#test/support/local-api.ts';

/**
 * Flows through PUT /v1/program over HTTP: a new shop's win-back flow, every bad input refused with
 * 400 naming the field (segment, reward, period, delay, the message's variables and HTML, the
 * brand's postal address), a good flow saved and diffed by its id, `[]` saved as no flows.
 */

// biome-ignore lint/suspicious/noExplicitAny: the test edits the document as a shop would, as plain JSON
type Loose = any;

let runtime: Runtime;
let stop: () => Promise<void>;
let auth: Record<string, string>;

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  const apiKey = await createShopOverHttp(runtime, {
    shopId: 'flows-shop',
    currency: 'VND',
    timezone: 'Asia/Ho_Chi_Minh',
    locale: 'vi-VN',
  });
  auth = { authorization: `Bearer ${apiKey}` };
});
afterAll(async () => stop?.());

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${runtime.apiUrl}${path}`, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const read = async () => (await (await call('GET', '/v1/program')).json()) as { version: number; program: Loose };

const VIP = {
  id: 'gold-welcome',
  name: 'Welcome to Gold',
  segments: ['tier:gold'],
  delayDays: 1,
  rewardId: 'free-shipping',
  once: { every: 'year' },
  message: { subject: { vi: 'Chào mừng {{ customer.first_name }}' }, body: { vi: '<p>Mã: {{ reward.code }}</p>' } },
};

it('refuses a bad flow with 400 naming its field, saves a good one, and [] means no flows', async () => {
  const current = await read();
  expect(current.program.flows).toEqual([expect.objectContaining({ id: 'win-back', segments: expect.any(Array), copy: 'win_back' })]);
  const refused = async (flow: unknown) => {
    const answer = await call('PUT', '/v1/program', { version: current.version, program: { ...current.program, flows: [flow] } });
    expect(answer.status).toBe(400);
    return ((await answer.json()) as { error: { field: string; message: string } }).error;
  };
  expect((await refused({ ...VIP, segments: ['rule:nobody'] })).field).toBe('program.flows[0].segments[0]');
  expect((await refused({ ...VIP, segments: ['champions'] })).field).toBe('program.flows[0].segments[0]');
  expect((await refused({ ...VIP, rewardId: 'no-such-reward' })).field).toBe('program.flows[0].rewardId');
  expect((await refused({ ...VIP, once: { every: 'days' } })).field).toBe('program.flows[0].once.days');
  expect((await refused({ ...VIP, delayDays: 1.5 })).field).toBe('program.flows[0].delayDays');
  expect((await refused({ ...VIP, extra: true })).field).toBe('program.flows[0].extra');
  const variable = await refused({ ...VIP, message: { ...VIP.message, body: { vi: '<p>{{ customer.password }}</p>' } } });
  expect(variable).toMatchObject({ field: 'program.flows[0].message.body.vi', message: expect.stringContaining('customer.password') });
  const script = await refused({ ...VIP, message: { ...VIP.message, body: { vi: '<p>Hi</p><script>alert(1)</script>' } } });
  expect(script).toMatchObject({ field: 'program.flows[0].message.body.vi', message: expect.stringContaining('<script>') });
  // A marketing message needs the shop's postal address in its footer, as a template does.
  expect((await refused(VIP)).field).toBe('brand.address');
  expect((await read()).version).toBe(current.version);

  expect((await call('PATCH', '/v1/shop', { brand: { address: '12 Hàng Bạc, Hoàn Kiếm, Hà Nội' } })).status).toBe(200);
  const saved = await call('PUT', '/v1/program', {
    version: current.version,
    program: { ...current.program, flows: [...current.program.flows, VIP] },
  });
  expect(saved.status, await saved.clone().text()).toBe(200);
  const answer = (await saved.json()) as { version: number; changes: Array<{ path: string; change: string }> };
  expect(answer.changes).toEqual([expect.objectContaining({ path: 'flows[gold-welcome]', change: 'added' })]);
  const stored = await read();
  expect(stored.program.flows[1]).toEqual({ ...VIP, active: true, copy: 'flow', message: { format: 'liquid', ...VIP.message } });

  const none = await call('PUT', '/v1/program', { version: stored.version, program: { ...stored.program, flows: [] } });
  expect(none.status).toBe(200);
  expect((await read()).program.flows).toEqual([]);
});
