// CPU time of a process's threads from /proc/<pid>/task/<tid>/stat, grouped by thread name (the
// main thread, JavaScriptCore's JIT and GC helpers, Bun's I/O pool, the checkpoint worker...), user
// and system apart: where a node's CPU goes without a sampling profiler's skew on a loaded machine.
import { readdirSync, readFileSync } from "node:fs";

/** Kernel clock ticks per second (USER_HZ), 100 on Linux. */
const USER_HZ = 100;

/** User and system CPU milliseconds, per thread-name group. */
export type ThreadCpu = Map<string, { userMs: number; systemMs: number }>;

/** A thread's name with its trailing number dropped, so a pool's threads add up into one group. */
function groupOf(comm: string, tid: number, pid: number): string {
  if (tid === pid) return "main";
  return comm.replace(/[\s#:-]*\d+$/, "").trim() || comm;
}

/** The process's threads now, by group; a thread that ended since is simply not counted. */
export function threadCpu(pid: number): ThreadCpu {
  const out: ThreadCpu = new Map();
  for (const name of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${name}/stat`, "utf8");
    } catch {
      continue; // the thread exited between the listing and the read
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const group = groupOf(comm, Number(name), pid);
    const g = out.get(group) ?? { userMs: 0, systemMs: 0 };
    g.userMs += (Number(fields[11]) * 1000) / USER_HZ;
    g.systemMs += (Number(fields[12]) * 1000) / USER_HZ;
    out.set(group, g);
  }
  return out;
}

/**
 * What each group used between two readings, as "group user+system µs per op", largest first.
 * Threads that ended in between lose their time (the process total is the reliable sum).
 */
export function threadCpuLine(before: ThreadCpu, after: ThreadCpu, ops: number): string {
  const rows = [...after].map(([group, a]) => {
    const b = before.get(group) ?? { userMs: 0, systemMs: 0 };
    return { group, user: a.userMs - b.userMs, system: a.systemMs - b.systemMs };
  });
  const perOp = (ms: number) => ((ms * 1000) / Math.max(1, ops)).toFixed(0);
  return rows
    .filter((r) => r.user + r.system > 0)
    .sort((x, y) => y.user + y.system - (x.user + x.system))
    .map((r) => `${r.group} ${perOp(r.user)}+${perOp(r.system)}`)
    .join(", ");
}
