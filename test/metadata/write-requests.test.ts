// buildCommand's output pinned byte for byte: a command's JSON is what every replica applies, and
// its fingerprint is remembered with the request id (in snapshots too), so a retry reaching a
// leader of another version must get the same fingerprint. Values from the code before the
// drafts were built without Object.entries/fromEntries.
import { expect, test } from "bun:test";
import { type WriteRequest, buildCommand } from "../../src/metadata/write-requests.ts";

const stamp = { timestamp: "2026-12-07T10:00:00.000Z", newId: () => "fresh-id" };

test("commands and their fingerprints are the same text as before", () => {
  const cases: [WriteRequest, string][] = [
    [
      { kind: "updateBroker", brokerId: 3, request: { brokerPort: "9093", brokerHost: "h3", extra: 1 } as never, requestId: "k:key-1" },
      '{"kind":"changeBroker","timestamp":"2026-12-07T10:00:00.000Z","brokerId":3,"change":"update","brokerHost":"h3","brokerPort":"9093","requestId":"k:key-1","requestHash":"8159edaf0f4c8cb49edf7db5114d9ba6"}',
    ],
    [
      { kind: "updateBroker", brokerId: 3, request: { securityProtocol: "SSL", brokerHost: undefined }, requestId: "k:key-2" },
      '{"kind":"changeBroker","timestamp":"2026-12-07T10:00:00.000Z","brokerId":3,"change":"update","securityProtocol":"SSL","requestId":"k:key-2","requestHash":"3336f657424d42422973ae5a543790c9"}',
    ],
    [
      { kind: "registerBroker", request: { brokerId: 4, brokerHost: "h4", brokerPort: "9094", securityProtocol: "PLAINTEXT", rackId: "r1" }, requestId: "n:abc" },
      '{"kind":"registerBroker","timestamp":"2026-12-07T10:00:00.000Z","internalUUID":"fresh-id","brokerId":4,"brokerHost":"h4","brokerPort":"9094","securityProtocol":"PLAINTEXT","rackId":"r1","requestId":"n:abc","requestHash":"e7e5f64d1a91b535758cb350c9e33d5f"}',
    ],
    [
      { kind: "registerProducer", request: { brokerId: 4 }, requestId: "n:def" },
      '{"kind":"registerProducer","timestamp":"2026-12-07T10:00:00.000Z","brokerId":4,"requestId":"n:def","requestHash":"be6fa5fc158eb6b9c8f342c5780dfb3f"}',
    ],
    [
      { kind: "createPartitions", topicName: "t", request: { count: 2 }, requestId: "n:ghi" },
      '{"kind":"createPartitions","timestamp":"2026-12-07T10:00:00.000Z","topicName":"t","count":2,"requestId":"n:ghi","requestHash":"018d0fba18e1c7adf183c88b43a328f3"}',
    ],
  ];
  for (const [write, text] of cases) expect(JSON.stringify(buildCommand(write, stamp))).toBe(text);
});

test("an update that names no field is refused, whatever else it holds", () => {
  expect(() => buildCommand({ kind: "updateBroker", brokerId: 1, request: { brokerHost: undefined, rackId: "r" } as never }, stamp)).toThrow(
    "update of broker 1 names no field to change (brokerHost, brokerPort, securityProtocol)",
  );
});
