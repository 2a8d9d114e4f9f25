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

const programs = cachedLoader(async (shopId) => {
  const stored = await getStoredProgram(db(), shopId);
  if (stored) return stored.program;
  const shop = await shopSettings(shopId);
  // Every caller has checked the shop already; one gone since (erased meanwhile) gets no program
  // rather than a made-up one: the request is refused, the event fails and is dropped on its retry.
  if (!shop) throw new UnauthorizedError(`shop ${shopId} is unknown or erased`);
  return defaultProgram(shop);
});
onCacheReset(() => programs.clear());

/** The shop's loyalty program: the saved one, or the defaults for its currency. */
export const loadProgram = async (shopId: string): Promise<Program> => (await programs.get(shopId)) as Program;

export const processDeps = () => ({
  db: db(),
  now,
  phoneRegion: async (shopId: string) => regionOfLocale((await shopSettings(shopId))?.locale),
  program: loadProgram,
  shopExists,
});
