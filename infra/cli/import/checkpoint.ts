import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

/**
 * How far an import got: `<dataDir>/imports/<shop>-<key>.json`, where the key hashes the file (path,
 * size, modification time) and the queue it was sent to — a changed file, or the same file sent to
 * another deployment, starts from the beginning. It is written only when every line up to
 * `linesDone` is on the queue (the sender is flushed first), so the counts in it are exactly those
 * of lines 1…linesDone and a resumed run adds its own to them.
 */

const GroupSchema = z.object({ reason: z.string(), count: z.number().int(), lines: z.array(z.number().int()) });

export const CheckpointSchema = z.object({
  version: z.literal(1),
  shopId: z.string(),
  file: z.string(),
  format: z.enum(['csv', 'jsonl']),
  status: z.enum(['running', 'interrupted', 'done']),
  /** Every line up to this one (1-based, header and blank lines included) is on the queue or was rejected. */
  linesDone: z.number().int().min(0),
  counts: z.object({
    events: z.number().int(),
    orders: z.number().int(),
    accepted: z.number().int(),
    ignored: z.number().int(),
    blank: z.number().int(),
  }),
  rejected: z.array(GroupSchema),
  startedAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().optional(),
});

export type Checkpoint = z.infer<typeof CheckpointSchema>;

export interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
}

export function checkpointPath(dataDir: string, shopId: string, file: FileIdentity, queueUrl: string): string {
  const key = createHash('sha256').update([file.path, file.size, file.mtimeMs, queueUrl].join('\u0000')).digest('hex').slice(0, 16);
  return join(dataDir, 'imports', `${shopId}-${key}.json`);
}

/** The checkpoint, or undefined when there is none; one that cannot be read is reported and ignored. */
export function readCheckpoint(path: string, warn: (line: string) => void): Checkpoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return CheckpointSchema.parse(JSON.parse(text));
  } catch {
    warn(`ignoring the unreadable checkpoint ${path}`);
    return undefined;
  }
}

/** Written whole or not at all (rename), readable by the owner only: it names files and shops. */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
