import type { z } from 'zod';
import { ValidationError } from '#shared/domain/errors.ts';

/** Parse with a schema; a failure names the first bad field (`order.total`, `[2].eventId`). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? [])
    .map((part) => (typeof part === 'number' ? `[${part}]` : String(part)))
    .join('.')
    .replace(/\.\[/g, '[');
  const field = [prefix, path].filter(Boolean).join(prefix && path.startsWith('[') ? '' : '.') || 'body';
  throw new ValidationError(field, `${field}: ${issue?.message ?? 'invalid'}`);
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('body', 'body is not valid JSON');
  }
}
