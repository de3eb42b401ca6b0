// Shape checks on messages from peers: anything garbled is dropped before it reaches the logic.
import { isValidChunk } from "./snapshot-receiver.ts";
import { decodeMembership, MESSAGE_TYPES, type Entry, type Message, type NodeId } from "./types.ts";
import { isValidMembership } from "./membership.ts";
import { isDirectoryId } from "./directory-ids.ts";

function isIndex(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

function isEntry(e: Entry, term: number): boolean {
  if (typeof e !== "object" || e === null) return false;
  if (!isIndex(e.index) || e.index < 1 || !isIndex(e.term) || e.term < 1 || e.term > term) return false;
  if (!(e.data instanceof Uint8Array)) return false;
  if (e.type === "normal") return true;
  return e.type === "config" && isConfigData(e.data);
}

function isConfigData(data: Uint8Array): boolean {
  try {
    return isValidMembership(decodeMembership(data));
  } catch {
    return false;
  }
}

/** Entries of an App must follow `index` without gaps and not go down in term. */
function entriesFit(m: Message): boolean {
  let prevTerm = m.logTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i];
    if (!isEntry(e, m.term) || e.index !== m.index + 1 + i || e.term < prevTerm) return false;
    prevTerm = e.term;
  }
  return true;
}

export function isWellFormed(m: Message, self: NodeId): boolean {
  if (typeof m !== "object" || m === null || !MESSAGE_TYPES.includes(m.type)) return false;
  if (!isIndex(m.from) || m.from === 0 || m.from === self || m.to !== self) return false;
  const numbers = [m.term, m.logTerm, m.index, m.commit, m.rejectHint, m.context];
  if (!numbers.every(isIndex) || m.term === 0) return false;
  if (typeof m.reject !== "boolean" || typeof m.force !== "boolean" || !Array.isArray(m.entries)) return false;
  if (!isDirectoryId(m.directoryId)) return false;
  if (m.type === "App" && !entriesFit(m)) return false;
  if (m.type === "Snap" && !isValidChunk(m.snapshot)) return false;
  return true;
}
