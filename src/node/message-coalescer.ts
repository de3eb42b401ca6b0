// Fewer, larger messages per Ready. The core sends one App per proposal to each follower, and a
// follower one AppResp per App; under load a Ready holds runs of them. A run of contiguous Apps to
// one peer is what a single App carrying all those entries would say, and a run of successful
// AppResps is said by the last (highest) one — the leader frees inflights up to the acknowledged
// index. Only messages with nothing else to that peer between them are merged, so per-peer order
// is kept. Merges never exceed the byte bound of one App.
// Contiguous includes the leader's commit-only Apps (no entries; sent each time its commit moves):
// one just before an App from the same point, or just after an App at that App's end, says nothing
// the merged App does not (the follower takes the highest commit its log supports either way), and
// a follower answers every App it gets. Under load half the leader's Apps were commit-only, most
// of them in the same batch as the next entries (issue 10).
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

/** `m` goes on where `prev` ends: its preceding entry is prev's last one (prev's own preceding one when prev is commit-only). */
function canMergeApp(prev: Message, m: Message, mergedBytes: number, maxBytes: number): boolean {
  if (prev.type !== "App" || m.type !== "App" || prev.term !== m.term || prev.from !== m.from) return false;
  const last = prev.entries[prev.entries.length - 1];
  const endIndex = last === undefined ? prev.index : last.index;
  const endTerm = last === undefined ? prev.logTerm : last.term;
  return m.index === endIndex && m.logTerm === endTerm && mergedBytes <= maxBytes;
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
