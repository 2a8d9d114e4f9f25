import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { resetConfig } from '#shared/config.ts';
import { silenceStdout } from './quiet.ts';

/** The answer's JSON, or an error naming the request when the status is not the one expected. */
export async function expectJson(res: Response, status: number, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
}

/**
 * `npm start`'s engine in memory (dynalite and the consumers on their threads, fauxqs), quiet, with
 * one shop created over HTTP as an operator would; stopped, and the environment it set restored,
 * whatever `work` does.
 */
export async function withLocalShop<T>(
  shop: { shopId: string; secrets?: { generic?: string } },
  work: (local: { runtime: Runtime; apiKey: string }) => Promise<T>,
): Promise<T> {
  const savedEnv = { ...process.env };
  let runtime: Runtime | undefined;
  try {
    return await silenceStdout(async () => {
      runtime = await startRuntime({ port: 0, dataDir: null, dynamodb: 'dynalite', log: () => undefined });
      const created = await expectJson(
        await fetch(`${runtime.apiUrl}/admin/shops`, {
          method: 'POST',
          headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Bench Tea House', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN', ...shop }),
        }),
        201,
        'POST /admin/shops',
      );
      return work({ runtime, apiKey: created.apiKey as string });
    });
  } finally {
    await runtime?.stop();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    resetConfig();
  }
}
