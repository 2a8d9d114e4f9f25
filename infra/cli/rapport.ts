/**
 * `rapport <command>` (DESIGN §8): the operators' and analysts' command line. Commands live one per
 * file in `commands/` (`commands/import.ts` is `rapport import`); this file finds them, prints help,
 * and turns errors into exit codes: 2 for a usage error, 1 for a failure, 130 for an interruption.
 * Run through the `rapport` bin (rapport.mjs), `npm run rapport -- …`, or `tsx infra/cli/rapport.ts`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Command, CommandError, EXIT, type Io, UsageError } from './command.ts';

const COMMANDS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'commands');
const NAME = /^[a-z][a-z0-9-]*$/;

export function commandNames(): string[] {
  return readdirSync(COMMANDS_DIR)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.slice(0, -3))
    .filter((name) => NAME.test(name))
    .sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  const file = join(COMMANDS_DIR, `${name}.ts`);
  if (!NAME.test(name) || !existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { default?: Command };
  if (!mod.default || typeof mod.default.run !== 'function') throw new Error(`${file} does not default-export a Command`);
  return mod.default;
}

async function overview(): Promise<string> {
  const names = commandNames();
  const commands = await Promise.all(names.map(async (name) => [name, (await loadCommand(name))?.summary ?? ''] as const));
  const width = Math.max(...names.map((name) => name.length));
  return [
    'Usage: rapport <command> [options]',
    '',
    'Commands:',
    ...commands.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    'Run `rapport <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
) {
  const [name, ...rest] = argv;
  const fail = (message: string, code: number) => {
    io.stderr.write(`rapport: ${message}\n`);
    return code;
  };
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const text = await overview();
      (name === undefined ? io.stderr : io.stdout).write(text);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    const command = await loadCommand(name);
    if (!command) return fail(`unknown command "${name}"; commands: ${commandNames().join(', ')} (rapport --help)`, EXIT.usage);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
      return EXIT.ok;
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) return fail(`${error.message}\nRun \`rapport ${name} --help\` for usage.`, EXIT.usage);
    if (error instanceof CommandError) return fail(error.message, EXIT.failed);
    return fail(`${name} failed: ${(error as Error).stack ?? String(error)}`, EXIT.failed);
  }
}

// `tsx infra/cli/rapport.ts …` (npm run rapport): run when this file is the entry point; the bin imports it instead.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
