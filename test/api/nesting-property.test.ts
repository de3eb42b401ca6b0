// Random deep and wide bodies (fixed seed) at every route that takes a body: the API never answers
// 5xx, every refusal is the JSON error shape with a short message, and a refused request writes
// nothing. Shapes: nesting from 0 to 60,000 levels of arrays or objects, long arrays, many keys and
// long strings, placed in a known field, an unknown one or at the top.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const ROUTES: [string, string][] = [
  ["POST", "/v1/brokers"],
  ["PUT", "/v1/brokers/1"],
  ["POST", "/v1/topics"],
  ["POST", "/v1/topics/t1/partitions"],
  ["POST", "/v1/producers"],
  ["POST", "/v1/broker-mgmt/metadata"],
  ["POST", "/register_broker"],
  ["PUT", "/update_broker/1"],
  ["POST", "/create_topic"],
  ["POST", "/create_partition"],
  ["POST", "/create_producer/1/0"],
  ["POST", "/BrokerMgmt"],
  ["DELETE", "/v1/brokers/9"],
  ["POST", "/v1/snapshots"],
];
const FIELDS = ["name", "brokerId", "brokerHost", "replicas", "ISR", "since", "partitionId", "zz", ""];

/** A JSON text of the given shape; built as text so the depth is not limited by JSON.stringify. */
function shaped(kind: string, depth: number, width: number, leaf: string): string {
  switch (kind) {
    case "arrays":
      return `${"[".repeat(depth)}${leaf}${"]".repeat(depth)}`;
    case "objects":
      return `${'{"k":'.repeat(depth)}${leaf}${"}".repeat(depth)}`;
    case "mixed":
      return `${'[{"k":'.repeat(Math.ceil(depth / 2))}${leaf}${"}]".repeat(Math.ceil(depth / 2))}`;
    case "wide-array":
      return `[${Array(width).fill(leaf).join(",")}]`;
    case "wide-object":
      return `{${Array.from({ length: width }, (_, i) => `"k${i}":${leaf}`).join(",")}}`;
    default:
      return `"${"x".repeat(width * 8)}"`;
  }
}

const value = fc.record({
  kind: fc.constantFrom("arrays", "objects", "mixed", "wide-array", "wide-object", "long-string"),
  depth: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 60_000 })),
  width: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 60_000 })),
  leaf: fc.constantFrom("1", '"t"', "null", "[]", "{}", '"[[[{"', "-1e999"),
});
const request = fc.record({ route: fc.constantFrom(...ROUTES), field: fc.constantFrom(...FIELDS), value, sibling: fc.boolean() });

test("random deep and wide bodies: never a 5xx, always a short JSON error, nothing written when refused", async () => {
  const h = makeHarness();
  await h.seed();
  const statuses = new Set<number>();
  await fc.assert(
    fc.asyncProperty(request, async ({ route: [method, path], field, value: v, sibling }) => {
      const inner = shaped(v.kind, v.depth, v.width, v.leaf);
      const body = field === "" ? inner : `{${sibling ? '"name":"t2",' : ""}"${field}":${inner}}`;
      const before = await h.fingerprint();
      const answer = await send(h.app, method, path, body);
      statuses.add(answer.status);
      expect(answer.status).toBeLessThan(500);
      if (answer.status >= 400) {
        expect(answer.body.error).toBeString();
        expect(answer.text.length).toBeLessThan(500);
        expect(await h.fingerprint()).toEqual(before);
      }
    }),
    { seed: 20261206, numRuns: 300 },
  );
  // Both refusals by the nesting bound (400) and by validation (422) must have been exercised.
  expect(statuses.has(400)).toBe(true);
  expect(statuses.has(422)).toBe(true);
});
