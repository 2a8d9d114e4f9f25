import type { z } from 'zod';
import { ValidationError } from '#shared/domain/errors.ts';

/**
 * Parse with a schema; a failure names the first bad field (`order.total`, `[2].eventId`) and lists
 * every one in `fields`.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationErrorOf(result.error.issues, prefix);
}

/** The issues of a failed parse as one ValidationError, each field named under `prefix`. */
export function validationErrorOf(issues: readonly z.core.$ZodIssue[], prefix = ''): ValidationError {
  const fields = issues.map((issue) => ({ field: fieldOf(issue, prefix), message: issue.message }));
  const first = fields[0] ?? { field: prefix || 'body', message: 'invalid' };
  return new ValidationError(first.field, `${first.field}: ${first.message}`, fields);
}

function fieldOf(issue: z.core.$ZodIssue, prefix: string): string {
  // A key a strict object does not take is named itself, not the object that holds it.
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
  const path = formatPath([...issue.path, ...keys]);
  return [prefix, path].filter(Boolean).join(prefix && path.startsWith('[') ? '' : '.') || 'body';
}

/**
 * Deeper than any body this API takes: a program's segment rules, the deepest, reach about 30
 * levels. JSON.parse copes with any depth, but what reads the value next recurses (zod's schemas,
 * JSON.stringify) and a body nested thousands deep overflows the stack there; so the depth is
 * checked here, without recursion, before any schema sees the body.
 */
export const MAX_JSON_DEPTH = 64;

export function parseJson(body: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('body', 'body is not valid JSON');
  }
  checkJsonDepth(value, MAX_JSON_DEPTH);
  return value;
}

interface Visit {
  node: unknown;
  key: string | number;
  parent: Visit | undefined;
  depth: number;
}

/** Throws, naming the first object or array found nested deeper than `max` (`a.b[2].c`). */
export function checkJsonDepth(value: unknown, max: number): void {
  const stack: Visit[] = [{ node: value, key: '', parent: undefined, depth: 1 }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const { node, depth } = visit;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) {
      const field = pathOf(visit);
      throw new ValidationError(field, `${field}: nested deeper than ${max} levels`);
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(node) ? [...node.entries()] : Object.entries(node);
    for (const [key, child] of entries) stack.push({ node: child, key, parent: visit, depth: depth + 1 });
  }
}

function pathOf(visit: Visit): string {
  const keys: Array<string | number> = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) keys.unshift(at.key);
  return formatPath(keys) || 'body';
}

/** `['order', 'lines', 2, 'sku']` → `order.lines[2].sku`. */
function formatPath(keys: readonly PropertyKey[]): string {
  return keys
    .map((part) => (typeof part === 'number' ? `[${part}]` : String(part)))
    .join('.')
    .replace(/\.\[/g, '[');
}
