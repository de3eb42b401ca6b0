// The broker fleet's answer scan (scripts/bench/broker-polls.ts scanAnswer): for answers shaped as
// the node writes them (answer-stream.ts), it finds the same offsets JSON.parse would, whatever
// the records' strings hold; and it refuses answers a broker must not accept (records out of
// order, at or before since, past the answer's offset; an answer behind since; no answer at all).
// The fleet scans an answer where it lies in the socket's bytes: nothing outside it is read.
import { expect, test } from "bun:test";
import { scanAnswer, scanAnswerBytes } from "../../scripts/bench/broker-polls.ts";
import { seededRandom } from "../support/seeded-random.ts";

/** Strings a record may hold, including every character the scan looks for, escaped by JSON. */
const NASTY = ['","offset":1,', '"offset":', "\\", '\\",', "é", ",", "{}[]", 'a\\"offset\\":9'];

function record(offset: number, random: () => number) {
  const text = () => NASTY[Math.floor(random() * NASTY.length)] + String(Math.floor(random() * 1000));
  const kinds = [
    { name: "TopicRecord", fields: { topicUUID: text(), name: text() } },
    { name: "PartitionRecord", fields: { partitionId: 1, topicUUID: text(), replicas: [1, 2], ISR: [1], removingReplicas: [], addingReplicas: [], leader: text(), partitionEpoch: 3 } },
    { name: "RegisterBrokerRecord", fields: { internalUUID: text(), brokerId: 4, brokerHost: text(), brokerPort: "9092", securityProtocol: "PLAINTEXT", brokerStatus: "ALIVE", rackId: text(), epoch: 2 } },
  ];
  const kind = kinds[Math.floor(random() * kinds.length)];
  return { type: "metadata", name: kind.name, offset, timestamp: "2026-12-07T00:00:00.000Z", fields: kind.fields };
}

/** A diff as the node writes it: the head's keys first, then the records, oldest first. */
const diff = (offset: number, records: object[]) => `${JSON.stringify({ mode: "diff", offset }).slice(0, -1)},"records":[${records.map((r) => JSON.stringify(r)).join(",")}]}`;

test("a diff's offsets are found as JSON.parse finds them, whatever the strings hold (seeded)", () => {
  const random = seededRandom(20261207);
  for (let round = 0; round < 300; round++) {
    const since = Math.floor(random() * 1000);
    const offsets: number[] = [];
    for (let at = since + 1; offsets.length < Math.floor(random() * 6); at += 1 + Math.floor(random() * 3)) offsets.push(at);
    const offset = (offsets.at(-1) ?? since) + Math.floor(random() * 3);
    const body = diff(offset, offsets.map((o) => record(o, random)));
    const parsed = JSON.parse(body) as { offset: number; records: { offset: number }[] };
    expect(scanAnswer(body, since)).toEqual({ mode: "diff", offset: parsed.offset, records: parsed.records.map((r) => r.offset) });
  }
});

test("a snapshot gives its offset and no records", () => {
  const body = `${JSON.stringify({ mode: "snapshot", offset: 42 }).slice(0, -1)},"snapshot":{"brokers":[${JSON.stringify(record(3, seededRandom(1)))}],"topics":[],"partitions":[],"producers":[]}}`;
  expect(scanAnswer(body, undefined)).toEqual({ mode: "snapshot", offset: 42, records: [] });
});

test("answers a broker must not accept are refused, saying why", () => {
  const random = seededRandom(7);
  const r = (offset: number) => record(offset, random);
  expect(() => scanAnswer(diff(12, [r(11), r(10)]), 9)).toThrow("out of order");
  expect(() => scanAnswer(diff(12, [r(11), r(11), r(10)]), 9)).toThrow("out of order");
  expect(() => scanAnswer(diff(12, [r(9), r(9)]), 9)).toThrow("out of order");
  expect(() => scanAnswer(diff(12, [r(9)]), 9)).toThrow("out of order");
  expect(() => scanAnswer(diff(12, [r(13)]), 9)).toThrow("out of order");
  expect(() => scanAnswer(diff(8, []), 9)).toThrow("behind since");
  expect(() => scanAnswer('{"error":"no_leader","message":"x"}', 9)).toThrow("no diff or snapshot");
  expect(() => scanAnswer('{"mode":"diff","offset":x,"records":[]}', 9)).toThrow("no offset");
  expect(() => scanAnswer('{"mode":"diff","offset":12,"snapshot":{}}', 9)).toThrow("without records");
  expect(scanAnswer(diff(12, []), 12)).toEqual({ mode: "diff", offset: 12, records: [] });
});

test("the records of one entry share its offset and arrive once", () => {
  const random = seededRandom(11);
  const r = (offset: number) => record(offset, random);
  expect(scanAnswer(diff(12, [r(10), r(10), r(10), r(12)]), 9)).toEqual({ mode: "diff", offset: 12, records: [10, 12] });
});

test("an answer is scanned where it lies among other bytes, and nothing past its end is read", () => {
  const random = seededRandom(13);
  const answer = diff(12, [record(10, random), record(11, random)]);
  const around = Buffer.from(`HTTP/1.1 200 OK\r\n\r\n${answer}${JSON.stringify(record(12, random))}`);
  const start = around.indexOf('{"mode"');
  const end = start + Buffer.byteLength(answer);
  expect(scanAnswerBytes(around, start, end, 9)).toEqual({ mode: "diff", offset: 12, records: [10, 11] });
  // Cut short, its last record's offset has no end: refused, not read from the bytes after it.
  expect(() => scanAnswerBytes(around, start, start + answer.indexOf('"offset":11') + 10, 9)).toThrow("no offset");
});
