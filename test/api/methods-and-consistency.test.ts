// Issue 9 §7: a method a route does not serve is 405 with `Allow` (OPTIONS and TRACE included),
// an unknown path stays 404, and every read route accepts `?consistency=stale`.
import { expect, test } from "bun:test";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const NOT_SERVED: [string, string, string][] = [
  ["OPTIONS", "/v1/topics", "GET, HEAD, POST"],
  ["TRACE", "/v1/topics", "GET, HEAD, POST"],
  ["OPTIONS", "/v1/topics/t1", "DELETE, GET, HEAD"],
  ["TRACE", "/v1/brokers/1", "DELETE, GET, HEAD, PUT"],
  ["OPTIONS", "/v1/cluster", "GET, HEAD"],
  ["PATCH", "/v1/broker-mgmt/metadata", "POST"],
  ["OPTIONS", "/register_broker", "POST"],
  ["TRACE", "/unregister_broker/1", "PATCH"],
];

for (const [method, path, allow] of NOT_SERVED) {
  test(`${method} ${path} → 405 with Allow: ${allow}`, async () => {
    const h = makeHarness();
    await h.seed();
    const before = await h.fingerprint();
    const answer = await send(h.app, method, path);
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe(allow);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(answer.body).toEqual({ error: "method_not_allowed", message: `${method} is not served on ${path}; it takes ${allow}` });
    expect(await h.fingerprint()).toBe(before);
  });
}

test("unknown paths stay 404 whatever the method", async () => {
  const h = makeHarness();
  for (const [method, path] of [["OPTIONS", "/nope"], ["TRACE", "/v1/topics/t1/x/y"], ["GET", "/v1"], ["OPTIONS", "/v2/topics"]]) {
    const answer = await send(h.app, method, path);
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe("not_found");
    expect(answer.headers.get("allow")).toBeNull();
  }
});

test("every read route accepts consistency=stale; the node-local ones refuse linearizable, saying why", async () => {
  const h = makeHarness();
  await h.seed();
  const reads = ["/v1/brokers", "/v1/brokers/1", "/v1/topics", "/v1/topics/t1", "/v1/cluster", "/v1/log", "/v1/client-mgmt/metadata", "/v1/snapshots"];
  for (const path of reads) {
    const answer = await send(h.app, "GET", `${path}?consistency=stale`);
    expect({ path, status: answer.status }).toEqual({ path, status: 200 });
  }
  const cluster = await send(h.app, "GET", "/v1/cluster?consistency=stale");
  expect(cluster.body).toMatchObject({ nodeId: 1, role: "leader" });
  // ClientMgmt takes both: linearizable (default) after a read barrier, stale from what this node applied.
  expect((await send(h.app, "GET", "/v1/client-mgmt/metadata?consistency=linearizable")).status).toBe(200);
  for (const path of ["/v1/cluster", "/v1/log", "/v1/snapshots", "/v1/snapshots/latest"]) {
    const answer = await send(h.app, "GET", `${path}?consistency=linearizable`);
    expect(answer.status).toBe(422);
    expect(answer.body.message).toBe(`query.consistency: Expected "stale": this route always answers from this node's own state (got "linearizable")`);
  }
});
