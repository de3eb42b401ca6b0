// One request of the fast routes' conformance suite (test/api/fast-routes.test.ts): what is sent,
// which fast route's handler gets it, and the status (and error code) both paths must answer.
import type { FastMethod } from "../../../src/api/fast-route.ts";

export interface Case {
  name: string;
  method: string;
  /** Path and query string. */
  path: string;
  /** The fast route whose handler gets the request: its template, and its method when that differs from the request's. */
  route: string;
  via?: FastMethod;
  body?: string | Uint8Array | (() => ReadableStream<Uint8Array>);
  headers?: Record<string, string>;
  /** Send no Content-Type at all. */
  untyped?: boolean;
  status: number;
  error?: string;
}

/** The cases of one route: named `label: …`, with its method and path unless a case gives its own. */
export function casesOf(label: string, method: string, path: string, route: string) {
  return (name: string, rest: Omit<Case, "name" | "method" | "path" | "route"> & { method?: string; path?: string }): Case => ({ name: `${label}: ${name}`, method, path, route, ...rest });
}

/** A body of more than 1 MiB sent chunked, with no Content-Length to refuse it early. */
export const chunkedHuge = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
      for (let i = 0; i < 17; i++) controller.enqueue(chunk);
      controller.close();
    },
  });

/** A fresh Request for the case (a body stream is read once). */
export function request(c: Case): Request {
  const headers: Record<string, string> = { ...(c.untyped ? {} : { "content-type": "application/json" }), ...c.headers };
  const body = typeof c.body === "function" ? c.body() : c.body;
  return new Request(`http://localhost${c.path}`, { method: c.method, headers, body });
}
