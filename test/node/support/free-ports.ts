// Free loopback ports for tests that must name their ports up front (peer addresses in a
// membership, flags of a child process): each is bound once to check it is free, then released
// for the test to bind.
//
// They come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768–60999 by
// default), which the kernel never hands out by itself. A port of that range, released here, could
// be given to a port-0 listener (a TCP proxy of the test) or to an outgoing connection's local end
// before the node it was meant for binds it: a nemesis run under load lost a node that way ("cannot
// listen on 127.0.0.1:38755"). A cursor walks the range from an offset of this process's pid, so
// one run hands a port out again only after the whole range, and two runs on one machine start
// far apart.
import { readFileSync } from "node:fs";

const LOWEST = 10_000;
/** Ports tried for one request before giving up (each try is one bind). */
const MAX_TRIES = 2_000;

const highest = ephemeralStart() - 1;
let cursor = LOWEST + ((process.pid * 7_919) % (highest - LOWEST + 1));

export function freePorts(count: number): number[] {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries >= MAX_TRIES) throw new Error(`no free port found in ${MAX_TRIES} tries between ${LOWEST} and ${highest}`);
    const port = cursor;
    cursor = cursor >= highest ? LOWEST : cursor + 1;
    if (isFree(port)) ports.push(port);
  }
  return ports;
}

function isFree(port: number): boolean {
  try {
    Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

/** The first port of the kernel's ephemeral range (32768 when it cannot be read or leaves too little below it). */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}
