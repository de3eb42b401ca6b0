// Every error path of the HTTP layer: what the schemas refuse never reaches the service, and every
// failure has the one error shape with the right status.
import { describe, expect, spyOn, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { conflict, invalid, notFound } from "../../src/metadata/errors.ts";
import { ConsensusTimeoutError, NoLeaderError, NotLeaderError } from "../../src/node/contracts.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { failingService } from "./support/failing-service.ts";
import { makeHarness } from "./support/harness.ts";
import { type Answer, send } from "./support/request.ts";

const nullMachine = { apply: () => null, snapshot: () => new Uint8Array(), restore: () => {} };

function setup(makeError: () => unknown = () => new Error("the service must not be called")) {
  const service = failingService(makeError);
  const logged: { event: string; fields: Record<string, unknown> }[] = [];
  const app = createApp({
    service,
    handle: new LocalConsensus({ stateMachine: nullMachine }),
    log: (event, fields) => logged.push({ event, fields }),
  });
  return { app, service, logged };
}

function expectError(answer: Answer, status: number, code: string, mentions?: string): void {
  expect(answer.status).toBe(status);
  expect(answer.body.error).toBe(code);
  expect(typeof answer.body.message).toBe("string");
  expect(answer.body.message.length).toBeGreaterThan(0);
  expect(Object.keys(answer.body).sort()).toEqual(["error", "message"]);
  if (mentions !== undefined) expect(answer.body.message).toContain(mentions);
}

const broker = { brokerId: 112, brokerHost: "eg1.com", brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r1" };
const partition = { partitionId: 1, replicas: [112, 113], ISR: [112], leader: "112" };

/** [method, path, body, status, code, text the message must mention] */
const refused: [string, string, unknown, number, string, string][] = [
  // malformed bodies
  ["POST", "/v1/brokers", "{bad", 400, "malformed_json", "not valid JSON"],
  ["POST", "/v1/brokers", '{"brokerId": 1,}', 400, "malformed_json", "JSON"],
  ["POST", "/v1/topics", "not json at all", 400, "malformed_json", "JSON"],
  ["POST", "/v1/brokers", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 400, "malformed_json", "UTF-8"],
  // wrong types
  ["POST", "/v1/brokers", { ...broker, brokerId: "112" }, 422, "invalid", "body.brokerId"],
  ["POST", "/v1/brokers", { ...broker, brokerPort: 9092 }, 422, "invalid", "body.brokerPort"],
  ["POST", "/v1/brokers", [broker], 422, "invalid", "body"],
  ["POST", "/v1/brokers", "null", 422, "invalid", "body"],
  ["POST", "/v1/topics", { name: 7 }, 422, "invalid", "body.name"],
  ["POST", "/v1/topics/t1/partitions", { ...partition, replicas: "112" }, 422, "invalid", "body.replicas"],
  ["POST", "/v1/topics/t1/partitions", { ...partition, leader: 112 }, 422, "invalid", "body.leader"],
  ["POST", "/v1/producers", { brokerId: 1.5 }, 422, "invalid", "body.brokerId"],
  ["POST", "/v1/broker-mgmt/metadata", { brokerId: 1, since: true }, 422, "invalid", "body.since"],
  // missing and extra fields
  ["POST", "/v1/brokers", { brokerId: 1 }, 422, "invalid", "missing"],
  ["POST", "/v1/brokers", "", 422, "invalid", "missing"],
  ["POST", "/v1/brokers", { ...broker, epoch: 3 }, 422, "invalid", "body.epoch"],
  ["POST", "/v1/brokers", { ...broker, __proto__x: 1 }, 422, "invalid", "Unexpected property"],
  ["PUT", "/v1/brokers/1", {}, 422, "invalid", "body"],
  ["PUT", "/v1/brokers/1", { brokerStatus: "CLOSED" }, 422, "invalid", "body.brokerStatus"],
  ["POST", "/v1/topics", { name: "t", topicUUID: "x" }, 422, "invalid", "body.topicUUID"],
  ["POST", "/v1/topics/t1/partitions", { ...partition, topicUUID: "x" }, 422, "invalid", "body.topicUUID"],
  ["POST", "/v1/producers", { brokerId: 1, brokerEpoch: 0 }, 422, "invalid", "body.brokerEpoch"],
  ["POST", "/v1/broker-mgmt/metadata", { since: 0 }, 422, "invalid", "body.brokerId"],
  // negative and huge numbers
  ["POST", "/v1/brokers", { ...broker, brokerId: -1 }, 422, "invalid", "body.brokerId"],
  ["POST", "/v1/brokers", { ...broker, brokerId: 2 ** 31 }, 422, "invalid", "body.brokerId"],
  ["POST", "/v1/brokers", '{"brokerId":1e400,"brokerHost":"h","brokerPort":"1","securityProtocol":"P","rackId":""}', 422, "invalid", "body.brokerId"],
  ["POST", "/v1/topics", { name: "t", partitions: 0, replicationFactor: 1 }, 422, "invalid", "body.partitions"],
  ["POST", "/v1/topics", { name: "t", partitions: 1e9, replicationFactor: 1 }, 422, "invalid", "body.partitions"],
  ["POST", "/v1/topics/t1/partitions", { ...partition, partitionId: -3 }, 422, "invalid", "body.partitionId"],
  ["POST", "/v1/producers", { brokerId: 1, producerId: -1 }, 422, "invalid", "body.producerId"],
  ["POST", "/v1/producers", { brokerId: 1, producerId: 2 ** 60 }, 422, "invalid", "body.producerId"],
  ["POST", "/v1/broker-mgmt/metadata", { brokerId: 1, wait_ms: 30001 }, 422, "invalid", "body.wait_ms"],
  ["POST", "/v1/broker-mgmt/metadata?wait_ms=30001", { brokerId: 1 }, 422, "invalid", "wait_ms"],
  ["POST", "/v1/broker-mgmt/metadata?wait_ms=10", { brokerId: 1, wait_ms: 10 }, 422, "invalid", "twice"],
  ["GET", "/v1/client-mgmt/metadata?wait_ms=99999", undefined, 422, "invalid", "wait_ms"],
  ["GET", "/v1/client-mgmt/metadata?wait_ms=-1", undefined, 422, "invalid", "wait_ms"],
  // over-long strings
  ["POST", "/v1/brokers", { ...broker, brokerHost: "h".repeat(256) }, 422, "invalid", "body.brokerHost"],
  ["POST", "/v1/brokers", { ...broker, rackId: "r".repeat(300) }, 422, "invalid", "body.rackId"],
  ["POST", "/v1/brokers", { ...broker, securityProtocol: "P".repeat(65) }, 422, "invalid", "body.securityProtocol"],
  ["POST", "/v1/topics", { name: "t".repeat(250) }, 422, "invalid", "body.name"],
  ["GET", `/v1/client-mgmt/metadata?since=${"1".repeat(65)}`, undefined, 422, "invalid", "query.since"],
  // invalid topic names
  ["POST", "/v1/topics", { name: "" }, 422, "invalid", "body.name"],
  ["POST", "/v1/topics", { name: "has space" }, 422, "invalid", "body.name"],
  ["POST", "/v1/topics", { name: "slash/name" }, 422, "invalid", "body.name"],
  ["POST", "/v1/topics", { name: "ünïcode" }, 422, "invalid", "body.name"],
  ["GET", "/v1/topics/bad%20name", undefined, 422, "invalid", "params.name"],
  ["POST", "/v1/topics/bad$name/partitions", partition, 422, "invalid", "params.name"],
  // bad path parameters and query strings
  ["GET", "/v1/brokers/abc", undefined, 422, "invalid", "params.brokerId"],
  ["GET", "/v1/brokers/-1", undefined, 422, "invalid", "params.brokerId"],
  ["GET", "/v1/brokers/1e3", undefined, 422, "invalid", "params.brokerId"],
  ["GET", "/v1/brokers/99999999999", undefined, 422, "invalid", "brokerId must be an integer"],
  ["PUT", "/v1/brokers/x", { brokerHost: "h" }, 422, "invalid", "params.brokerId"],
  ["DELETE", "/v1/brokers/2147483648", undefined, 422, "invalid", "brokerId"],
  ["GET", "/v1/brokers?status=GONE", undefined, 422, "invalid", "Expected one of"],
  ["GET", "/v1/brokers?all=yes", undefined, 422, "invalid", "query.all"],
  ["GET", "/v1/brokers?consistency=eventual", undefined, 422, "invalid", "query.consistency"],
  ["GET", "/v1/topics?page=2", undefined, 422, "invalid", "query.page"],
  ["GET", "/v1/log?limit=0", undefined, 422, "invalid", "limit"],
  ["GET", "/v1/log?limit=1001", undefined, 422, "invalid", "limit"],
  ["GET", "/v1/log?from=-5", undefined, 422, "invalid", "query.from"],
  ["GET", "/v1/log?from=x", undefined, 422, "invalid", "query.from"],
  ["GET", "/v1/log?limit=1&limit=2", undefined, 422, "invalid", '"limit" is given more than once'],
  ["GET", "/v1/topics/t1?consistency=stale&consistency=stale", undefined, 422, "invalid", "more than once"],
  ["GET", `/healthz?${Array.from({ length: 17 }, (_, i) => `p${i}=1`).join("&")}`, undefined, 422, "invalid", "at most 16 query parameters"],
  // seed routes share the rules
  ["POST", "/register_broker", { ...broker, brokerId: "x" }, 422, "invalid", "body.brokerId"],
  ["POST", "/create_partition", { ...partition }, 422, "invalid", "topicName or topicUUID"],
  ["POST", "/create_producer/1/x", {}, 422, "invalid", "params.broker_epoch"],
  ["POST", "/create_producer/1/0", { brokerId: 2 }, 422, "invalid", "differs"],
  ["PUT", "/update_broker/1", { brokerId: 1 }, 422, "invalid", "nothing to update"],
  ["PUT", "/update_broker/1", { brokerId: 2, brokerHost: "h" }, 422, "invalid", "differs"],
  ["GET", "/BrokerMgmt?brokerId=x", undefined, 422, "invalid", "query.brokerId"],
  ["GET", "/v1/watch?since=%20", undefined, 422, "invalid", "query.since"],
  ["GET", "/v1/watch?wait_ms=5", undefined, 422, "invalid", "query.wait_ms"],
  ["POST", "/v1/snapshots/backup?x=1", undefined, 422, "invalid", "query.x"],
  ["GET", "/get_broker_by_id/abc", undefined, 422, "invalid", "params.id"],
  // unknown routes
  ["GET", "/nope", undefined, 404, "not_found", "GET /nope"],
  ["POST", "/v1/cluster", {}, 405, "method_not_allowed", "POST is not served on /v1/cluster; it takes GET, HEAD"],
  ["PATCH", "/v1/topics/t1", undefined, 405, "method_not_allowed", "PATCH is not served on /v1/topics/t1"],
  ["OPTIONS", "/v1/topics/a/b", undefined, 404, "not_found", "OPTIONS /v1/topics/a/b"],
  ["GET", "/v1/cluster?consistency=linearizable", undefined, 422, "invalid", "always answers from this node"],
  ["GET", "/v2/brokers", undefined, 404, "not_found", "/v2/brokers"],
];

describe("requests the API refuses before reaching the service", () => {
  for (const [method, path, body, status, code, mentions] of refused) {
    const label = typeof body === "string" ? body.slice(0, 30) : body instanceof Uint8Array ? "<bytes>" : JSON.stringify(body)?.slice(0, 60);
    test(`${method} ${path} ${label ?? ""} → ${status} ${code}`, async () => {
      const { app, service } = setup();
      expectError(await send(app, method, path, body), status, code, mentions);
      expect(service.calls).toEqual([]);
    });
  }
});

test("over the real service, none of those requests writes anything", async () => {
  const h = makeHarness();
  await h.seed();
  const before = await h.fingerprint();
  for (const [method, path, body, status] of refused) {
    expect({ method, path, status: (await send(h.app, method, path, body)).status }).toEqual({ method, path, status });
  }
  expect(await h.fingerprint()).toEqual(before);
});

describe("bodies over 1 MiB", () => {
  const big = JSON.stringify({ ...broker, brokerHost: "h".repeat(1024 * 1024) });

  test("a declared Content-Length over the bound is refused with 413 before reading", async () => {
    const { app, service } = setup();
    const answer = await send(app, "POST", "/v1/brokers", "{}", { "content-length": String(1024 * 1024 + 1) });
    expectError(answer, 413, "payload_too_large", "1048577");
    expect(service.calls).toEqual([]);
  });

  test("a GET's declared Content-Length is not looked at (Bun drops a GET's body; the read is served)", async () => {
    const { app, service } = setup();
    const answer = await send(app, "GET", "/v1/brokers/1", undefined, { "content-length": String(1024 * 1024 + 1) });
    expect(answer.status).not.toBe(413);
    expect(service.calls).toEqual(["getBroker"]);
  });

  test("a body that turns out larger than the bound is refused with 413", async () => {
    const { app, service } = setup();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const chunk = new TextEncoder().encode(big.slice(0, 64 * 1024));
        for (let sent = 0; sent <= 1024 * 1024; sent += chunk.byteLength) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await app.handle(new Request("http://localhost/v1/brokers", { method: "POST", body: stream, headers: { "content-type": "application/json" } }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toBe("payload_too_large");
    expect(service.calls).toEqual([]);
  });

  test("on every writing route", async () => {
    const { app, service } = setup();
    for (const [method, path] of [["POST", "/v1/topics"], ["POST", "/v1/topics/t/partitions"], ["PUT", "/v1/brokers/1"], ["POST", "/v1/producers"], ["POST", "/register_broker"], ["POST", "/create_partition"]]) {
      expectError(await send(app, method, path, big), 413, "payload_too_large");
    }
    expect(service.calls).toEqual([]);
  });

  test("a body just under the bound is read and validated", async () => {
    const { app } = setup();
    const padded = JSON.stringify(broker).replace("}", `${" ".repeat(1024 * 1024 - JSON.stringify(broker).length)}}`);
    expect(new TextEncoder().encode(padded).byteLength).toBe(1024 * 1024);
    const answer = await send(app, "POST", "/v1/brokers", padded);
    expect(answer.status).toBe(500); // the failing service was reached: the body passed the bound
  });
});

describe("errors from the service and the node", () => {
  const valid: [string, string, unknown][] = [
    ["POST", "/v1/brokers", broker],
    ["GET", "/v1/brokers", undefined],
    ["GET", "/v1/brokers/1", undefined],
    ["PUT", "/v1/brokers/1", { brokerHost: "h2" }],
    ["DELETE", "/v1/brokers/1", undefined],
    ["POST", "/v1/topics", { name: "t1" }],
    ["GET", "/v1/topics", undefined],
    ["GET", "/v1/topics/t1", undefined],
    ["POST", "/v1/topics/t1/partitions", partition],
    ["POST", "/v1/producers", { brokerId: 1 }],
    ["POST", "/v1/broker-mgmt/metadata", { brokerId: 1, since: 0 }],
    ["GET", "/v1/client-mgmt/metadata?since=0", undefined],
    ["GET", "/v1/log", undefined],
  ];

  test("no leader: 503, Retry-After: 1 and error no_leader on every service route", async () => {
    const { app, service } = setup(() => new NoLeaderError());
    for (const [method, path, body] of valid) {
      const answer = await send(app, method, path, body);
      expectError(answer, 503, "no_leader");
      expect(answer.headers.get("retry-after")).toBe("1");
    }
    expect(service.calls.length).toBe(valid.length);
  });

  test("not leader: 503 naming the leader", async () => {
    const { app } = setup(() => new NotLeaderError(3));
    const answer = await send(app, "POST", "/v1/brokers", broker);
    expectError(answer, 503, "not_leader", "leader: 3");
    expect(answer.headers.get("retry-after")).toBe("1");
  });

  test("consensus timeout: 504", async () => {
    const { app } = setup(() => new ConsensusTimeoutError("no commit within 5000 ms"));
    expectError(await send(app, "POST", "/v1/topics", { name: "t1" }), 504, "timeout", "5000 ms");
  });

  test("metadata errors keep their status and code", async () => {
    for (const [error, status] of [[notFound("no broker 9"), 404], [conflict("broker 1 is registered"), 409], [invalid("ISR [5] is not within replicas [1]"), 422]] as const) {
      const { app } = setup(() => error);
      expectError(await send(app, "GET", "/v1/brokers/9", undefined), status, error.code, error.message);
    }
  });

  test("an unexpected fault is a 500 with no stack or detail, and is logged", async () => {
    const { app, logged } = setup(() => new TypeError("secret internal detail at foo.ts:12"));
    const answer = await send(app, "GET", "/v1/topics", undefined);
    expectError(answer, 500, "internal");
    expect(answer.text).not.toContain("secret");
    expect(answer.text).not.toContain("foo.ts");
    expect(logged).toHaveLength(1);
    expect(logged[0].event).toBe("http_internal_error");
    expect(String(logged[0].fields.error)).toContain("secret internal detail");
  });

  test("the node runtime's errors map by their stable code", async () => {
    const runtimeError = (code: string, message: string) => Object.assign(new Error(message), { code });
    const cases = [
      [runtimeError("overloaded", "1000 proposals pending"), 503, "1"],
      [runtimeError("proposal_rejected", "entry of 2000000 bytes is over 1048576"), 422, null],
      [runtimeError("snapshot", "nothing applied yet"), 409, null],
      [runtimeError("forward_failed", "leader 1 answered garbage"), 502, "1"],
    ] as const;
    for (const [error, status, retryAfter] of cases) {
      const { app } = setup(() => error);
      const answer = await send(app, "POST", "/v1/topics", { name: "t1" });
      expectError(answer, status, error.code, error.message);
      expect(answer.headers.get("retry-after")).toBe(retryAfter);
    }
  });

  test("an unknown code on an error is still a 500", async () => {
    const { app } = setup(() => Object.assign(new Error("socket gone"), { code: "ECONNRESET" }));
    expectError(await send(app, "GET", "/v1/topics", undefined), 500, "internal");
  });

  test("by default the fault is one JSON line on stderr with node, term and role", async () => {
    const spy = spyOn(console, "error").mockImplementation(() => {});
    try {
      const app = createApp({ service: failingService(() => new RangeError("boom")), handle: new LocalConsensus({ stateMachine: nullMachine, nodeId: 4 }) });
      expectError(await send(app, "GET", "/v1/topics", undefined), 500, "internal");
      expect(spy).toHaveBeenCalledTimes(1);
      const line = JSON.parse(String(spy.mock.calls[0][0]));
      expect(line).toMatchObject({ event: "http_internal_error", node: 4, term: 1, role: "leader", method: "GET", path: "/v1/topics" });
      expect(line.error).toContain("RangeError: boom");
    } finally {
      spy.mockRestore();
    }
  });

  test("a thrown non-Error is a 500 too", async () => {
    const { app } = setup(() => "a string");
    expectError(await send(app, "GET", "/v1/log", undefined), 500, "internal");
  });
});
