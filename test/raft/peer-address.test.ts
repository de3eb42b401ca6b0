// The one checker for node ids and peer addresses that the CLI, console, REST and transport wrap.
import { describe, expect, test } from "bun:test";
import { canonicalAddress, checkNodeId, MAX_NODE_ID, parseMemberSpec, parseNodeId, parsePeerAddress } from "../../src/raft/peer-address.ts";

const message = (r: { ok: boolean; message?: string }) => (r.ok ? "ok" : r.message);

describe("node ids", () => {
  test("decimal 1..MAX_NODE_ID only", () => {
    expect(parseNodeId("1")).toEqual({ ok: true, value: 1 });
    expect(parseNodeId(String(MAX_NODE_ID))).toEqual({ ok: true, value: MAX_NODE_ID });
    for (const bad of ["0", "-1", "+1", "01", "1.0", "1e3", " 1", "", "x", String(MAX_NODE_ID + 1), "99999999999"]) {
      expect(message(parseNodeId(bad))).toContain(`node id must be an integer from 1 to ${MAX_NODE_ID}, got`);
    }
  });

  test("numbers: the same range, no fractions or NaN", () => {
    expect(checkNodeId(7)).toEqual({ ok: true, value: 7 });
    for (const bad of [0, -3, 1.5, Number.NaN, MAX_NODE_ID + 1, "7", null]) expect(checkNodeId(bad).ok).toBe(false);
  });
});

describe("peer addresses", () => {
  test.each([
    ["127.0.0.1:9091", "127.0.0.1:9091"],
    ["Node-4.Example:9093", "node-4.example:9093"],
    ["[::1]:9093", "[::1]:9093"],
    ["[FE80::1]:1", "[fe80::1]:1"],
    ["[::ffff:127.0.0.1]:80", "[::ffff:127.0.0.1]:80"],
    ["localhost:65535", "localhost:65535"],
  ])("%s is accepted as %s", (text, canonical) => {
    const r = parsePeerAddress(text);
    expect(r.ok && r.value.address).toBe(canonical);
  });

  test.each([
    ["256.256.256.256:1", 'host "256.256.256.256" is not an IPv4 address'],
    ["1.2.3:1", "is not an IPv4 address"],
    ["1.2.3.04:1", "is not an IPv4 address"],
    ["no-such-host.invalid", "peer address must look like host:port"],
    ["h:0", 'port must be an integer from 1 to 65535, got "0"'],
    ["h:65536", "port must be"],
    ["h:+1", "port must be"],
    [":1", "peer address must look like host:port"],
    ["-h:1", 'host "-h" is not a host name'],
    ["a..b:1", "is not a host name"],
    ["a_b:1", "is not a host name"],
    ["fe80::1:1", 'host "fe80::1" is not a host name'],
    ["[fe80::1::2]:1", "is not a bracketed IPv6 address"],
    ["[1:2:3]:1", "is not a bracketed IPv6 address"],
    ["[::1:1", "is not a bracketed IPv6 address"],
    [`${"a".repeat(64)}.b:1`, "is not a host name"],
    [`${"a.".repeat(200)}b:1`, "peer address must look like host:port"],
  ])("%s is refused", (text, why) => {
    expect(message(parsePeerAddress(text))).toContain(why);
  });

  test("port 0 only for listen addresses", () => {
    expect(parsePeerAddress("127.0.0.1:0").ok).toBe(false);
    expect(parsePeerAddress("127.0.0.1:0", true).ok).toBe(true);
  });

  test("a host name whose last label is all digits is not a name", () => {
    expect(message(parsePeerAddress("a.999:1"))).toContain("its last label is all digits");
    expect(parsePeerAddress("1e5.example:1").ok).toBe(true);
  });

  test("canonical forms compare equal; an unparsable stored address compares lower-cased", () => {
    expect(canonicalAddress("LOCALHOST:9091")).toBe(canonicalAddress("localhost:9091"));
    expect(canonicalAddress("Sim-1")).toBe("sim-1");
  });
});

describe("members", () => {
  test("id@host:port", () => {
    const r = parseMemberSpec("6@127.0.0.1:9091");
    expect(r.ok && r.value).toEqual({ id: 6, address: { host: "127.0.0.1", port: 9091, address: "127.0.0.1:9091" } });
  });

  test.each([
    ["4", "member must look like <id>@<host>:<port>"],
    ["@h:1", "member must look like"],
    ["0@h:1", "node id must be an integer"],
    ["4@256.256.256.256:1", "not an IPv4 address"],
    ["4@h", "peer address must look like host:port"],
  ])("%s is refused", (text, why) => {
    expect(message(parseMemberSpec(text))).toContain(why);
  });
});
