import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { delimiter, resolve } from 'node:path';

/**
 * `npm start` as a process, for the e2e tests: started the way a user or a supervisor starts it,
 * read until its ready line, its process tree known so a test can check that nothing outlives it,
 * and everything it started killed at the end whatever happened.
 */

/**
 * A free port below Linux's ephemeral range (32768–60999), where the other test projects running
 * beside this one take their sockets: a port picked there could be taken before npm start binds it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 10_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(candidate, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return candidate;
    }
  }
}

export interface LocalProcessOptions {
  port: number;
  dataDir: string;
  /**
   * `npm`: `npm start` itself, in a process group of its own, as a terminal or a supervisor runs it.
   * `script`: the start script's command under `sh -c` as npm runs it, without npm in between, so
   * the child's signals and exit code are the runtime's own.
   */
  via: 'npm' | 'script';
  env?: Record<string, string>;
}

export interface LocalProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The ready line's URL; throws with the output if the process exits first or takes over 60 s. */
  ready(): Promise<string>;
  /** Resolves with the child's exit once every holder of its stdout and stderr (the runtime) has gone. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The child and its descendants now, each as pid and start time (a pid alone may be reused). */
  tree(): ProcessId[];
  /** SIGKILL to whatever of `known` and the child's group is still alive; resolves once they are gone. */
  kill(known?: ProcessId[]): Promise<void>;
}

export interface ProcessId {
  pid: number;
  startTime: string;
}

export function startLocalProcess(options: LocalProcessOptions): LocalProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(options.port),
    RAPPORT_DATA_DIR: options.dataDir,
    RAPPORT_ADMIN_KEY: 'e2e-admin-key-123',
    LOG_LEVEL: 'WARN',
    ...options.env,
  };
  const script = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string;
  const child =
    options.via === 'npm'
      ? spawn('npm', ['start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', script], {
          env: { ...env, PATH: `${resolve('node_modules', '.bin')}${delimiter}${env.PATH ?? ''}` },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const groupId = options.via === 'npm' ? child.pid : undefined;
  const running = () => child.exitCode === null && child.signalCode === null;
  // Only from a live child: once it has gone, its pid may be someone else's.
  const tree = () => (child.pid === undefined || !running() ? [] : descendantsOf(child.pid));

  return {
    child,
    output: () => output,
    closed,
    async ready() {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const match = /Rapport is running at (http:\/\/127\.0\.0\.1:\d+)\s*$/.exec(output);
        if (match) return match[1]!;
        if (!running()) {
          throw new Error(`npm start exited ${child.exitCode ?? child.signalCode}:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no ready line within 60 s:\n${output}`);
    },
    tree,
    async kill(known = []) {
      const targets = [...known, ...tree()];
      for (const id of targets) if (isAlive(id)) sigkill(id.pid);
      if (groupId !== undefined) sigkill(-groupId);
      else if (running()) child.kill('SIGKILL');
      // The next start on the same data directory must not find the lock of a runtime still dying, nor
      // of an orphan's zombie its new parent has not reaped yet: the lock counts that pid as alive.
      await waitFor('killed processes to go', async () => (targets.some(exists) ? undefined : true), 10_000);
    },
  };
}

/** A pid (or, negative, a process group) that may have gone since it was looked at: ESRCH is fine. */
function sigkill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// After the command name: state, ppid, …; the start time is field 22 of the whole line.
const PPID = 1;
const START_TIME = 19;

function descendantsOf(root: number): ProcessId[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    const fields = Number.isInteger(pid) ? statFields(pid) : undefined;
    if (fields) parents.set(pid, Number(fields[PPID]));
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree].flatMap((pid) => {
    const startTime = statFields(pid)?.[START_TIME];
    return startTime === undefined ? [] : [{ pid, startTime }];
  });
}

function exists(id: ProcessId): boolean {
  return statFields(id.pid)?.[START_TIME] === id.startTime;
}

/** Alive and not a zombie: an exited child its parent has not reaped yet is gone for our purposes. */
export function isAlive(id: ProcessId): boolean {
  const fields = statFields(id.pid);
  return fields !== undefined && fields[START_TIME] === id.startTime && fields[0] !== 'Z';
}

/** `pid state command line`, for a failure message. */
export function describeProcess(id: ProcessId): string {
  const command = readFileSync(`/proc/${id.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  return `${id.pid} ${statFields(id.pid)?.[0] ?? '?'} ${command}`;
}

/** True when nothing accepts a TCP connection on 127.0.0.1:port. */
export function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
    socket.connect(port, '127.0.0.1');
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
