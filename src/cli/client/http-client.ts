// The one place the client commands talk HTTP: it builds every request's headers and fetch
// options (the Bearer token, the CA and the client certificate), bounds each call, and turns an
// unreachable server or a 4xx/5xx into a ClientError carrying the server's JSON error message.
import { readFileSync } from "node:fs";
import { ClientError } from "../cli-errors.ts";
import type { ClientOptions } from "./client-options.ts";

interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** A PEM file is small; a larger one is a wrong path. */
const MAX_PEM_BYTES = 1 << 20;

/** Bound on one request; a snapshot download is bounded per read instead (see openStream). */
export const REQUEST_TIMEOUT_MS = 30_000;

export class HttpClient {
  /** Read once, before any request: a wrong path fails naming the flag, not as a TLS error. */
  private readonly tls: ClientTls | null;

  constructor(private readonly options: ClientOptions) {
    this.tls = readClientTls(options);
  }

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
    const init: RequestInit & { tls?: ClientTls } = {
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    };
    if (this.tls !== null) init.tls = this.tls;
    return init;
  }
}

function readClientTls(options: ClientOptions): ClientTls | null {
  const tls: ClientTls = {};
  if (options.cacert !== null) tls.ca = readPem(options.cacert, "--cacert", /-----BEGIN CERTIFICATE-----/);
  if (options.cert !== null) tls.cert = readPem(options.cert, "--cert", /-----BEGIN CERTIFICATE-----/);
  if (options.key !== null) tls.key = readPem(options.key, "--key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  return Object.keys(tls).length === 0 ? null : tls;
}

function readPem(path: string, flag: string, header: RegExp): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ClientError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
  if (text.length > MAX_PEM_BYTES || !header.test(text)) throw new ClientError(`${flag}: ${path} is not a PEM file of the expected kind`);
  return text;
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
