// HTTP calls of the cluster tests: every call bounded by a timeout; network failures come back as
// status 0 so callers can retry on another node.

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export async function http(method: string, url: string, body?: unknown, timeoutMs = 3_000, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
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
