// Free loopback ports for tests that must name their ports up front (peer addresses in a
// membership, flags of a child process): bind port 0, note the port, release it.

export function freePorts(count: number): number[] {
  const listeners = Array.from({ length: count }, () =>
    Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }),
  );
  const ports = listeners.map((l) => l.port);
  for (const l of listeners) l.stop(true);
  return ports;
}
