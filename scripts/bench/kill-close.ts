// How late a kill -9'd process's TCP connection closes, by the size of its heap: the kernel frees a
// dying process's memory (exit_mm) before it closes its files (exit_files), so its peers see the
// close only once a heap of hundreds of MiB is unmapped — for a leader at 1M partitions, tens of ms
// on a quiet machine and hundreds on a loaded one (issue 10). Not a test; a measurement:
//   bun run scripts/bench/kill-close.ts [MiB …]     (default 10 500 1000; TRIALS=4 each)
// Each trial: a child holding MiB of touched memory and one connection to this process is killed;
// the times from the kill to the connection's close event and to the child's exit are printed.
import { spawn } from "bun";
import { loadavg } from "node:os";

const TRIALS = Number(process.env.TRIALS ?? 4);
const CLOSE_WAIT_MS = 10_000;

/** The child: holds `mb` MiB (each page written, so resident), dials `port`, then waits to be killed. */
async function child(port: number, mb: number): Promise<void> {
  const held: Uint8Array[] = [];
  for (let i = 0; i < mb; i++) held.push(new Uint8Array(1 << 20).fill((i % 255) + 1));
  await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, open: (s) => void s.write("up") } });
  setInterval(() => held.length, 60_000); // keeps the loop, and the memory, alive
}

/** One kill: ms from SIGKILL to the close event of the child's connection, and to its exit. */
async function trial(mb: number): Promise<{ closeMs: number; exitMs: number }> {
  let closedAt = 0;
  let up: () => void = () => {};
  const dialed = new Promise<void>((resolve) => (up = resolve));
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: () => up(), close: () => void (closedAt = performance.now()) } });
  try {
    const proc = spawn([process.execPath, import.meta.path, "child", String(server.port), String(mb)], { stdout: "ignore" });
    await dialed;
    const killedAt = performance.now();
    proc.kill(9);
    await proc.exited;
    const exitMs = performance.now() - killedAt;
    while (closedAt === 0 && performance.now() - killedAt < CLOSE_WAIT_MS) await Bun.sleep(1);
    if (closedAt === 0) throw new Error(`no close within ${CLOSE_WAIT_MS} ms of killing a ${mb} MiB child`);
    return { closeMs: closedAt - killedAt, exitMs };
  } finally {
    server.stop(true);
  }
}

if (process.argv[2] === "child") {
  await child(Number(process.argv[3]), Number(process.argv[4]));
} else {
  const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [10, 500, 1000];
  console.log(`load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; ${TRIALS} kills per size`);
  for (const mb of sizes) {
    const rows: string[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const { closeMs, exitMs } = await trial(mb);
      rows.push(`close +${closeMs.toFixed(0)} ms (exit +${exitMs.toFixed(0)})`);
    }
    console.log(`${mb} MiB: ${rows.join(", ")}`);
  }
}
