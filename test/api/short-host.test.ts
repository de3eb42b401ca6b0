// A Host header shorter than Elysia assumes, over a real listening node and raw sockets. Elysia
// finds a URL's path with `url.indexOf("/", 11)`: with `Host: x`, `ab` or `abc` (request.url
// "http://x/zz/v1/topics/victim") it dropped the first path segment, so DELETE
// /zz/v1/topics/victim deleted topic victim (with no audit line: the guard saw the real path) and
// every query form of a fast route, handed on to Elysia, answered a self-contradicting 405. With no
// Host at all (HTTP/1.0) request.url is the bare path, and Elysia misread that too. Each request
// here must be answered as the same request with the node's own address as Host: the path served
// is the path sent, and the audit line names it (src/api/http-hooks.ts, plainTarget).
import { afterEach, expect, test } from "bun:test";
import type { YaktApp } from "../../src/api/app.ts";
import { rawRequest } from "./support/http-fuzz.ts";
import { seededListener } from "./support/seeded-listener.ts";

const started: YaktApp[] = [];
afterEach(async () => {
  for (const app of started.splice(0)) await app.stop(true);
});

/** The hosts a client may send: too short for Elysia's assumption, just long enough, bracketed IPv6, a port; null: HTTP/1.0 without Host. */
const HOSTS: (string | null)[] = ["x", "ab", "abc", "abcd", "[::1]", "a:1", null];
const label = (host: string | null) => (host === null ? "no Host (HTTP/1.0)" : `Host: ${host}`);

/** A seeded node (brokers 1–3, topics t1 and victim) listening on loopback, its audit lines and fault log kept. */
async function start() {
  const { h, app, served, port, logs, audits, topicExists, normal } = await seededListener();
  started.push(served);
  /** One raw request on its own connection; `host` null sends HTTP/1.0 without a Host header. */
  const raw = async (host: string | null, method: string, target: string, body?: string) => {
    const head = host === null ? `${method} ${target} HTTP/1.0\r\n` : `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n`;
    const length = body === undefined ? "" : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    const answer = await rawRequest(port, [`${head}${length}Connection: close\r\n\r\n${body ?? ""}`]);
    return { status: answer.status, body: answer.body };
  };
  return { h, app, port, audits, logs, raw, topicExists, normal };
}

test("DELETE /zz/v1/topics/victim is 404 under every Host and none: the topic stays, no audit line", async () => {
  const { h, raw, audits, logs, topicExists } = await start();
  const before = await h.fingerprint();
  // With no Host the URL is the bare path: a first segment of 10 characters put the next "/" at index 11.
  for (const target of ["/zz/v1/topics/victim", "/aaaaaaaaaa/v1/topics/victim"]) {
    for (const host of HOSTS) {
      const answer = await raw(host, "DELETE", target);
      expect({ host: label(host), target, status: answer.status }).toEqual({ host: label(host), target, status: 404 });
      expect(JSON.parse(answer.body)).toEqual({ error: "not_found", message: `no route DELETE ${target}` });
    }
  }
  expect(await topicExists("victim")).toBe(true);
  expect(await h.fingerprint()).toBe(before);
  expect(audits).toEqual([]);
  expect(logs).toEqual([]);
});

test("POST /ab/v1/topics is 404 under every Host and none, and creates nothing", async () => {
  const { h, raw, topicExists } = await start();
  const before = await h.fingerprint();
  for (const host of HOSTS) {
    const answer = await raw(host, "POST", "/ab/v1/topics", '{"name":"sneaky"}');
    expect({ host: label(host), status: answer.status }).toEqual({ host: label(host), status: 404 });
    expect(JSON.parse(answer.body).error).toBe("not_found");
  }
  expect(await topicExists("sneaky")).toBe(false);
  expect(await h.fingerprint()).toBe(before);
});

/** Reads and refusals with a query string (the fast routes hand these on to Elysia) and without, plus paths no route or another method serves. */
const READS: [method: string, target: string][] = [
  ["GET", "/v1/brokers/1?consistency=stale"],
  ["GET", "/v1/topics/t1?consistency=stale"],
  ["GET", "/v1/topics?consistency=stale"],
  ["GET", "/v1/brokers?consistency=stale"],
  ["GET", "/v1/topics/t1?consistency=sometimes"],
  ["GET", "/v1/topics?a=1&a=2"],
  ["GET", "/v1/topics?consistency=/stale"],
  ["GET", "/healthz?x=/y"],
  ["GET", "/v1/brokers/1"],
  ["GET", "/v1/topics/t1"],
  ["GET", "/v1/topics/%74%31"],
  ["GET", "/v1/topics"],
  ["GET", "/healthz"],
  ["GET", "/v1/brokers/zz"],
  ["GET", "/nope"],
  ["GET", "/a/b/c/d/e"],
  ["PATCH", "/v1/topics"],
  ["GET", "/v1/broker-mgmt/metadata"],
];

test("reads, query forms and refusals answer under every Host and none exactly as under the node's own address", async () => {
  const { raw, normal, logs } = await start();
  for (const [method, target] of READS) {
    const expected = await raw(normal, method, target);
    expect(expected.status).toBeLessThan(500);
    for (const host of HOSTS) {
      const answer = await raw(host, method, target);
      expect({ host: label(host), method, target, ...answer }).toEqual({ host: label(host), method, target, ...expected });
    }
  }
  expect(logs).toEqual([]);
});

test("writes under a short Host or none are served on the path sent, through the fast routes and Elysia, and audited under it", async () => {
  const { raw, audits, topicExists } = await start();
  const hosts = HOSTS.filter((host) => host !== "abcd");
  for (const [i, host] of hosts.entries()) {
    const name = `doomed-${i}`;
    // POST /v1/topics is a fast route; DELETE /v1/topics/:name is Elysia's, from Bun's router.
    expect({ host: label(host), status: (await raw(host, "POST", "/v1/topics", `{"name":"${name}"}`)).status }).toEqual({ host: label(host), status: 201 });
    expect(await topicExists(name)).toBe(true);
    // Its query form goes to Elysia's fallback handler.
    const deleted = await raw(host, "DELETE", `/v1/topics/${name}?x=1`);
    expect({ host: label(host), status: deleted.status }).toEqual({ host: label(host), status: 422 });
    expect({ host: label(host), status: (await raw(host, "DELETE", `/v1/topics/${name}`)).status }).toEqual({ host: label(host), status: 200 });
    expect(await topicExists(name)).toBe(false);
    // A path served under other methods is a 405 that names them, the method sent among them never.
    const notAllowed = await raw(host, "PUT", "/v1/topics");
    expect(notAllowed.status).toBe(405);
    expect(JSON.parse(notAllowed.body).message).toBe("PUT is not served on /v1/topics; it takes GET, HEAD, POST");
  }
  expect(audits).toEqual(hosts.flatMap((_, i) => [`DELETE /v1/topics/doomed-${i} 422`, `DELETE /v1/topics/doomed-${i} 200`]));
});
