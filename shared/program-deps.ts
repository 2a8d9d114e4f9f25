import { getStoredProgram } from '#shared/data/program-repo.ts';
import { cachedLoader, db, loadShop, now, onCacheReset } from '#shared/deps.ts';
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
  const shop = await loadShop(shopId);
  return defaultProgram(shop ?? { currency: 'USD', name: shopId });
});
onCacheReset(() => programs.clear());

/** The shop's loyalty program: the saved one, or the defaults for its currency. */
export const loadProgram = async (shopId: string): Promise<Program> => (await programs.get(shopId)) as Program;

export const processDeps = () => ({
  db: db(),
  now,
  phoneRegion: async (shopId: string) => regionOfLocale((await loadShop(shopId))?.locale),
  program: loadProgram,
});
