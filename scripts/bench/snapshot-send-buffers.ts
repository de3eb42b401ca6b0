// What sending a snapshot leaves in a leader's buffers, in-process: a SQLite store holding a
// snapshot of --mb MB (21.8 at 1M partitions) sends it chunk by chunk, as a leader does (each chunk
// read from the store right before it goes out, the next once the last arrived), over a real
// PeerTransport to a second one. Printed: the process's resident set and external bytes (buffers)
// before and after the transfer without a collection in between, and after a full one (the part
// that was garbage); the CPU the transfer took. RSS is the measure: Bun's external figure counts a
// buffer freed by ArrayBuffer.prototype.transfer(0) until the next collection, though its memory
// is given back at once. Compare two builds by running it in each checkout:
//   bun scripts/bench/snapshot-send-buffers.ts [--mb 22] [--chunk-kib 1024]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { withSnapshotBytes } from "../../src/node/snapshot-sending.ts";
import { chunkAt } from "../../src/raft/snapshot-chunks.ts";
import type { Membership, Message } from "../../src/raft/types.ts";
import { SqliteStorage } from "../../src/storage/index.ts";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { positiveIntFlag } from "./flags.ts";

const MB = positiveIntFlag("--mb", 22);
const CHUNK = positiveIntFlag("--chunk-kib", 1024) * 1024;
const MIB = 2 ** 20;
const membership: Membership = { voters: [1, 2, 3], learners: [], addresses: {} };

const external = () => process.memoryUsage().external / MIB;
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? Number.NaN) / 1024;
const both = () => `RSS ${rss().toFixed(0)} MiB (external ${external().toFixed(1)})`;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function transport(id: number, onMessages: (msgs: Message[]) => void): PeerTransport {
  return new PeerTransport({ clusterId: "bench", nodeId: id, listenHost: "127.0.0.1", listenPort: 0, peers: new Map(), onMessages, onRequest: async () => new Uint8Array(0) });
}

const dir = mkdtempSync(join(tmpdir(), "yakt-send-"));
const store = SqliteStorage.open(join(dir, "yakt.db"));
const data = new Uint8Array(Math.round(MB * 1e6)).map((_, i) => (i * 2_654_435_761) >>> 24);
store.persist({ hardState: { term: 1, vote: 0, commit: 10 }, entries: [], snapshot: { meta: { index: 10, term: 1, membership }, data } });
const ref = { meta: { index: 10, term: 1, membership }, size: data.byteLength };
let received = 0;
const sender = transport(1, () => {});
const receiver = transport(2, (msgs) => {
  for (const m of msgs) received += m.snapshot?.data.byteLength ?? 0;
});
const addresses = new Map([
  [2, `127.0.0.1:${(await receiver.start()).port}`],
  [1, `127.0.0.1:${(await sender.start()).port}`],
]);
for (const t of [sender, receiver]) t.setPeers(addresses);
await waitUntil("connected", () => sender.stats().peers[0]?.connected === true, 10_000, 5);
Bun.gc(true);
const before = both();
const cpu0 = cpuMs();
const t0 = performance.now();
for (let offset = 0; offset < ref.size; offset += CHUNK) {
  const msg: Message = { type: "Snap", from: 1, to: 2, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: 0, force: false, snapshot: chunkAt(ref, offset, CHUNK), directoryId: "" };
  sender.send(withSnapshotBytes([msg], store, CHUNK, () => {
    throw new Error("the snapshot vanished");
  }));
  const want = Math.min(ref.size, offset + CHUNK);
  await waitUntil(`chunk at ${offset} received`, () => received >= want, 30_000, 1);
}
const ms = performance.now() - t0;
const cpu = cpuMs() - cpu0;
const after = both();
Bun.gc(true);
const collected = both();
console.log(`${(ref.size / 1e6).toFixed(1)} MB in chunks of ${CHUNK / 1024} KiB, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
console.log(`before: ${before}; after the transfer: ${after}; after a full collection: ${collected}; transfer ${ms.toFixed(0)} ms, CPU ${cpu.toFixed(0)} ms (both ends, one process)`);
await sender.stop();
await receiver.stop();
store.close();
rmSync(dir, { recursive: true, force: true });
