// The small codecs (handshake, request/reply, addresses) and the per-tick message batcher.
import { describe, expect, test } from "bun:test";
import { parseAddress } from "../../src/transport/address.ts";
import { DecodeError, TransportError } from "../../src/transport/errors.ts";
import { MessageBatcher } from "../../src/transport/message-batcher.ts";
import { FrameKind } from "../../src/transport/frame.ts";
import {
  decodeHello,
  decodeProof,
  decodeRefusal,
  encodeHello,
  encodeProof,
  encodeRefusal,
  HANDSHAKE_VERSION,
  MAX_ADDRESS_BYTES,
  MAX_HANDSHAKE_FRAME_BYTES,
  unsupported,
} from "../../src/transport/handshake-codec.ts";
import {
  decodeErrorReply,
  decodeIdAndPayload,
  encodeErrorReply,
  requestHeader,
} from "../../src/transport/request-codec.ts";

describe("handshake codec", () => {
  const nonce = new Uint8Array(32).fill(7);
  test("hello round-trips, with and without a MAC or an address; truncation and trailing bytes are rejected", () => {
    for (const [mac, address, founders] of [[new Uint8Array(0), "", []], [new Uint8Array(32).fill(9), "[::1]:9093", [1, 2, 4_000_000_000]]] as const) {
      const hello = { version: HANDSHAKE_VERSION, features: 1, clusterId: "prod-é", nodeId: 4_000_000_000, address, nonce, mac, founders: [...founders] };
      const body = encodeHello(hello);
      expect(decodeHello(body)).toEqual(hello);
      for (let cut = 0; cut < body.length; cut++) expect(() => decodeHello(body.subarray(0, cut))).toThrow(DecodeError);
      expect(() => decodeHello(new Uint8Array([...body, 1]))).toThrow(DecodeError);
    }
  });

  test("golden bytes: the version-4 hello layout is pinned (the address after the node id, the founders last)", () => {
    const body = encodeHello({ version: 4, features: 1, clusterId: "c", nodeId: 258, address: "h:9", nonce, mac: new Uint8Array(0), founders: [1, 258] });
    const golden = [4, 0, 0, 0, 1, 0, 1, 0x63, 0, 0, 1, 2, 0, 3, 0x68, 0x3a, 0x39, ...new Array(32).fill(7), 0, 2, 0, 0, 0, 1, 0, 0, 1, 2];
    expect([...body]).toEqual(golden);
    expect(FrameKind.Handshake).toBe(1);
    expect(FrameKind.HandshakeAck).toBe(2);
    expect(FrameKind.HandshakeRefuse).toBe(3);
    expect(FrameKind.HandshakeProof).toBe(8);
  });

  test("another version decodes far enough to be refused by name; unknown features are refused", () => {
    const v1 = decodeHello(new Uint8Array([1, 0, 1, 0x63, 0, 0, 0, 2]));
    expect(unsupported(v1)).toContain("handshake version 1");
    // A version-2 node's Hello (no address field): refused with a reason that names both versions.
    const v2 = decodeHello(new Uint8Array([2, 0, 0, 0, 0, 0, 1, 0x63, 0, 0, 0, 2, ...nonce, 0]));
    expect(unsupported(v2)).toBe("handshake version 2 is not the supported 4 (a node of another version cannot join: run one version on every node)");
    // A version-3 node's Hello (no founders): refused by name too.
    const v3 = decodeHello(new Uint8Array([3, 0, 0, 0, 0, 0, 1, 0x63, 0, 0, 0, 2, 0, 0, ...nonce, 0]));
    expect(unsupported(v3)).toContain("handshake version 3 is not the supported 4");
    const hello = decodeHello(encodeHello({ version: 4, features: 6, clusterId: "c", nodeId: 1, address: "", nonce, mac: new Uint8Array(0), founders: [] }));
    expect(unsupported(hello)).toContain("features 0x6");
  });

  test("a cluster id that is not UTF-8, or a MAC of a wrong length, is rejected", () => {
    expect(() => decodeHello(new Uint8Array([4, 0, 0, 0, 0, 0, 2, 0xc3, 0x28, 0, 0, 0, 1, 0, 0, ...nonce, 0, 0]))).toThrow(DecodeError);
    expect(() => decodeHello(new Uint8Array([4, 0, 0, 0, 0, 0, 1, 0x63, 0, 0, 0, 1, 0, 0, ...nonce, 5, 1, 2, 3, 4, 5, 0]))).toThrow(/0 or 32/);
  });

  test("founders must be at most 64 positive ids in ascending order", () => {
    const withFounders = (...ids: number[]) =>
      new Uint8Array([4, 0, 0, 0, 0, 0, 1, 0x63, 0, 0, 0, 1, 0, 0, ...nonce, 0, ids.length, ...ids.flatMap((id) => [id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff])]);
    expect(decodeHello(withFounders(1, 2, 3)).founders).toEqual([1, 2, 3]);
    expect(decodeHello(withFounders()).founders).toEqual([]);
    for (const bad of [[0], [2, 1], [1, 1]]) expect(() => decodeHello(withFounders(...bad))).toThrow(/handshake.founders/);
    expect(() => decodeHello(withFounders(...Array.from({ length: 65 }, (_, i) => i + 1)))).toThrow(/at most 64/);
    expect(() => encodeHello({ version: 4, features: 0, clusterId: "c", nodeId: 1, address: "", nonce, mac: new Uint8Array(0), founders: Array.from({ length: 65 }, (_, i) => i + 1) })).toThrow(/at most 64/);
  });

  test("an advertised address must be a canonical peer address of bounded length, on both sides", () => {
    const withAddress = (address: string) => {
      const text = new TextEncoder().encode(address);
      return new Uint8Array([4, 0, 0, 0, 0, 0, 1, 0x63, 0, 0, 0, 1, text.length >> 8, text.length & 0xff, ...text, ...nonce, 0, 0]);
    };
    expect(decodeHello(withAddress("node-1.local:9093")).address).toBe("node-1.local:9093");
    for (const bad of ["host", "host:0", "a b:9", "[::1]", "Node-1:9", "x".repeat(300) + ":9"]) {
      expect(() => decodeHello(withAddress(bad))).toThrow(/handshake.address/);
      expect(() => encodeHello({ version: 4, features: 0, clusterId: "c", nodeId: 1, address: bad, nonce, mac: new Uint8Array(0), founders: [] })).toThrow(/handshake.address/);
    }
  });

  test("every handshake frame fits the pre-handshake cap, whose size is small", () => {
    const address = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}:65535`;
    expect(address.length).toBe(MAX_ADDRESS_BYTES);
    const founders = Array.from({ length: 64 }, (_, i) => 0xffff_ffff - 63 + i);
    const longest = encodeHello({ version: 4, features: 1, clusterId: "x".repeat(255), nodeId: 0xffff_ffff, address, nonce, mac: new Uint8Array(32), founders });
    expect(1 + longest.length).toBeLessThanOrEqual(MAX_HANDSHAKE_FRAME_BYTES);
    expect(1 + encodeRefusal("é".repeat(10_000)).length).toBeLessThanOrEqual(MAX_HANDSHAKE_FRAME_BYTES);
    // README states this number: what a connection may send before its handshake.
    expect(MAX_HANDSHAKE_FRAME_BYTES).toBe(963);
    expect(decodeProof(encodeProof(new Uint8Array(32).fill(3)))).toEqual(new Uint8Array(32).fill(3));
    expect(() => decodeProof(new Uint8Array(31))).toThrow(DecodeError);
  });

  test("refusal reasons round-trip and are cut to a bounded length", () => {
    expect(decodeRefusal(encodeRefusal("wrong cluster"))).toBe("wrong cluster");
    expect(decodeRefusal(encodeRefusal("x".repeat(10_000))).length).toBe(240);
  });
});

describe("request codec", () => {
  test("id and payload, and error replies round-trip", () => {
    const body = new Uint8Array([...requestHeader(77), 1, 2, 3]);
    const { id, payload } = decodeIdAndPayload(body);
    expect(id).toBe(77);
    expect([...payload]).toEqual([1, 2, 3]);
    expect(decodeErrorReply(encodeErrorReply(9, "boom"))).toEqual({ id: 9, message: "boom" });
    expect(() => decodeIdAndPayload(new Uint8Array([1, 2]))).toThrow(DecodeError);
    expect(() => decodeErrorReply(new Uint8Array([0, 0, 0, 1, 0, 9]))).toThrow(DecodeError);
  });
});

describe("peer addresses", () => {
  test("host:port and [ipv6]:port parse; anything else is invalid", () => {
    expect(parseAddress("127.0.0.1:9093")).toEqual({ host: "127.0.0.1", port: 9093 });
    expect(parseAddress("node-1.local:1")).toEqual({ host: "node-1.local", port: 1 });
    expect(parseAddress("[::1]:65535")).toEqual({ host: "::1", port: 65535 });
    for (const bad of ["", "host", "host:", ":9", "host:0", "host:65536", "::1:9", "a b:9", "host:9x"]) {
      expect(() => parseAddress(bad)).toThrow(TransportError);
    }
  });
});

describe("message batcher", () => {
  test("fills up to the frame cap and hands the batch out once", () => {
    const b = new MessageBatcher(1024);
    const body = new Uint8Array(500);
    expect(b.fits(body)).toBe(true);
    b.add(body);
    b.add(body);
    expect(b.fits(body)).toBe(false);
    expect(() => b.add(body)).toThrow("invariant");
    const taken = b.take();
    expect(taken?.count).toBe(2);
    expect(taken?.parts).toHaveLength(3);
    expect(b.take()).toBeNull();
    expect(b.bytes).toBe(0);
  });
});
