// Issue 9 §2: one request body could freeze a node. Each reproduction (50,000 levels in an unknown
// field, 10,000 inside `name`, 3,000 in 6 KB) now gets a 4xx JSON error, on every route that takes
// a JSON body, and nothing is written; wide and long values get a short message that never renders
// the value whole. (Speed is measured by scripts/bench/body-cost.ts, not asserted here.)
import { expect, test } from "bun:test";
import { MAX_JSON_DEPTH } from "../../src/metadata/json-nesting.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const deepObjects = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
/** No message of ours grows with the input: field, rule and a preview of at most 80 characters. */
const MAX_MESSAGE_CHARS = 300;

const REPRODUCTIONS: [string, string][] = [
  ["50,000 levels in an unknown field (100 KB)", `{"name":"x","zz":${deep(50_000)}}`],
  ["10,000 levels inside name", `{"name":${deep(10_000)}}`],
  ["3,000 levels in 6 KB", `{"name":"x","zz":${deep(3_000)}}`],
  ["20,000 nested objects", `{"name":"x","zz":${deepObjects(20_000)}}`],
];

for (const [label, body] of REPRODUCTIONS) {
  test(`POST /v1/topics with ${label}: 400 bad_request, nothing written`, async () => {
    const h = makeHarness();
    await h.seed();
    const before = await h.fingerprint();
    const answer = await send(h.app, "POST", "/v1/topics", body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("bad_request");
    expect(answer.body.message).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    expect(answer.text.length).toBeLessThan(MAX_MESSAGE_CHARS);
    expect(await h.fingerprint()).toBe(before);
    // The node still answers.
    expect((await send(h.app, "GET", "/healthz")).status).toBe(200);
  });
}

test("every route that takes a body, /v1 and seed alike, refuses a deep one before validating it", async () => {
  const h = makeHarness();
  await h.seed();
  const before = await h.fingerprint();
  const writes = h.app.routes.filter((r) => ["POST", "PUT", "PATCH", "DELETE"].includes(r.method));
  const declaresBody = (r: (typeof writes)[number]) => (r.hooks as { body?: unknown }).body !== undefined;
  const pathOf = (r: (typeof writes)[number]) => r.path.replace(/:[A-Za-z_]+/g, (p) => (p === ":name" ? "t1" : "1"));
  const body = `{"brokerId":1,"name":"x","zz":${deep(50_000)}}`;
  expect(writes.filter(declaresBody).length).toBeGreaterThan(10);
  for (const route of writes.filter(declaresBody)) {
    const answer = await send(h.app, route.method, pathOf(route), body);
    expect({ route: `${route.method} ${route.path}`, status: answer.status, error: answer.body?.error }).toEqual({
      route: `${route.method} ${route.path}`,
      status: 400,
      error: "bad_request",
    });
  }
  expect(await h.fingerprint()).toBe(before);
  // A route without a body schema may ignore the body (and do its work), but never fails on it.
  for (const route of writes.filter((r) => !declaresBody(r))) {
    expect((await send(h.app, route.method, pathOf(route), body)).status).toBeLessThan(500);
  }
});

test(`exactly ${MAX_JSON_DEPTH} levels pass the parser and reach validation; one more is refused`, async () => {
  const h = makeHarness();
  const at = await send(h.app, "POST", "/v1/topics", `{"name":"x","zz":${deep(MAX_JSON_DEPTH - 1)}}`);
  expect(at.status).toBe(422);
  expect(at.body.message).toStartWith("body.zz: Unexpected property (got [[[[");
  const past = await send(h.app, "POST", "/v1/topics", `{"name":"x","zz":${deep(MAX_JSON_DEPTH)}}`);
  expect(past.status).toBe(400);
});

const wideArray = (n: number) => `[${Array(n).fill("1").join(",")}]`;
const WIDE: [string, string, string, string][] = [
  ["an unknown field holding 400,000 numbers", "/v1/topics", `{"name":"x","zz":${wideArray(400_000)}}`, "body.zz: Unexpected property"],
  ["name as an array of 400,000 numbers", "/v1/topics", `{"name":${wideArray(400_000)}}`, "body.name: Expected string"],
  ["a 900 KB name", "/v1/topics", `{"name":"${"x".repeat(900_000)}"}`, "body.name: Expected string length less or equal to 249"],
  ["400,000 replicas", "/v1/topics/t1/partitions", `{"partitionId":1,"replicas":${wideArray(400_000)},"ISR":[],"leader":"1"}`, "body.replicas: Expected array length"],
  ["a seed body with 60,000 unknown keys", "/create_topic", `{${Array.from({ length: 60_000 }, (_, i) => `"k${i}":1`).join(",")}}`, "body"],
];

for (const [label, path, body, start] of WIDE) {
  test(`${label}: 422 with a short message naming the field`, async () => {
    const h = makeHarness();
    await h.seed();
    const before = await h.fingerprint();
    const answer = await send(h.app, "POST", path, body);
    expect(answer.status).toBe(422);
    expect(answer.body.error).toBe("invalid");
    expect(answer.body.message).toStartWith(start);
    expect(answer.text.length).toBeLessThan(MAX_MESSAGE_CHARS);
    expect(await h.fingerprint()).toBe(before);
  });
}

test("long query values and path parameters get a short message too", async () => {
  const h = makeHarness();
  const long = "9".repeat(6000);
  const answers = [
    await send(h.app, "GET", `/v1/log?from=${long}`),
    await send(h.app, "GET", `/v1/brokers/${long}`),
    await send(h.app, "GET", `/v1/topics/${"x".repeat(6000)}`),
    await send(h.app, "GET", `/v1/client-mgmt/metadata?since=${"[".repeat(6000)}`),
    await send(h.app, "GET", `/get_broker_by_id/${long}`),
    await send(h.app, "GET", `/v1/brokers?status=${long}`),
    await send(h.app, "GET", `/no/such/${long}`),
    await send(h.app, "GET", `/v1/topics?a${"[b]".repeat(3000)}=1`),
    await send(h.app, "POST", "/v1/topics", `{"name":"x","${"k".repeat(100_000)}":1}`),
  ];
  for (const answer of answers) {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.text.length).toBeLessThan(MAX_MESSAGE_CHARS + 100);
  }
});
