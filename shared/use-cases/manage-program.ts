import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Db } from '#shared/data/db.ts';
import {
  getProgramVersion,
  getStoredProgram,
  keepProgramVersion,
  listProgramVersions,
  putProgramIfVersion,
} from '#shared/data/program-repo.ts';
import { MAX_PROGRAM_CHANGES, putShopActivity } from '#shared/data/shop-activity-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { brandProblems, FLOW_VARIABLES, validateShopMessage } from '#shared/email/shop-template.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { defaultProgram, diffPrograms, ProgramSchema } from '#shared/loyalty/program.ts';
import { refuseProblems } from '#shared/use-cases/manage-email-templates.ts';
import { keyIdOf } from '#shared/use-cases/manage-shop.ts';

/**
 * GET|PUT /v1/program. A shop that never saved a program runs on the defaults, shown as version 0.
 * A PUT names the version it was edited from; the answer carries the new version and what changed.
 */

export async function readProgram(shop: ShopRecord, db: Db) {
  const stored = await getStoredProgram(db, shop.shopId);
  return stored ?? { version: 0, updatedAt: shop.createdAt, program: defaultProgram(shop) };
}

export const PutProgramSchema = z.object({ version: z.number().int().min(0), program: ProgramSchema });

/**
 * A save also goes on the shop's activity (`program.updated`, by the acting key, with the changed
 * fields as the diff names them: `activities[survey].points`, `bonuses[tet-week]` added).
 */
export async function replaceProgram(shop: ShopRecord, body: unknown, deps: { db: Db; now: () => Date }, apiKey: string) {
  const request = parseOrThrow(PutProgramSchema, body);
  // A flow's own message is checked as a template is: its variables, its HTML, the brand's address.
  request.program.flows?.forEach((flow, i) => {
    if (flow.message)
      refuseProblems(
        [...validateShopMessage(flow.message, FLOW_VARIABLES), ...brandProblems(shop.brand, FLOW_VARIABLES)],
        `program.flows[${i}].message`,
      );
  });
  const current = await readProgram(shop, deps.db);
  // The version being replaced joins the history (the defaults, version 0, were never saved).
  if (current.version > 0 && current.version === request.version) await keepProgramVersion(deps.db, shop.shopId, current);
  const saved = await putProgramIfVersion(deps.db, shop.shopId, request.version, request.program, deps.now().toISOString());
  const changes = diffPrograms(current.program, saved.program);
  if (changes.length > 0) {
    const listed = changes.slice(0, MAX_PROGRAM_CHANGES).map(({ path, from, to }) => ({
      field: path,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    }));
    await putShopActivity(deps.db, shop.shopId, {
      at: saved.updatedAt,
      entryId: randomUUID(),
      action: 'program.updated',
      by: keyIdOf(apiKey),
      version: saved.version,
      changes: listed,
      ...(changes.length > MAX_PROGRAM_CHANGES ? { more: changes.length - MAX_PROGRAM_CHANGES } : {}),
    });
  }
  return { ...saved, changes };
}

export const VersionsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** The oldest version of the previous page: the page holds the versions before it. */
  before: z.coerce.number().int().min(1).optional(),
});

/**
 * GET /v1/program/versions?limit=&before=: the program's versions newest first — the current one
 * (with the page that starts the list), then every one a save replaced — without their documents.
 */
export async function programVersions(shop: ShopRecord, query: Record<string, string | undefined>, db: Db) {
  const { limit, before } = parseOrThrow(VersionsQuerySchema, query, 'query');
  const current = before === undefined ? await getStoredProgram(db, shop.shopId) : undefined;
  const head = current ? [{ version: current.version, updatedAt: current.updatedAt, current: true }] : [];
  const page = await listProgramVersions(db, shop.shopId, limit - head.length || 1, before ?? current?.version);
  const items = [...head, ...page.items.map((item) => ({ ...item, current: false }))].slice(0, limit);
  const oldest = items.at(-1)?.version;
  return { items, ...(page.more && oldest !== undefined ? { before: oldest } : {}) };
}

/** GET /v1/program/versions/{version}: one version whole, with what changed from it to the current program. */
export async function programVersion(shop: ShopRecord, version: unknown, db: Db) {
  const number = parseOrThrow(z.coerce.number().int().min(1).max(99_999_999), version, 'version');
  const current = await readProgram(shop, db);
  const found = number === current.version ? current : await getProgramVersion(db, shop.shopId, number);
  if (!found) throw new NotFoundError(`no version ${number} of the program`);
  return { ...found, current: found.version === current.version, changesToCurrent: diffPrograms(found.program, current.program) };
}
