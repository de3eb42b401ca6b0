// Idempotency-Key on every write route, v1, seed and fast routes alike: a retry under the key after
// the state changed gets the first answer again and applies nothing; a malformed key is 400 and a
// key already used for another request is 422 idempotency_key_reused, neither writing anything.
// The routes that are not one replicated write refuse the header with 400 and do nothing. A last
// test requires every non-GET route of the OpenAPI document to be in one of the two tables, so a
// new write route cannot ignore the key unnoticed.
import { describe, expect, test } from "bun:test";
import { fastRoutesOf } from "../../src/api/fast-route.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { makeHarness } from "./support/harness.ts";
import { type Answer, send } from "./support/request.ts";

type Harness = ReturnType<typeof makeHarness>;

const broker = (brokerId: number) => ({ brokerId, brokerHost: `b${brokerId}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${brokerId}` });

/** Brokers 1-4 heartbeating; topic "orders" with partition 0 on [1,2,3] (ISR [1,2,3]) led by 1, at partition epoch 0. */
async function prepared(): Promise<Harness> {
  const h = makeHarness();
  for (const id of [1, 2, 3, 4]) {
    await must(h, "POST", "/v1/brokers", broker(id), 201);
    await must(h, "POST", "/v1/broker-mgmt/metadata", { brokerId: id }, 200);
  }
  await must(h, "POST", "/v1/topics", { name: "orders" }, 201);
  await must(h, "POST", "/v1/topics/orders/partitions", { partitionId: 0, replicas: [1, 2, 3], ISR: [1, 2, 3], leader: "1" }, 201);
  return h;
}

/** A request without a key that must answer `status` (a step of a case's setup or change). */
async function must(h: Harness, method: string, path: string, body: unknown, status: number): Promise<Answer> {
  const answer = await send(h.app, method, path, body);
  if (answer.status !== status) throw new Error(`${method} ${path} answered ${answer.status}, not ${status}: ${answer.text}`);
  return answer;
}

const P0 = "/v1/topics/orders/partitions/0";
const recreateOrders = async (h: Harness) => {
  await must(h, "DELETE", "/v1/topics/orders", undefined, 200);
  await must(h, "POST", "/v1/topics", { name: "orders" }, 201);
};
const epochOf = async (h: Harness, brokerId: number) => (await must(h, "GET", `/v1/brokers/${brokerId}`, undefined, 200)).body.fields.epoch as number;

interface Call {
  method: string;
  /** The path, or how to find it once the case's setup ran. */
  path: string | ((h: Harness) => Promise<string>);
  body?: unknown;
  /** Sent to the route's fast handler (Bun's router on a listening node) instead of app.handle. */
  fast?: boolean;
}

interface KeyedWrite extends Call {
  /** "METHOD /template" as the OpenAPI document (and docs/api.md) name it. */
  route: string;
  what: string;
  status: number;
  before?: (h: Harness) => Promise<void>;
  /** Changes the state so that the request applied afresh would answer otherwise (or write again). */
  change: (h: Harness) => Promise<void>;
}

const keyed: KeyedWrite[] = [
  { route: "POST /v1/brokers", what: "register", method: "POST", path: "/v1/brokers", body: broker(5), status: 201, change: (h) => must(h, "DELETE", "/v1/brokers/5", undefined, 200).then(() => {}) },
  { route: "PUT /v1/brokers/:brokerId", what: "update", method: "PUT", path: "/v1/brokers/4", body: { brokerHost: "moved.example" }, status: 200, change: (h) => must(h, "PUT", "/v1/brokers/4", { brokerHost: "other.example" }, 200).then(() => {}) },
  { route: "PUT /v1/brokers/:brokerId", what: "update, fast route", fast: true, method: "PUT", path: "/v1/brokers/4", body: { brokerHost: "moved.example" }, status: 200, change: (h) => must(h, "PUT", "/v1/brokers/4", { brokerHost: "other.example" }, 200).then(() => {}) },
  { route: "DELETE /v1/brokers/:brokerId", what: "unregister, then registered again", method: "DELETE", path: "/v1/brokers/4", status: 200, change: (h) => must(h, "POST", "/v1/brokers", broker(4), 201).then(() => {}) },
  { route: "POST /v1/topics", what: "create, then deleted", method: "POST", path: "/v1/topics", body: { name: "fresh", partitions: 2 }, status: 201, change: (h) => must(h, "DELETE", "/v1/topics/fresh", undefined, 200).then(() => {}) },
  { route: "POST /v1/topics", what: "create, fast route", fast: true, method: "POST", path: "/v1/topics", body: { name: "fresh", partitions: 2 }, status: 201, change: (h) => must(h, "DELETE", "/v1/topics/fresh", undefined, 200).then(() => {}) },
  { route: "POST /v1/topics/:name/partitions", what: "one partition, topic deleted and created again", method: "POST", path: "/v1/topics/orders/partitions", body: { partitionId: 1, replicas: [1, 2], ISR: [1, 2], leader: "1" }, status: 201, change: recreateOrders },
  { route: "POST /v1/topics/:name/partitions", what: "count more", method: "POST", path: "/v1/topics/orders/partitions", body: { count: 2 }, status: 201, change: (h) => must(h, "POST", "/v1/topics/orders/partitions", { count: 1 }, 201).then(() => {}) },
  { route: "DELETE /v1/topics/:name", what: "delete, then created again", method: "DELETE", path: "/v1/topics/orders", status: 200, change: (h) => must(h, "POST", "/v1/topics", { name: "orders" }, 201).then(() => {}) },
  { route: "POST /v1/topics/:name/partitions/:id/isr", what: "ISR shrink, then its epoch moved on", method: "POST", path: `${P0}/isr`, body: { brokerId: 1, partitionEpoch: 0, ISR: [1, 2] }, status: 200, change: (h) => must(h, "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 1, ISR: [1, 2, 3] }, 200).then(() => {}) },
  { route: "POST /v1/topics/:name/partitions/:id/isr", what: "ISR already so (no record)", method: "POST", path: `${P0}/isr`, body: { brokerId: 1, partitionEpoch: 0, ISR: [1, 2, 3] }, status: 200, change: (h) => must(h, "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 0, ISR: [1, 2] }, 200).then(() => {}) },
  { route: "PUT /v1/topics/:name/partitions/:id/replicas", what: "start, then cancelled", method: "PUT", path: `${P0}/replicas`, body: { replicas: [2, 3, 4] }, status: 200, change: (h) => must(h, "DELETE", `${P0}/replicas`, undefined, 200).then(() => {}) },
  { route: "PUT /v1/topics/:name/partitions/:id/replicas", what: "target already the replicas (no record)", method: "PUT", path: `${P0}/replicas`, body: { replicas: [1, 2, 3] }, status: 200, change: (h) => must(h, "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 0, ISR: [1, 2] }, 200).then(() => {}) },
  {
    route: "DELETE /v1/topics/:name/partitions/:id/replicas",
    what: "cancel, then started again",
    method: "DELETE",
    path: `${P0}/replicas`,
    status: 200,
    before: (h) => must(h, "PUT", `${P0}/replicas`, { replicas: [4, 1, 2] }, 200).then(() => {}),
    change: (h) => must(h, "PUT", `${P0}/replicas`, { replicas: [4, 1, 2] }, 200).then(() => {}),
  },
  {
    route: "POST /v1/topics/:name/partitions/:id/elect-leader",
    what: "elect, then another preferred replica",
    method: "POST",
    path: `${P0}/elect-leader`,
    status: 200,
    before: (h) => must(h, "PUT", `${P0}/replicas`, { replicas: [3, 1, 2] }, 200).then(() => {}),
    change: (h) => must(h, "PUT", `${P0}/replicas`, { replicas: [2, 1, 3] }, 200).then(() => {}),
  },
  { route: "POST /v1/topics/:name/partitions/:id/elect-leader", what: "the preferred replica leads already (no record)", method: "POST", path: `${P0}/elect-leader`, status: 200, change: (h) => must(h, "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 0, ISR: [1, 2] }, 200).then(() => {}) },
  { route: "POST /v1/producers", what: "allocate", method: "POST", path: "/v1/producers", body: { brokerId: 1 }, status: 201, change: (h) => must(h, "POST", "/v1/producers", { brokerId: 2 }, 201).then(() => {}) },
  { route: "POST /v1/producers", what: "allocate, fast route", fast: true, method: "POST", path: "/v1/producers", body: { brokerId: 1 }, status: 201, change: (h) => must(h, "POST", "/v1/producers", { brokerId: 2 }, 201).then(() => {}) },
  { route: "POST /register_broker", what: "seed register, then unregistered", method: "POST", path: "/register_broker", body: { brokerId: 6, brokerHost: "h6", brokerPort: 9092, securityProtocol: "PLAINTEXT" }, status: 200, change: (h) => must(h, "PATCH", "/unregister_broker/6", undefined, 200).then(() => {}) },
  { route: "PUT /update_broker/:id", what: "seed update", method: "PUT", path: "/update_broker/3", body: { brokerHost: "s3.example" }, status: 200, change: (h) => must(h, "PUT", "/v1/brokers/3", { brokerHost: "x.example" }, 200).then(() => {}) },
  { route: "PATCH /unregister_broker/:id", what: "seed unregister, then registered again", method: "PATCH", path: "/unregister_broker/4", status: 200, change: (h) => must(h, "POST", "/v1/brokers", broker(4), 201).then(() => {}) },
  { route: "POST /create_topic", what: "seed create, then deleted", method: "POST", path: "/create_topic", body: { name: "legacy" }, status: 200, change: (h) => must(h, "DELETE", "/v1/topics/legacy", undefined, 200).then(() => {}) },
  { route: "POST /create_partition", what: "seed partition, topic deleted and created again", method: "POST", path: "/create_partition", body: { partitionId: 1, topicName: "orders", replicas: [1], ISR: [1], leader: 1 }, status: 200, change: recreateOrders },
  {
    route: "POST /create_producer/:broker_id/:broker_epoch",
    what: "seed producer",
    method: "POST",
    path: async (h) => `/create_producer/1/${await epochOf(h, 1)}`,
    body: {},
    status: 200,
    change: (h) => must(h, "POST", "/v1/producers", { brokerId: 1 }, 201).then(() => {}),
  },
];

interface UnkeyedWrite extends Call {
  route: string;
  /** Its answer without a key (it works); null when the in-process double cannot do it. */
  status: number | null;
  before?: (h: Harness) => Promise<void>;
  /** What the route does that the log does not show (snapshots taken, membership calls). */
  effect?: (h: Harness) => unknown;
}

/** Counts the harness's membership calls (the in-process double refuses them all). */
const membershipCalls = new WeakMap<Harness, number>();
const countMembership = async (h: Harness) => {
  membershipCalls.set(h, 0);
  const bump = () => void membershipCalls.set(h, (membershipCalls.get(h) ?? 0) + 1);
  const { addVoter, removeMember } = h.handle;
  h.handle.addVoter = (...args) => (bump(), addVoter.apply(h.handle, args));
  h.handle.removeMember = (...args) => (bump(), removeMember.apply(h.handle, args));
};

/** A broker registered but not heartbeating yet: a heartbeat would change its status (a record). */
const idleBroker = (h: Harness) => must(h, "POST", "/v1/brokers", broker(7), 201).then(() => {});

const unkeyed: UnkeyedWrite[] = [
  { route: "POST /v1/elect-leaders", method: "POST", path: "/v1/elect-leaders", status: 200, before: (h) => must(h, "PUT", `${P0}/replicas`, { replicas: [3, 1, 2] }, 200).then(() => {}) },
  { route: "POST /v1/broker-mgmt/metadata", method: "POST", path: "/v1/broker-mgmt/metadata", body: { brokerId: 7 }, status: 200, before: idleBroker },
  { route: "POST /v1/broker-mgmt/metadata", fast: true, method: "POST", path: "/v1/broker-mgmt/metadata", body: { brokerId: 7 }, status: 200, before: idleBroker },
  { route: "POST /BrokerMgmt", method: "POST", path: "/BrokerMgmt", body: { brokerId: 7 }, status: 200, before: idleBroker },
  { route: "POST /v1/cluster/voters", method: "POST", path: "/v1/cluster/voters", body: { id: 4, address: "127.0.0.1:9" }, status: null, before: countMembership, effect: (h) => membershipCalls.get(h) },
  { route: "DELETE /v1/cluster/voters/:id", method: "DELETE", path: "/v1/cluster/voters/1", status: null, before: countMembership, effect: (h) => membershipCalls.get(h) },
  { route: "POST /v1/snapshots", method: "POST", path: "/v1/snapshots", status: 201, effect: (h) => h.handle.listSnapshots().length },
  { route: "POST /v1/snapshots/backup", method: "POST", path: "/v1/snapshots/backup", status: 200, effect: (h) => h.handle.listSnapshots().length },
];

/** The template of a route's fast handler: its path in the table is the route's template. */
const templateOf = (route: string) => route.slice(route.indexOf(" ") + 1);

async function call(h: Harness, c: Call & { route: string }, headers: Record<string, string>): Promise<Answer> {
  const path = typeof c.path === "string" ? c.path : await c.path(h);
  if (!c.fast) return send(h.app, c.method, path, c.body, headers);
  const handler = fastRoutesOf(h.app)[templateOf(c.route)]?.[c.method as "POST"];
  if (!handler) throw new Error(`no fast route for ${c.route}`);
  const init: RequestInit = { method: c.method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(c.body ?? {}) };
  const response = await handler(new Request(`http://localhost${path}`, init));
  const text = await response.text();
  const json = (response.headers.get("content-type") ?? "").includes("json") && text !== "" ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, body: json, text };
}

const key = (k: string) => ({ "Idempotency-Key": k });

describe("every write route honours Idempotency-Key", () => {
  for (const c of keyed) {
    describe(`${c.route} (${c.what})`, () => {
      test("a retry after the state changed gets the first answer, and nothing is applied again", async () => {
        const h = await prepared();
        await c.before?.(h);
        const first = await call(h, c, key("retry-1"));
        expect({ status: first.status, text: first.text }).toEqual({ status: c.status, text: expect.any(String) });
        const afterFirst = await h.fingerprint();
        await c.change(h);
        const changed = await h.fingerprint();
        expect(changed).not.toBe(afterFirst);
        const again = await call(h, c, key("retry-1"));
        expect({ status: again.status, text: again.text }).toEqual({ status: first.status, text: first.text });
        expect(await h.fingerprint()).toBe(changed);
      });

      test("a malformed key is 400 and writes nothing", async () => {
        const h = await prepared();
        await c.before?.(h);
        const before = await h.fingerprint();
        for (const bad of ["", "has space", "x".repeat(129)]) {
          const answer = await call(h, c, key(bad));
          expect({ bad, status: answer.status, error: answer.body?.error }).toEqual({ bad, status: 400, error: "bad_request" });
          expect(answer.body.message).toContain("Idempotency-Key must be 1 to 128 characters");
        }
        expect(await h.fingerprint()).toBe(before);
      });

      test("a key already used for another request is 422 idempotency_key_reused and writes nothing", async () => {
        const h = await prepared();
        await c.before?.(h);
        expect((await send(h.app, "POST", "/v1/topics", { name: "elsewhere" }, key("shared-1"))).status).toBe(201);
        const before = await h.fingerprint();
        const answer = await call(h, c, key("shared-1"));
        expect({ status: answer.status, error: answer.body?.error }).toEqual({ status: 422, error: "idempotency_key_reused" });
        expect(answer.body.message).toContain('Idempotency-Key "shared-1" was already used');
        expect(await h.fingerprint()).toBe(before);
      });
    });
  }
});

describe("routes that are not one replicated write refuse Idempotency-Key", () => {
  for (const c of unkeyed) {
    test(`${c.route}${c.fast ? " (fast route)" : ""}: 400 saying why, nothing done; without the key it works`, async () => {
      const h = await prepared();
      await c.before?.(h);
      const before = { log: await h.fingerprint(), effect: c.effect?.(h) };
      const answer = await call(h, c, key("some-key-1"));
      expect({ status: answer.status, error: answer.body?.error }).toEqual({ status: 400, error: "bad_request" });
      expect(answer.body.message).toContain(`Idempotency-Key is not taken by ${c.route}`);
      expect(answer.body.message).toContain("send the request without it");
      expect({ log: await h.fingerprint(), effect: c.effect?.(h) }).toEqual(before);
      if (c.status !== null) expect((await call(h, c, {})).status).toBe(c.status);
    });
  }
});

test("every route but a GET is in one of the two tables", async () => {
  const doc = (await send(makeHarness().app, "GET", "/openapi/json")).body as { paths: Record<string, Record<string, unknown>> };
  const writes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => m !== "get")
      .map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`),
  );
  expect(writes.length).toBeGreaterThan(20);
  const covered = new Set([...keyed, ...unkeyed].map((c) => c.route));
  expect(writes.filter((w) => !covered.has(w)).sort()).toEqual([]);
  expect([...covered].filter((c) => !writes.includes(c)).sort()).toEqual([]);
  // Every fast route that writes is exercised through its fast handler too.
  const fastWrites = Object.entries(fastRoutesOf(makeHarness().app)).flatMap(([path, methods]) => Object.keys(methods).filter((m) => m !== "GET").map((m) => `${m} ${path}`));
  const viaFast = new Set([...keyed, ...unkeyed].filter((c) => c.fast).map((c) => c.route));
  expect(fastWrites.filter((w) => !viaFast.has(w)).sort()).toEqual([]);
});

test("a partition change that wrote no record remembers the partition as it was, across a snapshot", async () => {
  const h = await prepared();
  const first = await send(h.app, "POST", `${P0}/elect-leader`, undefined, key("noop-1"));
  expect(first.body).toMatchObject({ name: "PartitionRecord", fields: { leader: "1", partitionEpoch: 0 } });
  await must(h, "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 0, ISR: [1, 2] }, 200);
  // The remembered record is no longer the image's: the snapshot holds it whole, and a restored replica answers it alike.
  const restored = new MetadataStateMachine();
  restored.restore(h.stateMachine.appliedIndex(), h.stateMachine.snapshot());
  const remembered = (sm: MetadataStateMachine) => [...sm.rememberedInOrder()].find((r) => r.id === "k:noop-1");
  expect(remembered(restored)).toEqual(remembered(h.stateMachine));
  expect(remembered(restored)?.result).toEqual({ ok: true, records: [first.body] });
});
