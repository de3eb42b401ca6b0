// Sends one request through app.handle (no socket) and reads the answer as JSON when it is JSON.
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

interface Handles {
  handle(request: Request): Promise<Response>;
}

export async function send(app: Handles, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const response = await app.handle(new Request(`http://localhost${path}`, init));
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text !== "" && (response.headers.get("content-type") ?? "").includes("json")) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text };
}
