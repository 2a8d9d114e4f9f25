import { getStoredProgram } from '#shared/data/program-repo.ts';
import { cachedLoader, db, now, onCacheReset, shopExists, shopSettings } from '#shared/deps.ts';
import { UnauthorizedError } from '#shared/domain/errors.ts';
import { regionOfLocale } from '#shared/domain/identity.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';

/**
 * The wiring of the loyalty program, apart from deps.ts: the program's schema (with the rule
 * segments it validates) is loaded only by the functions that read programs, not by the webhook
 * or the plain reads, whose cold start it would only lengthen.
 */

const readProgram = async (shopId: string) => {
  const stored = await getStoredProgram(db(), shopId);
  if (stored) return stored.program;
  const shop = await shopSettings(shopId);
  // Every caller has checked the shop already; one gone since (erased meanwhile) gets no program
  // rather than a made-up one: the request is refused, the event fails and is dropped on its retry.
  if (!shop) throw new UnauthorizedError(`shop ${shopId} is unknown or erased`);
  return defaultProgram(shop);
};
const programs = cachedLoader(readProgram);
onCacheReset(() => programs.clear());

/**
 * The shop's loyalty program: the saved one, or the defaults for its currency — as this container
 * last read it (30 s at most): the processor's view, where an order applied under the rules of a
 * few seconds ago is what the shop expects of a change that is not retroactive anyway.
 */
export const loadProgram = async (shopId: string): Promise<Program> => (await programs.get(shopId)) as Program;

/**
 * The program read afresh (strongly consistent), for what must follow a save at once whatever
 * container made it — a redemption (the catalog the shop just edited), a scheduled run (the rule
 * segments just saved) — and put in the cache. Cost: the program item's read (1–3 read units).
 */
export const loadFreshProgram = async (shopId: string): Promise<Program> => {
  const program = await readProgram(shopId);
  programs.put(shopId, program);
  return program;
};

export const processDeps = () => ({
  db: db(),
  now,
  phoneRegion: async (shopId: string) => regionOfLocale((await shopSettings(shopId))?.locale),
  program: loadProgram,
  shopExists,
  timeZone: async (shopId: string) => (await shopSettings(shopId))?.timezone,
  currency: async (shopId: string) => (await shopSettings(shopId))?.currency,
  freshProgram: loadFreshProgram,
});
