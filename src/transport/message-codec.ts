// Compact binary encoding of Raft message batches. Layout (big-endian, field order fixed):
//   batch   = u8 version, u32 count, message*
//   message = u8 type, u32 from, u32 to, u53 term, u53 logTerm, u53 index, u53 commit,
//             u53 rejectHint, u53 context, u8 flags, u32 entryCount, entry*, [chunk]
//   entry   = u53 index, u53 term, u8 type, bytes data
//   chunk   = u53 meta.index, u53 meta.term, membership, u53 offset, u53 total, bytes data
//   membership = u32 n, u32 voter*, u32 n, u32 learner*, u32 n, (string id, string address)*
//                [v2: u32 n, (string id, string directoryId)*]
//   [v2: message ends with string directoryId]
// u53 = a safe integer as two u32 halves; bytes = u32 length + data; string = u16 length + UTF-8.
// Version 2 added the directory ids (KIP-853); a version-1 batch still decodes, its messages
// carrying directoryId "" (a sender without one) and its memberships no bindings.
// Decoding validates every field and throws DecodeError; it never returns a partial message.
// Type bytes are the pinned numbers of wire-codes.ts. Compatibility rule: a field is never
// reordered, retyped or removed within a version; a new field is appended and bumps CODEC_VERSION,
// and the previous version keeps decoding, so a rolling upgrade can mix old and new nodes.
import type { Entry, Membership, Message, SnapshotChunk } from "../raft/types.ts";
import { ByteReader } from "./byte-reader.ts";
import { ByteWriter } from "./byte-writer.ts";
import { DecodeError, EncodeError } from "./errors.ts";
import { isFreed } from "./owned-bytes.ts";
import { ENTRY_TYPE_BY_CODE, entryTypeCode, MESSAGE_TYPE_BY_CODE, messageTypeCode } from "./wire-codes.ts";

export const CODEC_VERSION = 2;
/** The oldest batch version still decoded. */
export const OLDEST_CODEC_VERSION = 1;
export const BATCH_HEADER_BYTES = 5;

const FLAG_REJECT = 1;
const FLAG_FORCE = 2;
const FLAG_SNAPSHOT = 4;
const FLAG_DONE = 8;
const KNOWN_FLAGS = FLAG_REJECT | FLAG_FORCE | FLAG_SNAPSHOT | FLAG_DONE;
/** Fixed part of a message: type, from, to, six u53 fields, flags, entry count. */
const MIN_MESSAGE_BYTES = 1 + 4 + 4 + 6 * 8 + 1 + 4;
const MIN_ENTRY_BYTES = 8 + 8 + 1 + 4;
const MIN_ADDRESS_BYTES = 2 + 2;
/** A snapshot chunk's fixed part: meta index and term, offset, total, the data's length. */
const CHUNK_FIXED_BYTES = 4 * 8 + 4;
/** A membership's four counts: voters, learners, addresses, directory ids. */
const MEMBERSHIP_COUNTS_BYTES = 4 * 4;

/** Encode one message (without the batch header); throws EncodeError past `maxBytes` or on a bad field. */
export function encodeMessage(m: Message, maxBytes: number): Uint8Array {
  const w = new ByteWriter(maxBytes, expectedMessageBytes(m));
  const type = messageTypeCode(m.type);
  if (type === undefined) throw new EncodeError(`unknown message type ${String(m.type)}`);
  w.u8(type, "type");
  w.u32(m.from, "from");
  w.u32(m.to, "to");
  w.u53(m.term, "term");
  w.u53(m.logTerm, "logTerm");
  w.u53(m.index, "index");
  w.u53(m.commit, "commit");
  w.u53(m.rejectHint, "rejectHint");
  w.u53(m.context, "context");
  w.u8(messageFlags(m), "flags");
  if (!Array.isArray(m.entries)) throw new EncodeError(`entries must be an array, got ${typeof m.entries}`);
  w.u32(m.entries.length, "entries.length");
  for (const entry of m.entries) writeEntry(w, entry);
  if (m.snapshot !== null) writeChunk(w, m.snapshot);
  w.string(m.directoryId, "directoryId");
  // Sized right, the writer's buffer is the message; else a copy, so the spare room is not kept.
  return w.finishExact();
}

/**
 * The encoded size of a message whose fields are what they claim (ids and addresses of ASCII, as
 * they are): the writer starts at it, so an append of many entries or a snapshot chunk is written
 * once into a buffer of its size, instead of being copied at every doubling and once more to trim
 * it (a 1 MiB chunk took 4 MiB that way). A wrong guess costs a copy, never correctness.
 */
export function expectedMessageBytes(m: Message): number {
  let n = MIN_MESSAGE_BYTES + stringBytes(m.directoryId);
  if (Array.isArray(m.entries)) for (const e of m.entries) n += MIN_ENTRY_BYTES + (e?.data?.length ?? 0);
  if (m.snapshot !== null && typeof m.snapshot === "object") n += expectedChunkBytes(m.snapshot);
  return n;
}

function expectedChunkBytes(c: SnapshotChunk): number {
  return CHUNK_FIXED_BYTES + expectedMembershipBytes(c.meta?.membership) + (c.data?.length ?? 0);
}

function expectedMembershipBytes(m: Membership | undefined): number {
  if (typeof m !== "object" || m === null) return 0;
  let n = MEMBERSHIP_COUNTS_BYTES;
  for (const ids of [m.voters, m.learners]) n += Array.isArray(ids) ? 4 * ids.length : 0;
  for (const map of [m.addresses, m.directoryIds]) {
    if (typeof map !== "object" || map === null) continue;
    for (const [key, value] of Object.entries(map)) n += stringBytes(key) + stringBytes(value);
  }
  return n;
}

/** A string's u16 length and its characters (one byte each when ASCII). */
function stringBytes(value: unknown): number {
  return 2 + (typeof value === "string" ? value.length : 0);
}

/** The 5-byte header that precedes `count` encoded messages in a batch. */
export function batchHeader(count: number): Uint8Array {
  const w = new ByteWriter(BATCH_HEADER_BYTES);
  w.u8(CODEC_VERSION, "version");
  w.u32(count, "count");
  return w.finish();
}

/** Encode a whole batch into one buffer. */
export function encodeMessages(msgs: Message[], maxBytes: number): Uint8Array {
  const bodies = msgs.map((m) => encodeMessage(m, maxBytes));
  const w = new ByteWriter(maxBytes, bodies.reduce((n, b) => n + b.length, BATCH_HEADER_BYTES));
  w.raw(batchHeader(msgs.length));
  for (const body of bodies) w.raw(body);
  return w.finishExact();
}

/**
 * The messages of a batch. Their entries' data are views into `body`, not copies: the caller gives
 * `body` over to them (never reuses nor frees it while an entry is alive). Snapshot chunks are copies.
 */
export function decodeMessages(body: Uint8Array): Message[] {
  const r = new ByteReader(body);
  const version = r.u8("version");
  if (version < OLDEST_CODEC_VERSION || version > CODEC_VERSION) {
    throw new DecodeError(`message batch version ${version} is not among the supported ${OLDEST_CODEC_VERSION}..${CODEC_VERSION}`);
  }
  const count = r.count("message count", MIN_MESSAGE_BYTES);
  const msgs: Message[] = [];
  for (let i = 0; i < count; i++) msgs.push(readMessage(r, version));
  r.end("the message batch");
  return msgs;
}

function messageFlags(m: Message): number {
  for (const field of ["reject", "force"] as const) {
    if (typeof m[field] !== "boolean") throw new EncodeError(`${field} must be a boolean, got ${typeof m[field]}`);
  }
  let flags = (m.reject ? FLAG_REJECT : 0) | (m.force ? FLAG_FORCE : 0);
  if (m.snapshot !== null) {
    flags |= FLAG_SNAPSHOT;
    if (m.snapshot.done) flags |= FLAG_DONE;
  }
  return flags;
}

function writeEntry(w: ByteWriter, e: Entry): void {
  w.u53(e.index, "entry.index");
  w.u53(e.term, "entry.term");
  const type = entryTypeCode(e.type);
  if (type === undefined) throw new EncodeError(`unknown entry type ${String(e.type)}`);
  w.u8(type, "entry.type");
  w.bytes(e.data, "entry.data");
}

function writeChunk(w: ByteWriter, c: SnapshotChunk): void {
  if (typeof c.done !== "boolean") throw new EncodeError(`snapshot.done must be a boolean, got ${typeof c.done}`);
  // Freed bytes read as empty: sending them would tell the follower a wrong chunk, not fail.
  if (c.data instanceof Uint8Array && isFreed(c.data)) throw new EncodeError(`snapshot chunk at ${c.offset} of snapshot ${c.meta.index}: its bytes were already freed (sent twice?)`);
  if (c.offset + c.data.length > c.total) {
    throw new EncodeError(`snapshot chunk at ${c.offset} of ${c.data.length} bytes overruns total ${c.total}`);
  }
  w.u53(c.meta.index, "snapshot.meta.index");
  w.u53(c.meta.term, "snapshot.meta.term");
  writeMembership(w, c.meta.membership);
  w.u53(c.offset, "snapshot.offset");
  w.u53(c.total, "snapshot.total");
  w.bytes(c.data, "snapshot.data");
}

function writeMembership(w: ByteWriter, m: Membership): void {
  for (const [name, ids] of [["voters", m.voters], ["learners", m.learners]] as const) {
    w.u32(ids.length, `membership.${name}.length`);
    for (const id of ids) w.u32(id, `membership.${name}[]`);
  }
  const addresses = Object.entries(m.addresses);
  w.u32(addresses.length, "membership.addresses.length");
  for (const [id, address] of addresses) {
    w.string(id, "membership.addresses key");
    w.string(address, `membership.addresses[${id}]`);
  }
  const directoryIds = Object.entries(m.directoryIds ?? {});
  w.u32(directoryIds.length, "membership.directoryIds.length");
  for (const [id, directoryId] of directoryIds) {
    w.string(id, "membership.directoryIds key");
    w.string(directoryId, `membership.directoryIds[${id}]`);
  }
}

function readMessage(r: ByteReader, version: number): Message {
  const typeIndex = r.u8("type");
  const type = MESSAGE_TYPE_BY_CODE.get(typeIndex);
  if (type === undefined) throw new DecodeError(`unknown message type ${typeIndex}`);
  const from = r.u32("from");
  const to = r.u32("to");
  const term = r.u53("term");
  const logTerm = r.u53("logTerm");
  const index = r.u53("index");
  const commit = r.u53("commit");
  const rejectHint = r.u53("rejectHint");
  const context = r.u53("context");
  const flags = r.u8("flags");
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new DecodeError(`unknown message flags 0x${flags.toString(16)}`);
  if ((flags & FLAG_DONE) !== 0 && (flags & FLAG_SNAPSHOT) === 0) {
    throw new DecodeError("flag 'done' set on a message without a snapshot chunk");
  }
  const entryCount = r.count("entry count", MIN_ENTRY_BYTES);
  const entries: Entry[] = [];
  for (let i = 0; i < entryCount; i++) entries.push(readEntry(r));
  const snapshot = (flags & FLAG_SNAPSHOT) !== 0 ? readChunk(r, (flags & FLAG_DONE) !== 0, version) : null;
  const reject = (flags & FLAG_REJECT) !== 0;
  const force = (flags & FLAG_FORCE) !== 0;
  const directoryId = version >= 2 ? r.string("directoryId") : "";
  return { type, from, to, term, logTerm, index, entries, commit, reject, rejectHint, context, force, snapshot, directoryId };
}

function readEntry(r: ByteReader): Entry {
  const index = r.u53("entry.index");
  const term = r.u53("entry.term");
  const typeIndex = r.u8("entry.type");
  const type = ENTRY_TYPE_BY_CODE.get(typeIndex);
  if (type === undefined) throw new DecodeError(`unknown entry type ${typeIndex}`);
  // A view into the batch's body, which the receiver hands over (decodeMessages): the one copy of
  // an entry between the socket and the store is the frame decoder's copy of the frame.
  return { index, term, type, data: r.view("entry.data") };
}

function readChunk(r: ByteReader, done: boolean, version: number): SnapshotChunk {
  const index = r.u53("snapshot.meta.index");
  const term = r.u53("snapshot.meta.term");
  const membership = readMembership(r, version);
  const offset = r.u53("snapshot.offset");
  const total = r.u53("snapshot.total");
  const data = r.bytes("snapshot.data");
  if (offset + data.length > total) {
    throw new DecodeError(`snapshot chunk at ${offset} of ${data.length} bytes overruns total ${total}`);
  }
  return { meta: { index, term, membership }, offset, total, data, done };
}

function readMembership(r: ByteReader, version: number): Membership {
  const voters = readIds(r, "membership.voters");
  const learners = readIds(r, "membership.learners");
  const addresses = readStringMap(r, "membership.addresses");
  if (version < 2) return { voters, learners, addresses };
  const directoryIds = readStringMap(r, "membership.directoryIds");
  return Object.keys(directoryIds).length === 0 ? { voters, learners, addresses } : { voters, learners, addresses, directoryIds };
}

/** A u32 count of (string key, string value) pairs; a key given twice is refused. */
function readStringMap(r: ByteReader, field: string): Record<string, string> {
  const count = r.count(`${field} count`, MIN_ADDRESS_BYTES);
  const map: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const key = r.string(`${field} key`);
    if (Object.hasOwn(map, key)) throw new DecodeError(`${field} entry for ${JSON.stringify(key)} given twice`);
    // defineProperty, not assignment, so a key such as "__proto__" stays a plain own property.
    const value = r.string(`${field}[${key}]`);
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return map;
}

function readIds(r: ByteReader, field: string): number[] {
  const count = r.count(`${field} count`, 4);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(r.u32(`${field}[${i}]`));
  return ids;
}
