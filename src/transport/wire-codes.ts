// The numbers Raft message types and entry types travel as. They are the wire format, pinned
// here one by one (as etcd-io/raft's raftpb pins MsgHup = 0, MsgBeat = 1, …), never derived from
// the order of a list: reordering MESSAGE_TYPES in src/raft must not renumber the wire, or a
// rolling upgrade would have old and new nodes read each other's votes as appends.
// Rule: a new type gets the next free number; a retired number is never reused. A Record over the
// union makes the compiler list a type that has no number yet. test/transport/wire-golden.test.ts
// holds the table and golden bytes, so a change here fails a test first.
import type { EntryType, MessageType } from "../raft/types.ts";

export const MESSAGE_TYPE_CODE: Readonly<Record<MessageType, number>> = {
  PreVote: 0,
  PreVoteResp: 1,
  Vote: 2,
  VoteResp: 3,
  App: 4,
  AppResp: 5,
  Heartbeat: 6,
  HeartbeatResp: 7,
  Snap: 8,
  SnapResp: 9,
  TimeoutNow: 10,
  ReadIndex: 11,
  ReadIndexResp: 12,
};

export const ENTRY_TYPE_CODE: Readonly<Record<EntryType, number>> = {
  normal: 0,
  config: 1,
};

/** The reverse table; two names on one number is a programming error caught at load. */
function byCode<T extends string>(codes: Readonly<Record<T, number>>, what: string): ReadonlyMap<number, T> {
  const out = new Map<number, T>();
  for (const [name, code] of Object.entries(codes) as [T, number][]) {
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new Error(`${what} ${name} has code ${code}, not a byte`);
    const taken = out.get(code);
    if (taken !== undefined) throw new Error(`${what} code ${code} is given to both ${taken} and ${name}`);
    out.set(code, name);
  }
  return out;
}

export const MESSAGE_TYPE_BY_CODE = byCode(MESSAGE_TYPE_CODE, "message type");
export const ENTRY_TYPE_BY_CODE = byCode(ENTRY_TYPE_CODE, "entry type");

/** The wire code of a message type, or undefined for a value that is not one. */
export function messageTypeCode(type: unknown): number | undefined {
  return typeof type === "string" && Object.hasOwn(MESSAGE_TYPE_CODE, type) ? MESSAGE_TYPE_CODE[type as MessageType] : undefined;
}

/** The wire code of an entry type, or undefined for a value that is not one. */
export function entryTypeCode(type: unknown): number | undefined {
  return typeof type === "string" && Object.hasOwn(ENTRY_TYPE_CODE, type) ? ENTRY_TYPE_CODE[type as EntryType] : undefined;
}
