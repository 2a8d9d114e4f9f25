import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DynamoEngine } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { runRapport } from '#test/support/cli.ts';

/** `rapport program apply` as an operator runs it: a readable diff, then the next version; a bad document named by path. */

let runtime: Runtime;
let dataDir: string;

const rapport = (args: string[]) => runRapport(args, dataDir);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-program-'));
  runtime = await startRuntime({
    port: 0,
    dataDir,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    log: () => undefined,
  });
  const runtimeFile = join(dataDir, 'runtime.json');
  if (!existsSync(runtimeFile)) {
    writeFileSync(
      runtimeFile,
      JSON.stringify({
        pid: process.pid,
        apiUrl: runtime.apiUrl,
        tableName: runtime.tableName,
        endpoints: runtime.endpoints,
        queues: runtime.queues,
      }),
      { mode: 0o600 },
    );
  }
  const created = await fetch(`${runtime.apiUrl}/admin/shops`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.adminKey}` },
    body: JSON.stringify({ shopId: 'cli-program', name: 'Trà Việt', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('shows, diffs and applies a program, and refuses an invalid one with the path of the bad field', async () => {
  const shown = await rapport(['program', 'show', '--shop', 'cli-program']);
  expect(shown.code).toBe(0);
  const current = JSON.parse(shown.stdout) as {
    version: number;
    program: { tiers: { levels: Array<{ threshold: number }> }; points: { birthdayBonus: number } };
  };
  expect(current.version).toBe(0);

  current.program.tiers.levels[1]!.threshold = 4;
  current.program.points.birthdayBonus = 200;
  writeFileSync(join(dataDir, 'program.json'), JSON.stringify(current));
  const dry = await rapport(['program', 'apply', '--shop', 'cli-program', '--dry-run', 'program.json']);
  expect(dry.stdout).toContain('~ tiers.levels[1].threshold: 3 → 4');
  expect(dry.stdout).toContain('~ points.birthdayBonus: 100 → 200');
  expect(dry.stdout).toContain('Dry run: nothing applied.');

  const applied = await rapport(['program', 'apply', '--shop', 'cli-program', 'program.json']);
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain('Applied: version 1.');
  expect((await rapport(['program', 'apply', '--shop', 'cli-program', 'program.json'])).stdout).toContain('no changes');

  current.program.tiers.levels[2]!.threshold = 2;
  writeFileSync(join(dataDir, 'bad.json'), JSON.stringify(current.program));
  const bad = await rapport(['program', 'apply', '--shop', 'cli-program', 'bad.json']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('tiers.levels[2].threshold');
  expect(JSON.parse((await rapport(['program', 'show', '--shop', 'cli-program'])).stdout).version).toBe(1);
  expect((await rapport(['program', 'apply', 'x.json'])).code).toBe(2);
});
