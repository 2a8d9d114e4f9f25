import * as z from 'zod';
import type { Db } from '#shared/data/db.ts';
import { getStoredProgram, putProgramIfVersion } from '#shared/data/program-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { defaultProgram, diffPrograms, ProgramSchema } from '#shared/loyalty/program.ts';

/**
 * GET|PUT /v1/program. A shop that never saved a program runs on the defaults, shown as version 0.
 * A PUT names the version it was edited from; the answer carries the new version and what changed.
 */

export async function readProgram(shop: ShopRecord, db: Db) {
  const stored = await getStoredProgram(db, shop.shopId);
  return stored ?? { version: 0, updatedAt: shop.createdAt, program: defaultProgram(shop) };
}

export const PutProgramSchema = z.object({ version: z.number().int().min(0), program: ProgramSchema });

export async function replaceProgram(shop: ShopRecord, body: unknown, deps: { db: Db; now: () => Date }) {
  const request = parseOrThrow(PutProgramSchema, body);
  const current = await readProgram(shop, deps.db);
  const saved = await putProgramIfVersion(deps.db, shop.shopId, request.version, request.program, deps.now().toISOString());
  return { ...saved, changes: diffPrograms(current.program, saved.program) };
}
