// The test support's free ports: distinct, bindable, and below the kernel's ephemeral range, where
// no port-0 listener or outgoing connection can take one before its node binds it.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { freePorts } from "./support/free-ports.ts";

test("free ports are distinct across calls, below the ephemeral range, and each can be bound", () => {
  const ephemeralLow = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  const ports = [...freePorts(6), ...freePorts(6)];
  expect(new Set(ports).size).toBe(12);
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(ephemeralLow);
    const listener = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    listener.stop(true);
  }
});

test("a port in use is skipped", () => {
  const [first] = freePorts(1);
  const busy = first! + 1;
  // Held here, or already held by another process: either way it is in use.
  let held: { stop(closeActive?: boolean): void } | null = null;
  try {
    held = Bun.listen({ hostname: "127.0.0.1", port: busy, socket: { data() {} } });
  } catch {}
  try {
    expect(freePorts(3)).not.toContain(busy);
  } finally {
    held?.stop(true);
  }
});
