// Micro-benchmark of SqliteStorage.persist: entries/s and fsyncs/s for batches of 1, 16 and 256
// entries of 200 bytes. Each persist() is one transaction and one fdatasync of the WAL
// (wal-sync.ts: persist() waits for it; the runtime's write() + flush() does the same off the
// loop), so fsyncs/s = persists/s. Every size runs for a bounded count and time.
// Usage: bun scripts/bench-storage.ts [--dir <directory on the disk to measure>]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry } from "../src/raft/types.ts";
import { SqliteStorage } from "../src/storage/sqlite-storage.ts";

const BATCH_SIZES = [1, 16, 256];
const ENTRY_BYTES = 200;
const MAX_PERSISTS = 2_000;
const MAX_ENTRIES = 100_000;
const TIME_BUDGET_MS = 2_000;

interface Row {
  batch: number;
  persists: number;
  entries: number;
  seconds: number;
}

function baseDir(): string {
  const i = process.argv.indexOf("--dir");
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : tmpdir();
}

function makeBatch(from: number, size: number, data: Uint8Array): Entry[] {
  return Array.from({ length: size }, (_, k) => ({ index: from + k, term: 1, type: "normal" as const, data }));
}

function measure(dir: string, batch: number): Row {
  const store = SqliteStorage.open(join(dir, `bench-${batch}.db`));
  const data = new Uint8Array(ENTRY_BYTES).fill(0x61);
  let last = 0;
  let persists = 0;
  const start = performance.now();
  try {
    while (persists < MAX_PERSISTS && last < MAX_ENTRIES && performance.now() - start < TIME_BUDGET_MS) {
      store.persist({ hardState: { term: 1, vote: 1, commit: last }, entries: makeBatch(last + 1, batch, data), snapshot: null });
      last += batch;
      persists += 1;
    }
  } finally {
    store.close();
  }
  return { batch, persists, entries: last, seconds: (performance.now() - start) / 1000 };
}

function printTable(rows: Row[]): void {
  const header = ["batch", "persists", "entries", "seconds", "entries/s", "fsyncs/s"];
  const cells = rows.map((r) => [
    String(r.batch),
    String(r.persists),
    String(r.entries),
    r.seconds.toFixed(2),
    Math.round(r.entries / r.seconds).toString(),
    Math.round(r.persists / r.seconds).toString(),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padStart(widths[i])).join("  ");
  console.log(`storage: SqliteStorage.persist, ${ENTRY_BYTES}-byte entries, WAL + fdatasync per persist`);
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}

const dir = mkdtempSync(join(baseDir(), "yakt-bench-storage-"));
try {
  printTable(BATCH_SIZES.map((b) => measure(dir, b)));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
