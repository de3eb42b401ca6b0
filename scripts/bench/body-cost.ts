// What hostile request bodies cost the event loop: each shape is sent through app.handle (the real
// API and metadata service over the in-process consensus double; no socket), and the time it held
// the loop is printed per KiB of body, with the status and the length of the answer. Not part of
// `make bench` or the tests (speed is never asserted); run it to compare two builds:
//   bun run scripts/bench/body-cost.ts            (ROUNDS=5 by default; the median is printed)
import { makeHarness } from "../../test/api/support/harness.ts";
import { send } from "../../test/api/support/request.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const KIB = 1024;
const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const deepObjects = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
const wideArray = (bytes: number) => `[${Array(Math.floor(bytes / 2)).fill("1").join(",")}]`;
const wideObject = (bytes: number) => `{${Array.from({ length: Math.floor(bytes / 12) }, (_, i) => `"k${i}":1`).join(",")}}`;

const CASES: [string, string, string][] = [
  ["3,000 levels in zz (6 KB)", "/v1/topics", `{"name":"x","zz":${deep(3_000)}}`],
  ["10,000 levels in name", "/v1/topics", `{"name":${deep(10_000)}}`],
  ["50,000 levels in zz (100 KB)", "/v1/topics", `{"name":"x","zz":${deep(50_000)}}`],
  ["20,000 nested objects in zz", "/v1/topics", `{"name":"x","zz":${deepObjects(20_000)}}`],
  ["seed: 50,000 levels", "/create_topic", `{"name":"x","zz":${deep(50_000)}}`],
  ["900 KiB array in zz", "/v1/topics", `{"name":"x","zz":${wideArray(900 * KIB)}}`],
  ["900 KiB array as name", "/v1/topics", `{"name":${wideArray(900 * KIB)}}`],
  ["800 KiB of keys", "/v1/topics", wideObject(900 * KIB)],
  ["900 KiB string as name", "/v1/topics", `{"name":"${"x".repeat(900 * KIB)}"}`],
  ["900 KiB of replicas", "/v1/topics/t1/partitions", `{"partitionId":1,"replicas":${wideArray(900 * KIB)},"ISR":[],"leader":"1"}`],
  ["a valid topic (reference)", "/v1/topics", `{"name":"ok"}`],
];

const h = makeHarness();
await h.seed();
// Warm-up: the first request compiles the routes' handlers and schemas.
await send(h.app, "POST", "/v1/topics", `{"name":"warm"}`);
console.log("case                              KiB  status   ms (median)   ms/KiB   answer chars");
for (const [label, path, template] of CASES) {
  const times: number[] = [];
  let status = 0;
  let chars = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // A valid create must not hit "already exists" on later rounds.
    const body = template === `{"name":"ok"}` ? `{"name":"ok${round}"}` : template;
    const start = performance.now();
    const answer = await send(h.app, "POST", path, body);
    times.push(performance.now() - start);
    status = answer.status;
    chars = answer.text.length;
  }
  const ms = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  const kib = template.length / KIB;
  console.log(`${label.padEnd(32)} ${kib.toFixed(1).padStart(6)}  ${status}  ${ms.toFixed(2).padStart(12)}  ${(ms / kib).toFixed(4).padStart(8)}  ${String(chars).padStart(8)}`);
}
