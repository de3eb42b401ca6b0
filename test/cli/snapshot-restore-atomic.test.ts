// `yakt snapshot restore` is all or nothing (src/cli/backup/snapshot-restore.ts): killed at any
// point before its database is renamed into place, the data dir holds no yakt.db, so a --peers
// start refuses it as not formatted and a re-run restores it (removing the interrupted temp dir,
// saying so); killed after, the dir is fully restored. The kills are real SIGKILLs of a child
// process, at a stage hook rather than after a sleep, so every run kills at the same point.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RestoreConfig, type RestoreStage, RESTORE_TEMP_DIR, restoreSnapshot } from "../../src/cli/backup/snapshot-restore.ts";
import { BACKUP_FORMAT, BACKUP_VERSION, encodeHeader } from "../../src/cli/backup/backup-file.ts";
import { openDataDir } from "../../src/cli/data-dir.ts";
import type { NodeConfig } from "../../src/cli/node-config.ts";
import { StoreLock } from "../../src/storage/store-lock.ts";
import { createTopic, registerBroker } from "../metadata/fixtures.ts";
import { fed } from "../metadata/random-images.ts";
import { runConfig } from "./support/run-config.ts";

const work = mkdtempSync(join(tmpdir(), "yakt-restore-atomic-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PEERS = "1@127.0.0.1:1,2@127.0.0.1:2,3@127.0.0.1:3";
const INDEX = 40;
const TERM = 3;
const snapshot = fed([registerBroker(1), registerBroker(2), createTopic("a", 8, 2), createTopic("b", 4, 1)]).snapshot();
const backup = join(work, "cluster.bak");
const sha256 = new Bun.CryptoHasher("sha256").update(snapshot).digest("hex");
const header = { format: BACKUP_FORMAT, version: BACKUP_VERSION, clusterId: "old", index: INDEX, term: TERM, size: snapshot.byteLength, sha256, createdAt: "2026-12-06T00:00:00.000Z" } as const;
writeFileSync(backup, Buffer.concat([encodeHeader(header), snapshot]));

function restoreConfig(dataDir: string): RestoreConfig {
  return { dataDir, clusterId: "new", nodeId: 2, peers: new Map([[1, "127.0.0.1:1"], [2, "127.0.0.1:2"], [3, "127.0.0.1:3"]]) };
}

/** The config of `yakt --node-id 2 --cluster-id new --peers … --data-dir dir`. */
function startConfig(dataDir: string): NodeConfig {
  return runConfig(["--node-id", "2", "--cluster-id", "new", "--peers", PEERS, "--data-dir", dataDir]);
}

/** A --peers start opens `dataDir` as the restored node 2: identity, snapshot and commit index. */
function expectRestored(dataDir: string): void {
  const opened = openDataDir(startConfig(dataDir));
  try {
    expect(opened.identity).toMatchObject({ clusterId: "new", nodeId: 2 });
    const state = opened.storage.load();
    expect(state.snapshot?.meta).toEqual({ index: INDEX, term: TERM, membership: { voters: [1, 2, 3], learners: [], addresses: { "1": "127.0.0.1:1", "2": "127.0.0.1:2", "3": "127.0.0.1:3" } } });
    expect(state.snapshot?.data).toEqual(snapshot);
    expect(state.hardState).toEqual({ term: TERM, vote: 0, commit: INDEX });
    expect(opened.storage.foundingVoters()).toEqual([1, 2, 3]); // the new cluster's, compared at every handshake
  } finally {
    opened.storage.close();
  }
  expect(existsSync(join(dataDir, RESTORE_TEMP_DIR))).toBe(false);
}

/** Runs the restore in a child process that SIGKILLs itself on reaching `stage`. */
function restoreKilledAt(dataDir: string, stage: RestoreStage): void {
  const module = join(import.meta.dir, "../../src/cli/backup/snapshot-restore.ts");
  const code = `
    import { restoreSnapshot } from ${JSON.stringify(module)};
    const config = ${JSON.stringify({ ...restoreConfig(dataDir), peers: [...restoreConfig(dataDir).peers] })};
    await restoreSnapshot(${JSON.stringify(backup)}, { ...config, peers: new Map(config.peers) }, {
      atStage: (s) => { if (s === ${JSON.stringify(stage)}) process.kill(process.pid, "SIGKILL"); },
    });
    console.log("not killed");`;
  const child = Bun.spawnSync([process.execPath, "-e", code], { stderr: "pipe", stdout: "pipe" });
  expect({ stdout: child.stdout.toString(), stderr: child.stderr.toString() }).toEqual({ stdout: "", stderr: "" });
  expect(child.signalCode).toBe("SIGKILL");
}

describe("snapshot restore is all or nothing", () => {
  test("a restore into a new dir and into an empty one: the store opens with the snapshot, no temp dir left", async () => {
    const fresh = join(work, "new-dir");
    expect(await restoreSnapshot(backup, restoreConfig(fresh), { warn: (l) => { throw new Error(`unexpected warning: ${l}`); } })).toMatchObject({ index: INDEX, term: TERM });
    expectRestored(fresh);
    const empty = join(work, "empty-dir");
    mkdirSync(empty);
    await restoreSnapshot(backup, restoreConfig(empty));
    expectRestored(empty);
    expect(readdirSync(empty).sort()).toEqual(["yakt.db", "yakt.db-lock"]);
  });

  for (const stage of ["formatted", "stored"] as const) {
    test(`killed at "${stage}" (before the rename): a --peers start refuses the dir as not formatted; a re-run removes the temp dir, says so, and restores`, async () => {
      for (const existed of [false, true]) {
        const dir = join(work, `killed-${stage}-${existed}`);
        if (existed) mkdirSync(dir);
        restoreKilledAt(dir, stage);
        expect(existsSync(join(dir, "yakt.db"))).toBe(false);
        expect(existsSync(join(dir, RESTORE_TEMP_DIR))).toBe(true);
        expect(() => openDataDir(startConfig(dir))).toThrow("yakt.db does not exist (data dir not formatted, or lost)");
        expect(existsSync(join(dir, "yakt.db"))).toBe(false); // the refused start wrote nothing
        const warned: string[] = [];
        await restoreSnapshot(backup, restoreConfig(dir), { warn: (l) => warned.push(l) });
        expect(warned).toEqual([`removing ${join(dir, RESTORE_TEMP_DIR)}: left by an interrupted restore, it holds no complete store`]);
        expectRestored(dir);
      }
    }, 30_000);
  }

  test(`killed at "committed" (after the rename): the dir is fully restored and a re-run refuses it as not empty`, async () => {
    const dir = join(work, "killed-committed");
    restoreKilledAt(dir, "committed");
    await expect(restoreSnapshot(backup, restoreConfig(dir))).rejects.toThrow("is not empty (yakt.db");
    // Left empty (the rename took its one file); a finished restore leaves none, as expectRestored checks.
    expect(readdirSync(join(dir, RESTORE_TEMP_DIR))).toEqual([]);
    rmSync(join(dir, RESTORE_TEMP_DIR), { recursive: true });
    expectRestored(dir);
  }, 30_000);

  test("a failure before the rename removes what it wrote: a new dir is gone, an empty dir is empty again", async () => {
    for (const existed of [false, true]) {
      const dir = join(work, `failed-${existed}`);
      if (existed) mkdirSync(dir);
      const failAt = (s: RestoreStage) => {
        if (s === "stored") throw new Error("injected failure");
      };
      await expect(restoreSnapshot(backup, restoreConfig(dir), { atStage: failAt })).rejects.toThrow("injected failure");
      if (existed) expect(readdirSync(dir)).toEqual([]);
      else expect(existsSync(dir)).toBe(false);
      await restoreSnapshot(backup, restoreConfig(dir));
      expectRestored(dir);
    }
  });

  test("a dir with anything else in it is refused and left as it was; so is a dir another restore or a node holds", async () => {
    const full = join(work, "full");
    mkdirSync(join(full, RESTORE_TEMP_DIR), { recursive: true });
    writeFileSync(join(full, "keep.txt"), "x");
    await expect(restoreSnapshot(backup, restoreConfig(full))).rejects.toThrow(`--data-dir ${full} is not empty (keep.txt…)`);
    expect(readdirSync(full).sort()).toEqual([RESTORE_TEMP_DIR, "keep.txt"]);

    const held = join(work, "held");
    mkdirSync(held);
    const lock = StoreLock.acquire(join(held, "yakt.db"), 0);
    try {
      await expect(restoreSnapshot(backup, restoreConfig(held))).rejects.toThrow(`--data-dir ${held} is in use by another process`);
    } finally {
      lock.release();
    }
    expect(readdirSync(held)).toEqual(["yakt.db-lock"]);
    await restoreSnapshot(backup, restoreConfig(held));
    expectRestored(held);
  });
});
