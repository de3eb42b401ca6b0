// `yakt recover` on a store: the plan, the write, and its refusals (a held database, a voters list
// without the node, an empty log, no database). The real-process run is test/cluster/recover.test.ts.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DB_FILE } from "../../src/cli/data-dir.ts";
import { parseRecoverArgs } from "../../src/cli/recover-command.ts";
import { recoverDataDir } from "../../src/cli/recover-data-dir.ts";
import { decodeMembership, encodeMembership } from "../../src/raft/types.ts";
import { SqliteStorage } from "../../src/storage/index.ts";
import { MEMBERS, run, tempDir } from "../storage/helpers.ts";

let cleanup: () => void = () => {};
afterEach(() => cleanup());

const NEW_VOTERS = new Map([[1, "127.0.0.1:9001"]]);

/** A stopped node 1's data dir: a config entry, then normal entries 2..5 of term 2, commit 3. */
function survivor(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  const dir = join(t.dir, "node-1");
  mkdirSync(dir);
  const s = SqliteStorage.open(join(dir, DB_FILE));
  s.format({ clusterId: "c", nodeId: 1 });
  const config = { index: 1, term: 1, type: "config" as const, data: encodeMembership(MEMBERS) };
  s.persist({ hardState: { term: 3, vote: 2, commit: 3 }, entries: [config, ...run(2, 5, 2)], snapshot: null });
  s.close();
  return dir;
}

describe("yakt recover", () => {
  test("appends a config entry naming the new voters in the current term and commits the whole log", () => {
    const dir = survivor();
    const lines = recoverDataDir({ dataDir: dir, voters: NEW_VOTERS });
    expect(lines).toEqual([
      `recovered data dir ${dir} (cluster c, node 1)`,
      "membership was voters [1, 2, 3], learners []; now voters [1], learners [] (config entry 6, term 3)",
      "commit index 3 -> 6: entries 4..5, never known to be committed, are now committed",
      "start the node as before; it elects itself. Format new nodes and add them with add-voter.",
    ]);
    const s = SqliteStorage.open(join(dir, DB_FILE));
    const restored = s.load();
    s.close();
    expect(restored.hardState).toEqual({ term: 3, vote: 2, commit: 6 });
    const last = restored.entries.at(-1)!;
    expect({ index: last.index, term: last.term, type: last.type }).toEqual({ index: 6, term: 3, type: "config" });
    expect(decodeMembership(last.data)).toEqual({ voters: [1], learners: [], addresses: { "1": "127.0.0.1:9001" } });
    expect(restored.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("other voters listed are told to join as fresh joiners", () => {
    const lines = recoverDataDir({ dataDir: survivor(), voters: new Map([[1, "127.0.0.1:9001"], [4, "127.0.0.1:9004"]]) });
    expect(lines.at(-1)).toBe(
      "start the node as before; format nodes 4 anew and start each as a joiner (its --peers naming node 1, not itself): they vote for node 1 and catch up from it.",
    );
  });

  test("refuses a database a running node holds, and writes nothing", () => {
    const dir = survivor();
    const held = SqliteStorage.open(join(dir, DB_FILE));
    try {
      held.load();
      expect(() => recoverDataDir({ dataDir: dir, voters: NEW_VOTERS })).toThrow(`data dir ${dir} is in use by a running node: stop it first`);
    } finally {
      held.close();
    }
    const s = SqliteStorage.open(join(dir, DB_FILE));
    expect(s.load().hardState.commit).toBe(3);
    s.close();
  });

  test("refuses a voters list without this node", () => {
    const dir = survivor();
    expect(() => recoverDataDir({ dataDir: dir, voters: new Map([[2, "127.0.0.1:9002"]]) })).toThrow(
      "--voters must include this node (1), the one that is recovered; got 2",
    );
  });

  test("refuses an empty log and a missing database", () => {
    const t = tempDir();
    cleanup = t.cleanup;
    expect(() => recoverDataDir({ dataDir: t.dir, voters: NEW_VOTERS })).toThrow(`no database at ${join(t.dir, DB_FILE)}`);
    const s = SqliteStorage.open(join(t.dir, DB_FILE));
    s.format({ clusterId: "c", nodeId: 1 });
    s.close();
    expect(() => recoverDataDir({ dataDir: t.dir, voters: NEW_VOTERS })).toThrow("the log is empty: there is nothing to recover");
  });

  test("the command line: both flags required, voters checked by the one member checker", () => {
    expect(parseRecoverArgs(["--help"])).toEqual({ kind: "recover-help" });
    expect(() => parseRecoverArgs(["--data-dir", "d"])).toThrow("recover: missing --voters");
    expect(() => parseRecoverArgs(["--data-dir", "d", "--voters", "1@256.256.256.256:1"])).toThrow("--voters: host \"256.256.256.256\" is not an IPv4 address");
    expect(parseRecoverArgs(["--data-dir", "d", "--voters", "1@LOCALHOST:9001"])).toEqual({
      kind: "recover",
      config: { dataDir: "d", voters: new Map([[1, "localhost:9001"]]) },
    });
  });
});
