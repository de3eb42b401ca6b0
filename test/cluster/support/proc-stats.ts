// What the kernel says about a node process (Linux /proc): resident memory now and at its peak,
// and CPU time used, for the tests that report how a node fared under a fault.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

function statusField(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  if (line === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(line.split(/\s+/)[1]);
}

export function rssMiB(pid: number): number {
  return Math.round(statusField(pid, "VmRSS") / 1024);
}

/** The highest resident memory since the process started. */
export function peakRssMiB(pid: number): number {
  return Math.round(statusField(pid, "VmHWM") / 1024);
}

/** User plus system CPU time used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / USER_HZ;
}
