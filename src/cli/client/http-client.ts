// The one place the client commands talk HTTP: it builds every request's headers and fetch
// options (the token and CA hooks live here), bounds each call, and turns an unreachable server or
// a 4xx/5xx into a ClientError carrying the server's JSON error message.
import { ClientError } from "../cli-errors.ts";
import type { ClientOptions } from "./client-options.ts";

/** Bound on one request; a snapshot download is bounded per read instead (see openStream). */
export const REQUEST_TIMEOUT_MS = 30_000;

export class HttpClient {
  constructor(private readonly options: ClientOptions) {}

  get server(): string {
    return this.options.server;
  }

  async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.send(method, path, body, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new ClientError(`${method} ${path}: the server answered ${res.status} with a body that is not JSON`);
    }
  }

  /** A response whose body the caller streams; it must consume or cancel it. */
  async stream(method: string, path: string, signal: AbortSignal): Promise<Response> {
    return this.send(method, path, undefined, signal);
  }

  private async send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.options.server}${path}`, { method, ...this.requestInit(body), signal });
    } catch (e) {
      const why = (e as Error).name === "TimeoutError" ? `no answer within ${REQUEST_TIMEOUT_MS} ms` : (e as Error).message;
      throw new ClientError(`cannot reach ${this.options.server} (${method} ${path}): ${why}`);
    }
    if (res.ok) return res;
    throw new ClientError(`${method} ${path}: ${res.status} ${await errorMessage(res)}`);
  }

  /** Headers and TLS options of every request. */
  private requestInit(body: unknown): RequestInit {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.options.token !== null) headers.authorization = `Bearer ${this.options.token}`;
    const init: RequestInit & { tls?: { ca: ReturnType<typeof Bun.file> } } = {
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    };
    if (this.options.cacert !== null) init.tls = { ca: Bun.file(this.options.cacert) };
    return init;
  }
}

/** The message of API.md's `{error, message}` body, else the start of whatever came back. */
async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.message === "string") return `${String(body.error ?? "error")}: ${body.message}`;
  } catch {
    // not JSON: show the text itself
  }
  return text.slice(0, 200) || res.statusText;
}
