// The peer protocol's numbers and bytes, pinned. A golden table of every type and frame code, and
// golden bytes (test/transport/fixtures/wire-golden.txt) for a handshake, a batch holding every
// message type, a version-1 batch, and a request/reply exchange: encoding must produce exactly
// these bytes and decoding them must give back exactly the values, so a reordered list, a renumbered
// code or a new field fails here instead of breaking a rolling upgrade. After a deliberate change
// of the wire (a new CODEC_VERSION, see message-codec.ts), rewrite the file with
//   YAKT_REWRITE_GOLDEN=1 node_modules/.bin/bun test test/transport/wire-golden.test.ts
// and review its diff: lines of an older version must not change.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeForwardReply, decodeForwardRequest, encodeForwardReply, encodeForwardRequest } from "../../src/node/forward-codec.ts";
import { MESSAGE_TYPES, type Message, type MessageType } from "../../src/raft/types.ts";
import { encodeFrame, FrameKind } from "../../src/transport/frame.ts";
import { decodeHello, decodeProof, decodeRefusal, encodeHello, encodeProof, encodeRefusal, Feature, HANDSHAKE_VERSION, type Hello } from "../../src/transport/handshake-codec.ts";
import { CODEC_VERSION, decodeMessages, encodeMessages, OLDEST_CODEC_VERSION } from "../../src/transport/message-codec.ts";
import { decodeErrorReply, decodeIdAndPayload, encodeErrorReply, requestHeader } from "../../src/transport/request-codec.ts";
import { ENTRY_TYPE_CODE, MESSAGE_TYPE_CODE } from "../../src/transport/wire-codes.ts";

const GOLDEN_FILE = join(import.meta.dir, "fixtures/wire-golden.txt");
const REWRITE = process.env.YAKT_REWRITE_GOLDEN === "1";
const MAX = 1 << 20;

describe("wire numbering", () => {
  test("message type codes never change", () => {
    expect(MESSAGE_TYPE_CODE).toEqual({
      PreVote: 0, PreVoteResp: 1, Vote: 2, VoteResp: 3, App: 4, AppResp: 5, Heartbeat: 6,
      HeartbeatResp: 7, Snap: 8, SnapResp: 9, TimeoutNow: 10, ReadIndex: 11, ReadIndexResp: 12,
    });
    expect(Object.keys(MESSAGE_TYPE_CODE).sort()).toEqual([...MESSAGE_TYPES].sort());
  });

  test("entry type codes, frame kinds, feature bits and versions never change", () => {
    expect(ENTRY_TYPE_CODE).toEqual({ normal: 0, config: 1 });
    expect(FrameKind).toEqual({ Handshake: 1, HandshakeAck: 2, HandshakeRefuse: 3, Messages: 4, Request: 5, Reply: 6, ErrorReply: 7, HandshakeProof: 8 });
    expect(Feature).toEqual({ SharedSecret: 1 });
    expect({ HANDSHAKE_VERSION, CODEC_VERSION, OLDEST_CODEC_VERSION }).toEqual({ HANDSHAKE_VERSION: 4, CODEC_VERSION: 2, OLDEST_CODEC_VERSION: 1 });
  });

  test("the message codec writes the pinned code of each type", () => {
    for (const type of MESSAGE_TYPES) {
      const batch = encodeMessages([message(type, 1)], MAX);
      expect(batch[5]).toBe(MESSAGE_TYPE_CODE[type]); // after the u8 version and u32 count
    }
  });
});

/** A message with every field set to a value derived from `n`, so a field moved shows in the bytes. */
function message(type: MessageType, n: number, extra: Partial<Message> = {}): Message {
  return {
    type, from: n, to: n + 1, term: 100 + n, logTerm: 200 + n, index: 300 + n, entries: [], commit: 400 + n,
    reject: n % 2 === 1, rejectHint: 500 + n, context: 600 + n, force: n % 3 === 0, snapshot: null,
    directoryId: `dir-${n}`, ...extra,
  };
}

const bytes = (...xs: number[]) => new Uint8Array(xs);
const text = (s: string) => new TextEncoder().encode(s);

/** One of each type, the App with a normal and a config entry, the Snap with a chunk whose membership binds directory ids. */
function everyType(): Message[] {
  return MESSAGE_TYPES.map((type, n) => {
    if (type === "App") {
      return message(type, n, { entries: [{ index: 301, term: 104, type: "normal", data: text("rec") }, { index: 302, term: 104, type: "config", data: bytes(1, 2) }] });
    }
    if (type !== "Snap") return message(type, n);
    const membership = { voters: [1, 2], learners: [3], addresses: { "1": "a:1", "2": "b:2", "3": "c:3" }, directoryIds: { "1": "d1", "2": "d2" } };
    return message(type, n, { snapshot: { meta: { index: 50, term: 7, membership }, offset: 10, total: 14, data: bytes(9, 8, 7), done: true } });
  });
}

/** What a version-1 node sent: no directory ids anywhere (its messages decode with directoryId ""). */
function versionOne(): { messages: Message[]; body: Uint8Array } {
  const messages = [
    message("Vote", 1, { directoryId: "" }),
    message("Snap", 2, { directoryId: "", snapshot: { meta: { index: 5, term: 2, membership: { voters: [1], learners: [], addresses: { "1": "a:1" } } }, offset: 0, total: 1, data: bytes(4), done: true } }),
  ];
  // Version 1 = version 2 without the trailing empty directory id (u16 0) of each message and the
  // empty directory-id map (u32 0) after a membership's addresses: built from the v2 bytes so.
  const v2 = encodeMessages(messages, MAX);
  const parts: number[] = [1, ...v2.subarray(1, 5)];
  let at = 5;
  for (const m of messages) {
    const one = encodeMessages([m], MAX).subarray(5);
    const withoutId = one.subarray(0, one.length - 2);
    if (m.snapshot === null) parts.push(...withoutId);
    else {
      const mapAt = withoutId.length - (8 + 8 + 4 + m.snapshot.data.length) - 4; // the u32 0 before offset/total/data
      parts.push(...withoutId.subarray(0, mapAt), ...withoutId.subarray(mapAt + 4));
    }
    at += one.length;
  }
  expect(at).toBe(v2.length);
  return { messages, body: new Uint8Array(parts) };
}

const nonce = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (seed + i * 7) & 0xff);
const dialerHello: Hello = { version: 4, features: Feature.SharedSecret, clusterId: "cluster-α", nodeId: 3, address: "10.0.0.3:9093", nonce: nonce(1), mac: new Uint8Array(0), founders: [1, 2, 3] };
const listenerAck: Hello = { version: 4, features: Feature.SharedSecret, clusterId: "cluster-α", nodeId: 1, address: "[fd00::1]:9093", nonce: nonce(2), mac: nonce(3), founders: [] };

/** Each golden case: the frame's bytes, and a check that decoding them gives the values back. */
const CASES: Record<string, { frame: () => Uint8Array; decodes: (body: Uint8Array) => void }> = {
  "handshake hello": {
    frame: () => encodeFrame(FrameKind.Handshake, [encodeHello(dialerHello)], MAX),
    decodes: (body) => expect(decodeHello(body)).toEqual(dialerHello),
  },
  "handshake ack": {
    frame: () => encodeFrame(FrameKind.HandshakeAck, [encodeHello(listenerAck)], MAX),
    decodes: (body) => expect(decodeHello(body)).toEqual(listenerAck),
  },
  "handshake proof": {
    frame: () => encodeFrame(FrameKind.HandshakeProof, [encodeProof(nonce(4))], MAX),
    decodes: (body) => expect(decodeProof(body)).toEqual(nonce(4)),
  },
  "handshake refuse": {
    frame: () => encodeFrame(FrameKind.HandshakeRefuse, [encodeRefusal("cluster id mismatch")], MAX),
    decodes: (body) => expect(decodeRefusal(body)).toBe("cluster id mismatch"),
  },
  "messages v2, one of each type": {
    frame: () => encodeFrame(FrameKind.Messages, [encodeMessages(everyType(), MAX)], MAX),
    decodes: (body) => expect(decodeMessages(body)).toEqual(everyType()),
  },
  "messages v1": {
    frame: () => encodeFrame(FrameKind.Messages, [versionOne().body], MAX),
    decodes: (body) => expect(decodeMessages(body)).toEqual(versionOne().messages),
  },
  "request (a forward)": {
    frame: () => encodeFrame(FrameKind.Request, [requestHeader(7), encodeForwardRequest(text("propose"))], MAX),
    decodes: (body) => {
      const { id, payload } = decodeIdAndPayload(body);
      expect([id, new TextDecoder().decode(decodeForwardRequest(payload))]).toEqual([7, "propose"]);
    },
  },
  "reply (ok)": {
    frame: () => encodeFrame(FrameKind.Reply, [requestHeader(7), encodeForwardReply({ status: "ok", body: text("done") })], MAX),
    decodes: (body) => expect(decodeForwardReply(decodeIdAndPayload(body).payload)).toEqual({ status: "ok", body: text("done") }),
  },
  "reply (not leader)": {
    frame: () => encodeFrame(FrameKind.Reply, [requestHeader(8), encodeForwardReply({ status: "not_leader", leader: 2 })], MAX),
    decodes: (body) => expect(decodeForwardReply(decodeIdAndPayload(body).payload)).toEqual({ status: "not_leader", leader: 2 }),
  },
  "error reply": {
    frame: () => encodeFrame(FrameKind.ErrorReply, [encodeErrorReply(9, "boom")], MAX),
    decodes: (body) => expect(decodeErrorReply(body)).toEqual({ id: 9, message: "boom" }),
  },
};

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function readGolden(): Map<string, string> {
  const lines = readFileSync(GOLDEN_FILE, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  return new Map(lines.map((l) => [l.slice(0, l.indexOf(": ")), l.slice(l.indexOf(": ") + 2)]));
}

if (REWRITE) {
  const header = "# Golden peer-protocol frames (test/transport/wire-golden.test.ts): name: hex of the whole frame.\n";
  writeFileSync(GOLDEN_FILE, header + Object.entries(CASES).map(([name, c]) => `${name}: ${hex(c.frame())}`).join("\n") + "\n");
}

describe("golden bytes of the peer protocol", () => {
  const golden = readGolden();
  test("the golden file holds exactly the cases", () => {
    expect([...golden.keys()].sort()).toEqual(Object.keys(CASES).sort());
  });
  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: encodes to the golden bytes, and they decode to the values`, () => {
      const want = golden.get(name);
      expect(hex(c.frame())).toBe(want ?? "(missing from the golden file)");
      const frame = Buffer.from(want ?? "", "hex");
      const kind = frame[4];
      expect(Object.values(FrameKind)).toContain(kind as FrameKind);
      expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0)).toBe(frame.length - 4);
      c.decodes(new Uint8Array(frame.subarray(5)));
    });
  }
});
