import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ShopIdSchema } from '#shared/domain/event.ts';

/**
 * The contract of a `rapport` command. Each command is one module in `commands/`, default-exporting
 * a Command; rapport.ts finds it by file name, so adding a command is adding one file. A command
 * module keeps its top level light (its help is read for `rapport --help`) and imports what it
 * needs to do its work inside `run`.
 */

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  /** One line for `rapport --help`. */
  summary: string;
  /** The full text of `rapport <command> --help`. */
  help: string;
  /** Resolves to the exit code: 0 done, 1 failed, 2 usage error, 130 interrupted. */
  run(argv: string[], io: Io): Promise<number>;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The command was called wrongly: exit code 2, with the message and a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The work could not be done (no runtime, unknown shop, the queue refused): exit code 1, message only. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** node:util parseArgs, with its errors turned into UsageErrors that name the option. */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message);
    throw error;
  }
}

/** A non-negative integer option, or a UsageError naming it. */
export function integerOption(
  name: string,
  value: string | undefined,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return Number(value);
}

/** The shop id of `--shop <id>`, or a UsageError. */
export function shopOption(value: string | undefined): string {
  if (!value || !ShopIdSchema.safeParse(value).success) throw new UsageError('--shop <id> is required (a shop id)');
  return value;
}

/** Where the command works (the local runtime or AWS) and the shop it works on there; a CommandError when there is no such shop. */
export async function targetShop(shopId: string, io: Io) {
  const { resolveTarget } = await import('./target.ts');
  const { loadShop } = await import('#shared/deps.ts');
  const target = resolveTarget(io.env, io.cwd);
  const shop = await loadShop(shopId);
  if (!shop) throw new CommandError(`no shop ${shopId} on ${target.description}`);
  return { target, shop };
}
