/** Everything the page asks of the monitor service (same origin: the page never leaves :8010). */

let token: string | null = sessionStorage.getItem('sluice-token');

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Nothing answered: the monitor (and with it the lab) is stopped or out of reach. */
export class Unreachable extends HttpError {
  constructor() {
    super(0, 'the lab is unreachable: no answer from its monitor (is "sluice lab" still running?)');
  }
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token && method === 'POST') headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    // fetch rejects (a bare "Failed to fetch") only when nothing answered at all.
    throw new Unreachable();
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  if (!res.ok) {
    const msg = (json as { message?: string } | null)?.message ?? `${res.status} ${res.statusText}`;
    throw new HttpError(res.status, msg);
  }
  return json as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {});

export function setToken(t: string | null): void {
  token = t;
  if (t) sessionStorage.setItem('sluice-token', t);
  else sessionStorage.removeItem('sluice-token');
}
