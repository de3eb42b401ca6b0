// Text forms of the core's values for the interaction transcripts: short, stable, one line each,
// close to etcd-io/raft's (`1->2 App Term:1 Log:1/3 Commit:3 Entries:[1/4 normal "x"]`).
import type { Entry, HardState, Message, Ready, RaftStatus } from "../../../src/raft/index.ts";

const dec = new TextDecoder();

export function entry(e: Entry): string {
  const data = e.type === "config" ? dec.decode(e.data) : JSON.stringify(dec.decode(e.data));
  return `${e.term}/${e.index} ${e.type} ${data}`;
}

export function hardState(h: HardState): string {
  return `Term:${h.term} Vote:${h.vote} Commit:${h.commit}`;
}

export function message(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} Term:${m.term}`];
  if (m.type === "App" || m.type === "Heartbeat") parts.push(`Log:${m.logTerm}/${m.index}`, `Commit:${m.commit}`);
  if (m.type === "PreVote" || m.type === "Vote") parts.push(`Log:${m.logTerm}/${m.index}`);
  if (m.type === "AppResp" || m.type === "HeartbeatResp" || m.type === "SnapResp") parts.push(`Index:${m.index}`);
  if (m.reject) parts.push(`Rejected (Hint: ${m.rejectHint})`);
  if (m.context !== 0) parts.push(`Context:${m.context}`);
  if (m.force) parts.push("Force");
  if (m.entries.length > 0) parts.push(`Entries:[${m.entries.map(entry).join(", ")}]`);
  if (m.snapshot) parts.push(`Snapshot:[Index:${m.snapshot.meta.index} Term:${m.snapshot.meta.term} Bytes:${m.snapshot.offset}+${m.snapshot.data.byteLength}/${m.snapshot.total}${m.snapshot.done ? " done" : ""}]`);
  return parts.join(" ");
}

/** A Ready as indented lines; empty parts are left out. */
export function ready(id: number, rd: Ready): string[] {
  const out = [`> ${id} handling Ready`];
  if (rd.softState) out.push(`  Role:${rd.softState.role} Leader:${rd.softState.leader}`);
  if (rd.hardState) out.push(`  HardState ${hardState(rd.hardState)}`);
  if (rd.snapshot) out.push(`  Snapshot Index:${rd.snapshot.meta.index} Term:${rd.snapshot.meta.term}`);
  if (rd.entries.length > 0) out.push("  Entries:", ...rd.entries.map((e) => `  ${entry(e)}`));
  if (rd.committed.length > 0) out.push("  Committed:", ...rd.committed.map((e) => `  ${entry(e)}`));
  if (rd.messages.length > 0) out.push("  Messages:", ...rd.messages.map((m) => `  ${message(m)}`));
  if (rd.readStates.length > 0) out.push(...rd.readStates.map((r) => `  ReadState ctx=${r.ctx} index=${r.index} ok=${r.ok}`));
  return out;
}

export function status(s: RaftStatus): string[] {
  const head = `${s.id} ${s.role} Term:${s.term} Leader:${s.leader} Vote:${s.vote} Commit:${s.commit} Applied:${s.applied} Log:${s.firstIndex}..${s.lastIndex}`;
  const members = `  voters=(${s.membership.voters.join(",")}) learners=(${s.membership.learners.join(",")})`;
  const peers = s.peers.map((p) => `  ${p.id}: ${p.state} match=${p.match} next=${p.next}${p.voter ? "" : " learner"}`);
  return [head, members, ...(s.role === "leader" ? peers : [])];
}
