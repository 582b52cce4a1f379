// The runbox API as the page calls it: same origin, the key from the page's key field as a
// Bearer header (as access_token on a WebSocket, where a browser cannot set headers).

export interface ApiReply<T> {
  ok: boolean;
  status: number;
  body: T;
}

/** An error answer of the API: Fastify's shape plus a stable code. */
export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

export const describeError = (reply: ApiReply<unknown>) => {
  const body = reply.body as Partial<ApiErrorBody> | undefined;
  return body?.code ? `${reply.status} ${body.code}: ${body.message}` : `${reply.status} ${String(reply.body ?? '')}`;
};

export function createApi(key: () => string) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<ApiReply<T>> {
    const headers: Record<string, string> = {};
    if (key()) headers.authorization = `Bearer ${key()}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { ok: response.ok, status: response.status, body: parsed as T };
  }

  /** A WebSocket URL on this origin for `path`, with the key where one is set. */
  function socketUrl(path: string, query: Record<string, string> = {}): string {
    const url = new URL(path, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    if (key()) url.searchParams.set('access_token', key());
    return url.toString();
  }

  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
    delete: <T>(path: string) => call<T>('DELETE', path),
    socketUrl,
  };
}

export type Api = ReturnType<typeof createApi>;
