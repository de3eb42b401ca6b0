// Random requests at every route (fixed seed): the API never answers 5xx, and a request it refuses
// changes nothing: neither the metadata log nor the Raft log moves.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const ROUTES: [string, string][] = [
  ["POST", "/v1/brokers"],
  ["GET", "/v1/brokers"],
  ["GET", "/v1/brokers/:id"],
  ["PUT", "/v1/brokers/:id"],
  ["DELETE", "/v1/brokers/:id"],
  ["POST", "/v1/topics"],
  ["GET", "/v1/topics"],
  ["GET", "/v1/topics/:name"],
  ["POST", "/v1/topics/:name/partitions"],
  ["POST", "/v1/producers"],
  ["POST", "/v1/broker-mgmt/metadata"],
  ["GET", "/v1/client-mgmt/metadata"],
  ["GET", "/v1/cluster"],
  ["GET", "/v1/log"],
  ["GET", "/v1/snapshots"],
  ["GET", "/v1/snapshots/latest"],
  ["GET", "/healthz"],
  ["POST", "/register_broker"],
  ["GET", "/get_all_active_brokers"],
  ["GET", "/get_broker_by_id/:id"],
  ["POST", "/create_topic"],
  ["GET", "/get_topic_by_name/:name"],
  ["POST", "/create_partition"],
  ["POST", "/create_producer/:id/:epoch"],
  ["PUT", "/update_broker/:id"],
  ["PATCH", "/unregister_broker/:id"],
  ["GET", "/BrokerMgmt"],
  ["POST", "/BrokerMgmt"],
  ["GET", "/ClientMgmt"],
  ["GET", "/status"],
  ["GET", "/no/such/route"],
];

const idText = fc.oneof(
  fc.constantFrom("1", "2", "3", "0", "-1", "1e3", "abc", "99999999999999999999", "%00", "..", "1.5", ""),
  fc.nat({ max: 5 }).map(String),
);
const nameText = fc.oneof(fc.constantFrom("t1", "t_1", "t.1", ".", "..", "a%20b", "x".repeat(300), "%F0%9F%98%80"), fc.stringMatching(/^[a-z._-]{1,6}$/));
const brokerId = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(-1, 2 ** 31, 1.5, "1", null));
const smallText = fc.oneof(fc.constantFrom("eg1.com", "9092", "PLAINTEXT", "", "r1", "x".repeat(300), "ü"), fc.string({ maxLength: 8 }));
const ids = fc.array(brokerId, { maxLength: 4 });
const field = fc.oneof(brokerId, smallText, ids, fc.boolean(), fc.constant(undefined));

/** Bodies near the valid ones (so some are accepted and change state) and far from them. */
const body = fc.oneof(
  fc.record({ brokerId, brokerHost: smallText, brokerPort: smallText, securityProtocol: smallText, rackId: smallText }, { requiredKeys: [] }),
  fc.record({ name: nameText, partitions: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constant(1e9)), replicationFactor: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: ["name"] }),
  fc.record({ partitionId: fc.integer({ min: -1, max: 3 }), topicName: nameText, replicas: ids, ISR: ids, leader: fc.oneof(smallText, brokerId) }, { requiredKeys: [] }),
  fc.record({ brokerId, producerId: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constant(2 ** 60)), since: fc.oneof(fc.nat({ max: 20 }), smallText), wait_ms: fc.constantFrom(0, 30001, -1) }, { requiredKeys: [] }),
  fc.dictionary(fc.string({ maxLength: 6 }), field, { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.constant(undefined),
);

const query = fc.oneof(
  fc.constant(""),
  fc.constantFrom("?consistency=stale", "?consistency=x", "?all=true", "?status=ALIVE", "?since=0", "?since=abc", "?wait_ms=0", "?wait_ms=40000", "?limit=0", "?limit=5&from=1", "?brokerId=1", "?x=1"),
);

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/** Known routes with odd parameters, and any method on any path. */
const route = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.webPath({ size: "small" }).map((p) => (p.startsWith("/") ? p : `/${p}`))) },
);

const request = fc.record({ route, id: idText, epoch: idText, name: nameText, query, body });

test("random requests: no 5xx, and nothing written unless the request was accepted", async () => {
  const h = makeHarness();
  await h.seed();
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const [method, template] = r.route;
      const path = template.replace(":id", r.id).replace(":epoch", r.epoch).replace(":name", r.name) + r.query;
      const before = await h.fingerprint();
      const answer = await send(h.app, method, path, typeof r.body === "string" || r.body === undefined ? r.body : JSON.stringify(r.body));
      expect(answer.status).toBeLessThan(500);
      if (answer.status >= 400) {
        expect(answer.body.error).toBeString();
        expect(answer.body.message).toBeString();
        expect(await h.fingerprint()).toEqual(before);
      } else accepted++;
    }),
    { seed: 20261125, numRuns: 400 },
  );
  // The run must exercise both sides, or it proves little.
  expect(accepted).toBeGreaterThan(20);
});
