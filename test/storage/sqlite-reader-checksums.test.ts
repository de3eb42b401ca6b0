// The offline reader (`yakt dump-log`) checks checksums as a node does: a damaged entry or
// snapshot stops it with a ClientError naming the place, never a crash or a wrong record.
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { ClientError } from "../../src/cli/cli-errors.ts";
import { dumpLog } from "../../src/cli/client/dump-log-command.ts";
import { ChecksumError } from "../../src/storage/checksum.ts";
import { SqliteReader } from "../../src/storage/sqlite-reader.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { raw, snapshot, tempDir } from "./helpers.ts";

let cleanup = () => {};
afterEach(() => cleanup());

/** A closed store: entries 1..6 with empty data (no records to replay), commit 6, a snapshot at 2. */
function store(): string {
  const d = tempDir();
  cleanup = d.cleanup;
  const path = join(d.dir, "yakt.db");
  const s = SqliteStorage.open(path);
  const entries = Array.from({ length: 6 }, (_, i) => ({ index: i + 1, term: 1, type: "normal" as const, data: new Uint8Array(0) }));
  s.persist({ hardState: { term: 1, vote: 1, commit: 6 }, entries, snapshot: null });
  s.saveSnapshot(snapshot(2, 1, "not a real image"));
  s.close();
  return path;
}

test("the reader refuses a damaged entry with a ChecksumError naming it; dump-log says so", () => {
  const path = store();
  raw(path, "UPDATE entries SET data = x'00' WHERE idx = 5");
  const reader = SqliteReader.open(path);
  try {
    let caught: unknown;
    try {
      [...reader.entriesAfter(2)];
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ChecksumError);
    expect((caught as ChecksumError).place).toEqual({ kind: "entry", index: 5 });
  } finally {
    reader.close();
  }
});

test("dump-log of a damaged snapshot is a ClientError naming the snapshot", () => {
  const path = store();
  raw(path, "UPDATE snapshots SET data = CAST('not a real imagE' AS BLOB)");
  expect(() => dumpLog(path, 0, 10)).toThrow(ClientError);
  expect(() => dumpLog(path, 0, 10)).toThrow("the snapshot at index 2 fails its checksum");
});
