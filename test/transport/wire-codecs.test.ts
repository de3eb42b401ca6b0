// The small codecs (handshake, request/reply, addresses) and the per-tick message batcher.
import { describe, expect, test } from "bun:test";
import { parseAddress } from "../../src/transport/address.ts";
import { DecodeError, TransportError } from "../../src/transport/errors.ts";
import { MessageBatcher } from "../../src/transport/message-batcher.ts";
import { decodeHello, decodeRefusal, encodeHello, encodeRefusal } from "../../src/transport/handshake-codec.ts";
import {
  decodeErrorReply,
  decodeIdAndPayload,
  encodeErrorReply,
  requestHeader,
} from "../../src/transport/request-codec.ts";

describe("handshake codec", () => {
  test("hello round-trips; truncation and trailing bytes are rejected", () => {
    const hello = { version: 1, clusterId: "prod-é", nodeId: 4_000_000_000 };
    const body = encodeHello(hello);
    expect(decodeHello(body)).toEqual(hello);
    for (let cut = 0; cut < body.length; cut++) expect(() => decodeHello(body.subarray(0, cut))).toThrow(DecodeError);
    expect(() => decodeHello(new Uint8Array([...body, 1]))).toThrow(DecodeError);
  });

  test("a cluster id that is not UTF-8 is rejected", () => {
    expect(() => decodeHello(new Uint8Array([1, 0, 2, 0xc3, 0x28, 0, 0, 0, 1]))).toThrow(DecodeError);
  });

  test("refusal reasons round-trip and are cut to a bounded length", () => {
    expect(decodeRefusal(encodeRefusal("wrong cluster"))).toBe("wrong cluster");
    expect(decodeRefusal(encodeRefusal("x".repeat(10_000))).length).toBe(512);
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
