// Fewer, larger messages per Ready. The core sends one App per proposal to each follower, and a
// follower one AppResp per App; under load a Ready holds runs of them. A run of contiguous Apps to
// one peer is what a single App carrying all those entries would say, and a run of successful
// AppResps is said by the last (highest) one — the leader frees inflights up to the acknowledged
// index. Only messages with nothing else to that peer between them are merged, so per-peer order
// is kept. Merges never exceed the byte bound of one App.
import type { Entry, Message, NodeId } from "../raft/types.ts";

/** Bytes counted for an entry beyond its data (index, term, type, framing). */
const ENTRY_OVERHEAD = 24;

export function coalesceMessages(msgs: Message[], maxAppBytes: number): Message[] {
  if (msgs.length < 2) return msgs;
  const out: Message[] = [];
  const lastTo = new Map<NodeId, number>();
  const appBytes = new Map<NodeId, number>();
  for (const m of msgs) {
    const at = lastTo.get(m.to);
    const prev = at === undefined ? undefined : out[at];
    if (prev && at !== undefined && canMergeApp(prev, m, (appBytes.get(m.to) ?? 0) + entriesBytes(m.entries), maxAppBytes)) {
      out[at] = { ...prev, entries: prev.entries.concat(m.entries), commit: Math.max(prev.commit, m.commit) };
      appBytes.set(m.to, (appBytes.get(m.to) ?? 0) + entriesBytes(m.entries));
      continue;
    }
    if (prev && at !== undefined && supersedesAppResp(prev, m)) {
      out[at] = m;
      continue;
    }
    lastTo.set(m.to, out.length);
    if (m.type === "App") appBytes.set(m.to, entriesBytes(m.entries));
    out.push(m);
  }
  return out;
}

function canMergeApp(prev: Message, m: Message, mergedBytes: number, maxBytes: number): boolean {
  if (prev.type !== "App" || m.type !== "App" || prev.term !== m.term || prev.from !== m.from) return false;
  if (m.entries.length === 0 || prev.entries.length === 0) return false;
  const last = prev.entries[prev.entries.length - 1];
  return m.index === last.index && m.logTerm === last.term && mergedBytes <= maxBytes;
}

function supersedesAppResp(prev: Message, m: Message): boolean {
  return (
    prev.type === "AppResp" &&
    m.type === "AppResp" &&
    !prev.reject &&
    !m.reject &&
    prev.term === m.term &&
    m.index >= prev.index &&
    m.commit >= prev.commit
  );
}

function entriesBytes(entries: Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.length + ENTRY_OVERHEAD;
  return n;
}
