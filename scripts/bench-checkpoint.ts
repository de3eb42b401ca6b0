// How long SqliteStorage's write() holds the caller, commit by commit, under a steady Raft-like
// append load: the slow tail is where a WAL checkpoint ran inside the commit that crossed
// SQLite's threshold (or, with checkpoints on the worker thread, where none should be). Also
// reports how large the WAL file grew and how many writes per second the loop sustained.
// --flush follows each write with a flush (the WAL fsync on the I/O pool) before the next, as a
// node's write pipeline does under load; without it writes come back to back, with no pause in
// which a passive checkpoint could complete.
//
//   bun run scripts/bench-checkpoint.ts [--writes 20000] [--entries 4] [--bytes 300] [--flush]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Entry } from "../src/raft/types.ts";
import { SqliteStorage } from "../src/storage/sqlite-storage.ts";

const { values } = parseArgs({
  options: {
    writes: { type: "string", default: "20000" },
    entries: { type: "string", default: "4" },
    bytes: { type: "string", default: "300" },
    flush: { type: "boolean", default: false },
  },
});
const writes = Number(values.writes);
const perWrite = Number(values.entries);
const bytes = Number(values.bytes);
if (![writes, perWrite, bytes].every((n) => Number.isInteger(n) && n > 0)) throw new Error("--writes, --entries and --bytes must be positive integers");

const dir = mkdtempSync(join(tmpdir(), "yakt-bench-checkpoint-"));
const path = join(dir, "yakt.db");
const store = SqliteStorage.open(path);
const times: number[] = [];
let walPeak = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
try {
  let index = 0;
  for (let w = 0; w < writes; w++) {
    const entries: Entry[] = [];
    for (let i = 0; i < perWrite; i++) entries.push({ index: ++index, term: 1, type: "normal", data: new Uint8Array(bytes).fill(index & 0xff) });
    const start = performance.now();
    store.write({ hardState: { term: 1, vote: 1, commit: Math.max(0, index - perWrite) }, entries, snapshot: null });
    times.push(performance.now() - start);
    if (values.flush) await new Promise<void>((resolve, reject) => store.flush((err) => (err === null ? resolve() : reject(err))));
    if (w % 1000 === 0) {
      walPeak = Math.max(walPeak, statSync(`${path}-wal`).size);
      // Like the node: compaction keeps the log short, so the database does not grow without end.
      if (index > 20_000) store.saveSnapshot({ meta: { index: index - 10_000, term: 1, membership: { voters: [1], learners: [], addresses: {} } }, data: new Uint8Array(64) });
      if (index > 20_000) store.sweepSnapshots({ entries: 1_000_000, chunks: 1_000 });
    }
  }
} finally {
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(3);
  const slow = (ms: number) => times.filter((t) => t > ms).length;
  console.log(
    `${writes} writes of ${perWrite}×${bytes} B${values.flush ? ", each flushed" : ""}: ${((writes * 1000) / wallMs).toFixed(0)} writes/s, CPU ${(((cpu.user + cpu.system) / writes)).toFixed(0)} µs/write (process, all threads); ` +
      `write() p50 ${at(50)} ms, p99 ${at(99)} ms, p99.9 ${at(99.9)} ms, max ${times[times.length - 1]!.toFixed(1)} ms; ` +
      `over 2/10/100 ms: ${slow(2)}/${slow(10)}/${slow(100)}; WAL peak ${(walPeak / 1024 / 1024).toFixed(1)} MiB`,
  );
}
