// Request targets and Host headers that do not make a URL, over a real listening node and raw
// sockets. `CONNECT x` gave request.url "x", and a Host such as `%zz` one that does not parse: the
// 404/405 hook's `new URL(request.url)` threw, and the client got Bun's plain-text 500 "Something
// went wrong!" with a stack trace in the log. Each must get a 4xx in the API's JSON error shape and
// no fault logged; the targets Bun refuses itself, and the absolute form it serves as a path, are
// pinned here. Then the check every request passes first (src/api/http-hooks.ts, plainTarget):
// what it lets through as is, every reader of a path reads alike.
import { afterEach, expect, test } from "bun:test";
import type { YaktApp } from "../../src/api/app.ts";
import * as hooks from "../../src/api/http-hooks.ts";
import { pathOf } from "../../src/api/request-path.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { rawRequest } from "./support/http-fuzz.ts";
import { seededListener } from "./support/seeded-listener.ts";

const started: YaktApp[] = [];
afterEach(async () => {
  for (const app of started.splice(0)) await app.stop(true);
});

/** A node with brokers 1–3 and topics t1 and victim on loopback; its fault log and audit lines kept. */
async function start() {
  const { h, served, port, logs, audits, topicExists, normal } = await seededListener();
  started.push(served);
  /** The request line and Host as given, then an optional JSON body; one connection each. */
  const raw = async (line: string, host: string, body?: string) => {
    const length = body === undefined ? "" : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    const answer = await rawRequest(port, [`${line}\r\nHost: ${host}\r\n${length}Connection: close\r\n\r\n${body ?? ""}`]);
    return { status: answer.status, head: answer.head, body: answer.body };
  };
  return { h, raw, logs, audits, topicExists, normal };
}

/** A 400 in the API's JSON error shape, never a 500. */
function expectBadRequest(what: string, answer: { status: number; head: string; body: string }, message: string): void {
  expect({ what, status: answer.status }).toEqual({ what, status: 400 });
  expect(answer.head.toLowerCase()).toContain("content-type: application/json");
  expect(JSON.parse(answer.body)).toEqual({ error: "bad_request", message });
}

test("CONNECT's authority-form targets are a 400 JSON error, with no fault logged", async () => {
  const { raw, logs } = await start();
  for (const target of ["x", "x:443", "[::1]:80", "abcdef.example:443", "*", "a/b", "a?b"]) {
    for (const host of ["x", "abcdef"]) {
      expectBadRequest(`CONNECT ${target}`, await raw(`CONNECT ${target} HTTP/1.1`, host), `the request target ${JSON.stringify(target)} is not a path; this API serves paths such as /v1/topics`);
    }
  }
  // CONNECT with a path is a method the path does not serve, as any other.
  const withPath = await raw("CONNECT /v1/topics HTTP/1.1", "x");
  expect(withPath.status).toBe(405);
  expect(JSON.parse(withPath.body)).toEqual({ error: "method_not_allowed", message: "CONNECT is not served on /v1/topics; it takes GET, HEAD, POST" });
  expect(logs).toEqual([]);
});

test("a Host that makes no URL is a 400 JSON error on every route, Elysia's and the fast routes', and changes nothing", async () => {
  const { h, raw, logs, audits, topicExists } = await start();
  const before = await h.fingerprint();
  // %zz, an empty host with a port, a port past 65535, an IPv4 address out of range, punycode that
  // does not decode: Bun puts them in request.url as they are. A backslash, an "@" or a space: Bun
  // leaves the authority out, request.url is the bare path.
  const hosts = ["%zz", ":80", "a:99999", "999.1.1.1", "a.1", "xn--zz", "a\\b", "a@b", "a b"];
  const requests: [line: string, body?: string][] = [
    ["GET /nope HTTP/1.1"],
    ["GET /v1/topics HTTP/1.1"],
    ["DELETE /v1/topics/victim HTTP/1.1"],
    ["PATCH /v1/topics HTTP/1.1"],
    ["GET /v1/brokers/1 HTTP/1.1"],
    ["GET /v1/brokers/1?consistency=stale HTTP/1.1"],
    ["PUT /v1/brokers/1 HTTP/1.1", '{"brokerHost":5}'],
    ["POST /v1/topics HTTP/1.1", '{"name":"sneaky"}'],
  ];
  for (const host of hosts) {
    for (const [line, body] of requests) {
      expectBadRequest(`${line} Host: ${host}`, await raw(line, host, body), `the Host header ${JSON.stringify(host)} is not a host name`);
    }
  }
  expect(await topicExists("victim")).toBe(true);
  expect(await topicExists("sneaky")).toBe(false);
  expect(await h.fingerprint()).toBe(before);
  expect(logs).toEqual([]);
  // The refused deletions are audited under the path sent, with their status.
  expect(audits).toEqual(hosts.map(() => "DELETE /v1/topics/victim 400"));
});

test("odd targets never get a 500: OPTIONS * is Bun's bare 400, the absolute form is served as its path", async () => {
  const { raw, normal, logs, topicExists } = await start();
  // Bun refuses these before the app sees them, with no body (README lists them).
  for (const line of ["OPTIONS * HTTP/1.1", "GET ftp://h/v1/topics HTTP/1.1", "DELETE x HTTP/1.1"]) {
    const answer = await raw(line, "abcdef");
    expect({ line, status: answer.status, body: answer.body }).toEqual({ line, status: 400, body: "" });
  }
  // The absolute form (RFC 9112 §3.2.2: a server must accept it): Bun keeps its path and takes the
  // authority from Host, so it is answered as the origin form under that Host, a short one too.
  for (const host of ["x", "abc", "abcdef", normal]) {
    for (const [line, origin] of [
      ["GET http://h/v1/topics HTTP/1.1", "GET /v1/topics HTTP/1.1"],
      ["GET https://h/v1/brokers/1?consistency=stale HTTP/1.1", "GET /v1/brokers/1?consistency=stale HTTP/1.1"],
      ["GET http://h HTTP/1.1", "GET / HTTP/1.1"],
      ["DELETE http://h/zz/v1/topics/victim HTTP/1.1", "DELETE /zz/v1/topics/victim HTTP/1.1"],
    ]) {
      const answer = await raw(line, host);
      const expected = await raw(origin, normal);
      expect(expected.status).toBeLessThan(500);
      expect({ host, line, status: answer.status, body: answer.body }).toEqual({ host, line, status: expected.status, body: expected.body });
    }
  }
  expect(await topicExists("victim")).toBe(true);
  expect(logs).toEqual([]);
});

/** Elysia's reading of a URL's path (its composed handlers, dynamic-handle.mjs, utils.mjs getPath). */
function elysiaPath(url: string): string {
  const s = url.indexOf("/", 11);
  const qi = url.indexOf("?", s + 1);
  return qi === -1 ? url.substring(s) : url.substring(s, qi);
}

test("a URL plainTarget lets through parses, and Elysia, the guard's reading and the URL parser find the same path in it", () => {
  const { plainTarget } = hooks;
  expect(typeof plainTarget).toBe("function");
  const random = seededRandom(20261207);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const alphabet = [..."abcxyzXN09-_.:[]%@"];
  const paths = ["/", "/v1/topics", "/v1/topics/t1?consistency=stale", "/zz/v1/topics/victim", "/a?b=/c", "//x"];
  let plain = 0;
  for (let i = 0; i < 50_000; i++) {
    const length = 1 + Math.floor(random() * 12);
    let host = "";
    for (let j = 0; j < length; j++) host += pick(alphabet);
    const scheme = pick(["http", "https"]);
    const path = pick(paths);
    const url = `${scheme}://${host}${path}`;
    if (!plainTarget(url)) continue;
    plain++;
    const sent = path.split("?")[0];
    expect({ url, parses: URL.canParse(url) }).toEqual({ url, parses: true });
    const read = { url, elysia: elysiaPath(url), guard: pathOf(url), parser: new URL(url).pathname };
    expect(read).toEqual({ url, elysia: sent, guard: sent, parser: sent });
  }
  expect(plain).toBeGreaterThan(1000);
  // What a node sees every day passes as is; the short, the absent and the unparsable do not.
  for (const url of ["http://127.0.0.1:7070/v1/topics", "http://yakt-1:7070/v1/topics/t1?consistency=stale", "http://abcd/v1/brokers/1", "https://abc/v1/topics", "http://a_b.example/x", `http://${hooks.STAND_IN_HOST}/v1/topics`]) {
    expect({ url, plain: plainTarget(url) }).toEqual({ url, plain: true });
  }
  for (const url of ["http://x/zz/v1/topics", "http://abc/v1", "https://ab/v1", "/v1/topics/victim", "x", "x:443", "http://%zz/nope", "http://[::1]/v1", "http://a:99999/v1", "http://999.1.1.1/v1", "http://xn--zz/v1", "http://1.2.3/v1"]) {
    expect({ url, plain: plainTarget(url) }).toEqual({ url, plain: false });
  }
});
