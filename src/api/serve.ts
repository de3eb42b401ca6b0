// Starts the API on a TCP port for the node runtime. reusePort is off so a port clash fails loudly
// instead of two processes silently sharing it; Bun's own body bound backs up the app's. What Bun
// refuses itself, before any request reaches the app (431, 505, a body declared past its bound,
// an unparsable request, an unknown method), it answers without a body or not at all; the
// README's REST section lists those.
import { MAX_WAIT_MS } from "../metadata/limits.ts";
import type { YaktApp } from "./app.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

/** Bun's hard bound sits a little above the app's, so an oversized body still gets the app's JSON 413. */
const BUN_BODY_SLACK = 64 * 1024;
/** A long poll is silent for up to MAX_WAIT_MS; the idle cut-off must outlast it (Bun caps it at 255 s). */
export const IDLE_TIMEOUT_S = Math.ceil(MAX_WAIT_MS / 1000) + 15;

/** PEM texts: the server's certificate and key, and the CA client certificates must chain to. */
export interface TlsMaterial {
  cert: string;
  key: string;
  clientCa: string | null;
}

export interface ServeOptions {
  hostname: string;
  port: number;
  maxRequestBodySize?: number;
  /** HTTPS only (plain HTTP to the port fails the TLS handshake); with clientCa, mTLS. */
  tls?: TlsMaterial | null;
}

function bunTls(tls: TlsMaterial) {
  if (tls.clientCa === null) return { cert: tls.cert, key: tls.key };
  return { cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: true };
}

export function serveApi(app: YaktApp, { hostname, port, maxRequestBodySize = DEFAULT_LIMITS.maxBodyBytes + BUN_BODY_SLACK, tls = null }: ServeOptions): YaktApp {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`API port must be 0..65535, got ${port}`);
  // development: false keeps Bun's own error pages (with stacks) out of answers.
  const options = { hostname, port, reusePort: false, maxRequestBodySize, idleTimeout: IDLE_TIMEOUT_S, development: false };
  return app.listen(tls ? { ...options, tls: bunTls(tls) } : options);
}

/**
 * New TLS material without a restart: Bun cannot swap a listener's certificate, so the old
 * listener stops accepting (its requests in flight finish) and a new one takes the same port at
 * once; a client connecting in that instant is refused and retries.
 */
export function relistenApi(app: YaktApp, tls: TlsMaterial, options: Omit<ServeOptions, "tls" | "port">): YaktApp {
  const old = app.server;
  if (!old) throw new Error("the API is not listening");
  const port = old.port ?? 0;
  void old.stop(false);
  return serveApi(app, { ...options, port, tls });
}
