// CPU time of processes from /proc/<pid>/stat (user + system), for CPU-per-write figures: the
// cluster's CPU is the sum over its members' processes.
import { readFileSync } from "node:fs";

/** Kernel clock ticks per second (USER_HZ), 100 on Linux. */
const USER_HZ = 100;

/** The fields of /proc/<pid>/stat from the state (field 3) on: utime is [11], stime [12]. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at the state, field 3.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** User + system CPU milliseconds a process has used so far. */
export function processCpuMs(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

/** The system (kernel) part alone: socket syscalls show here. */
export function processSystemCpuMs(pid: number): number {
  return (Number(statFields(pid)[12]) * 1000) / USER_HZ;
}

export function clusterCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}
