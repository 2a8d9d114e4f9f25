#!/usr/bin/env node
/**
 * The `rapport` bin: registers tsx's loader in this process and runs rapport.ts, so the command
 * line uses the project's TypeScript sources as they are, with no build step and no second
 * process (Ctrl-C reaches the command itself). The exit code is the command's.
 */
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./rapport.ts');
process.exitCode = await main(process.argv.slice(2));
