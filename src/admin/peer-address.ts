// Which peers count as local. Cluster-changing commands are open to loopback peers without a
// token, because whoever can connect there is already on the node's machine.

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback (::ffff:127.x.y.z) as Bun reports it. */
export function isLoopbackAddress(address: string): boolean {
  const plain = address.toLowerCase().replace(/^::ffff:/, "");
  if (plain === "::1" || plain === "0:0:0:0:0:0:0:1") return true;
  const octets = plain.split(".");
  return octets.length === 4 && octets[0] === "127" && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}
