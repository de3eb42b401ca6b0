// SIGKILL a writer at seeded random points and check that what it acknowledged survived and that
// the database it left behind is intact and consistent. A failure prints the round's seed.
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { RestoreState } from "../../src/raft/types.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { between, payload, seededRandom, tempDir } from "./helpers.ts";

const FIXTURE = join(import.meta.dir, "fixtures", "crash-writer.ts");
const MASTER_SEED = 0x5eed;
const ROUNDS = 6;
/** Bound on one round: bun start-up plus a few dozen fsyncs on a slow, shared disk. */
const ROUND_TIMEOUT_MS = 20_000;
/** Bound on batches one child may write, so a child the parent lost track of still ends. */
const MAX_BATCHES = 5_000;

const dir = tempDir();
afterAll(() => dir.cleanup());

interface Round {
  acks: number[];
  signal: string | number | null;
  timedOut: boolean;
  stderr: string;
}

/** Collects "ack N" lines from the child's stdout; kills it once `target` acks are in. */
async function runRound(path: string, seed: number, target: number): Promise<Round> {
  const proc = Bun.spawn([process.execPath, FIXTURE, path, String(seed), String(MAX_BATCHES)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, ROUND_TIMEOUT_MS);
  const acks: number[] = [];
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    // Reads to EOF: acks the child wrote between our kill and its death count as acknowledged too.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("ack ")) acks.push(Number(line.slice(4)));
      if (acks.length >= target) proc.kill("SIGKILL");
    }
    await proc.exited;
  } finally {
    clearTimeout(timer);
  }
  return { acks, signal: proc.signalCode, timedOut, stderr: await new Response(proc.stderr).text() };
}

/** Checked on a plain connection before the store opens (the store holds an exclusive lock). */
function checkIntact(path: string, context: string): void {
  const raw = new Database(path);
  try {
    expect(raw.query<{ quick_check: string }, []>("PRAGMA quick_check").all(), context).toEqual([{ quick_check: "ok" }]);
  } finally {
    raw.close();
  }
}

function checkConsistent(r: RestoreState, acks: number[], context: string): number {
  const snapIndex = r.snapshot?.meta.index ?? 0;
  // A snapshot cut short by the kill (written in pieces, not published) is never what loads.
  if (r.snapshot) expect(new TextDecoder().decode(r.snapshot.data), `${context}: snapshot bytes`).toBe(`state at ${snapIndex}`);
  let prevTerm = r.snapshot?.meta.term ?? 0;
  r.entries.forEach((e, i) => {
    expect(e.index, `${context}: contiguous`).toBe(snapIndex + 1 + i);
    expect(e.term, `${context}: terms ordered at ${e.index}`).toBeGreaterThanOrEqual(prevTerm);
    expect(Array.from(e.data), `${context}: data of ${e.index}`).toEqual(Array.from(payload(e.index, e.term)));
    prevTerm = e.term;
  });
  const lastIndex = r.entries.at(-1)?.index ?? snapIndex;
  expect(r.hardState.commit, `${context}: commit within the log`).toBeLessThanOrEqual(lastIndex);
  // The log is only ever appended to, so an acknowledged index is present iff it is ≤ lastIndex.
  expect(Math.max(0, ...acks), `${context}: every acknowledged index is present`).toBeLessThanOrEqual(lastIndex);
  return lastIndex;
}

test(
  "acknowledged appends survive SIGKILL and the database stays consistent",
  async () => {
    const path = join(dir.dir, "yakt.db");
    const random = seededRandom(MASTER_SEED);
    let previousLast = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const seed = between(random, 1, 2 ** 31);
      const target = between(random, 2, 40);
      const context = `round ${round} (master seed ${MASTER_SEED}, seed ${seed}, kill after ${target} acks)`;
      const result = await runRound(path, seed, target);
      expect(result.timedOut, `${context}: timed out; stderr: ${result.stderr}`).toBe(false);
      expect(result.signal, `${context}: the child was not killed; stderr: ${result.stderr}`).toBe("SIGKILL");
      expect(result.acks.length, context).toBeGreaterThanOrEqual(target);
      checkIntact(path, context);
      const store = SqliteStorage.open(path);
      try {
        const last = checkConsistent(store.load(), result.acks, context);
        expect(last, `${context}: the log never shrinks`).toBeGreaterThanOrEqual(previousLast);
        previousLast = last;
      } finally {
        store.close();
      }
    }
  },
  ROUNDS * ROUND_TIMEOUT_MS,
);
