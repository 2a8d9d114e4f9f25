import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FunctionSpec } from '#functions/triggers.ts';
import type { AnyHandler } from './lambda.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Imports a function's entry, as Lambda would, and returns its `handler`. */
export async function loadHandler(spec: Pick<FunctionSpec, 'entry'>): Promise<AnyHandler> {
  const mod = (await import(pathToFileURL(resolve(repoRoot, spec.entry)).href)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') throw new Error(`${spec.entry} does not export a handler function`);
  return mod.handler as AnyHandler;
}
