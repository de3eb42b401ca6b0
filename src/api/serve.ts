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

export interface ServeOptions {
  hostname: string;
  port: number;
  maxRequestBodySize?: number;
}

export function serveApi(app: YaktApp, { hostname, port, maxRequestBodySize = DEFAULT_LIMITS.maxBodyBytes + BUN_BODY_SLACK }: ServeOptions): YaktApp {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`API port must be 0..65535, got ${port}`);
  // development: false keeps Bun's own error pages (with stacks) out of answers.
  return app.listen({
    hostname,
    port,
    reusePort: false,
    maxRequestBodySize,
    idleTimeout: IDLE_TIMEOUT_S,
    development: false,
  });
}
