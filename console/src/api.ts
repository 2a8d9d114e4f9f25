/**
 * The one way the console talks to the API: `Authorization: Bearer <key>` on every call, errors as
 * ApiError (the API's `{"error": {"code", "message", "field"?, "fields"?}}`). A 401 means the key is no longer
 * good: the session ends and the sign-in page says why. Where the API is comes from /config.json,
 * read once at start (main.tsx): `{}` locally, where the runtime serves both (same origin), and
 * `{"apiUrl": "https://…"}` on AWS, where the console is on CloudFront and the API on API Gateway.
 */

let apiBase = '';

/** The API's base URL ('' for the console's own origin), from /config.json. */
export function setApiBase(url: string | undefined): void {
  apiBase = (url ?? '').replace(/\/+$/, '');
}

/** Reads /config.json; a console without one (or with a bad one) talks to its own origin. */
export async function loadConfig(): Promise<void> {
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    const config = response.ok ? ((await response.json()) as { apiUrl?: unknown }) : {};
    setApiBase(typeof config.apiUrl === 'string' ? config.apiUrl : undefined);
  } catch {
    setApiBase(undefined);
  }
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Every field a 400 refused, each with its own message (`field` is the first). */
    readonly fields?: ReadonlyArray<{ field: string; message: string }>,
  ) {
    super(message);
  }
}

/** A route this server does not have yet (404 without Rapport's error, or `not_found` naming no route). */
export const isMissingRoute = (error: unknown) =>
  error instanceof ApiError && (error.status === 404 || error.status === 405) && /^No route|^Not Found/.test(error.message);

type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options?: RequestOptions): Promise<T>;
  /** A body as text with its headers (an email preview, a CSV). */
  raw(path: string, query?: Query): Promise<{ text: string; headers: Headers }>;
}

export const withQuery = (path: string, query: Query = {}) => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
};

export function createApi(key: string, onUnauthorized: (error: ApiError) => void): Api {
  const call = async (method: string, path: string, options: RequestOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(apiBase + withQuery(path, options.query), {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'network', 'The API did not answer. Is Rapport running?');
    }
    if (response.ok) return response;
    const error = await errorOf(response);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  };
  return {
    async get<T>(path: string, query?: Query) {
      return (await (await call('GET', path, query ? { query } : {})).json()) as T;
    },
    async send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options?: RequestOptions) {
      const response = await call(method, path, options);
      const text = await response.text();
      return (text ? JSON.parse(text) : {}) as T;
    },
    async raw(path: string, query?: Query) {
      const response = await call('GET', path, query ? { query } : {});
      return { text: await response.text(), headers: response.headers };
    },
  };
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as {
      error?: { code?: string; message?: string; field?: string; fields?: Array<{ field: string; message: string }> };
      message?: string;
    };
    return new ApiError(
      response.status,
      body.error?.code ?? `http_${response.status}`,
      body.error?.message ?? body.message ?? response.statusText,
      body.error?.field,
      Array.isArray(body.error?.fields) ? body.error.fields : undefined,
    );
  } catch {
    return new ApiError(response.status, `http_${response.status}`, text.slice(0, 200) || response.statusText);
  }
}

/** Saves a body the API answered as a file (the export, a CSV): the key travels in a header, so a plain link cannot. */
export function download(text: string, type: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
