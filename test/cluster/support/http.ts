// HTTP calls of the cluster tests: every call bounded by a timeout; network failures come back as
// status 0 so callers can retry on another node.

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** What a client adds to every call: headers (a Bearer token) and TLS options (a CA, a client certificate). */
export interface HttpClientOptions {
  headers?: Record<string, string>;
  tls?: { ca?: string; cert?: string; key?: string };
}

export async function http(method: string, url: string, body?: unknown, timeoutMs = 3_000, client: HttpClientOptions = {}): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, {
      method,
      tls: client.tls,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...client.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. /metrics): keep the text
    }
    return { status: res.status, body: parsed };
  } catch {
    return { status: 0, body: null };
  }
}
