// Commands that show the quorum as this node sees it: status, replication, members.
import type { ClusterStatus, VoterStatus } from "../../node/contracts.ts";
import { type CommandContext, type CommandOutput, type CommandSpec, output } from "../command-types.ts";
import { renderPairs, renderTable } from "../table.ts";
import { formatDuration, listOrDash } from "../text.ts";

const nodeName = (id: number) => (id === 0 ? "none" : String(id));

const logSpan = (first: number, last: number) => (last < first ? `empty (next ${first})` : `${first}..${last}`);

function status(ctx: CommandContext): CommandOutput {
  const s = ctx.node.status();
  return output(
    ...renderPairs([
      ["node", s.nodeId],
      ["cluster id", s.clusterId],
      ["role", s.role],
      ["leader", nodeName(s.leader)],
      ["term", s.term],
      ["commit offset", s.commitOffset],
      ["applied offset", s.appliedOffset],
      ["log offsets", logSpan(s.firstOffset, s.lastOffset)],
      ["directory id", s.directoryId || "-"],
      ["voters", listOrDash(s.membership.voters)],
      ["learners", listOrDash(s.membership.learners)],
      ...ctx.warnings.map((w): [string, string] => ["warning", w]),
    ]),
  );
}

function memberStatus(member: VoterStatus, leader: number): string {
  if (member.id === leader) return "Leader";
  return member.voter ? "Follower" : "Observer";
}

function replication(ctx: CommandContext): CommandOutput {
  const s = ctx.node.status();
  const rows = s.members.map((m) => [
    m.id,
    memberStatus(m, s.leader),
    m.logEndOffset,
    m.lag,
    m.lastContactMs === null ? "unknown" : `${formatDuration(m.lastContactMs)} ago`,
    m.address,
  ]);
  const table = renderTable(
    [
      { title: "NODE", align: "right" },
      { title: "STATUS" },
      { title: "LOG END OFFSET", align: "right" },
      { title: "LAG", align: "right" },
      { title: "LAST CONTACT" },
      { title: "ADDRESS" },
    ],
    rows,
  );
  if (s.role === "leader") return output(...table);
  const leader = nodeName(s.leader);
  const note = `(node ${s.nodeId} is not the leader: only the leader knows every member; leader: ${leader})`;
  return output(...table, note);
}

/** Lag and, for a learner, why it is not a voter yet: only the leader knows them. */
function progressOf(s: ClusterStatus, id: number): { lag: string; why: string } {
  const m = s.members.find((x) => x.id === id);
  if (s.role !== "leader" || m === undefined) return { lag: "?", why: "" };
  return { lag: String(m.lag), why: m.promotion ?? "" };
}

function members(ctx: CommandContext): CommandOutput {
  const s = ctx.node.status();
  const { voters, learners, addresses } = s.membership;
  const dir = (id: number) => s.membership.directoryIds?.[String(id)] ?? "(not bound yet)";
  const row = (id: number, kind: string) => {
    const { lag, why } = progressOf(s, id);
    const note = [id === s.leader ? "leader" : "", id === s.nodeId ? "this node" : "", why, ownIdNote(s, id)].filter(Boolean).join(", ");
    return [id, kind, addresses[String(id)] ?? "?", dir(id), lag, note];
  };
  const rows = [...voters.map((id) => row(id, "voter")), ...learners.map((id) => row(id, "learner"))];
  const table = renderTable(
    [{ title: "NODE", align: "right" }, { title: "KIND" }, { title: "ADDRESS" }, { title: "DIRECTORY ID" }, { title: "LAG", align: "right" }, { title: "NOTE" }],
    rows,
  );
  if (s.role === "leader") return output(...table);
  return output(...table, `(lag and promotion progress are known on the leader, node ${nodeName(s.leader)})`);
}

/** This node formatted anew while the membership still names its old directory id: it must be replaced. */
function ownIdNote(s: ReturnType<CommandContext["node"]["status"]>, id: number): string {
  const bound = s.membership.directoryIds?.[String(id)];
  if (id !== s.nodeId || bound === undefined || bound === s.directoryId) return "";
  return `NOT this data dir (${s.directoryId || "none"}): remove-voter ${id}, then add-voter it again`;
}

export const QUORUM_COMMANDS: readonly CommandSpec[] = [
  {
    name: "status",
    args: "",
    summary: "node, role, leader, term, commit/applied offsets, cluster id",
    minArgs: 0,
    maxArgs: 0,
    changesCluster: false,
    run: status,
  },
  {
    name: "replication",
    args: "",
    summary: "per voter/observer: log end offset, lag, last contact",
    minArgs: 0,
    maxArgs: 0,
    changesCluster: false,
    run: replication,
  },
  {
    name: "members",
    args: "",
    summary: "voters and learners: peer address, directory id, lag, and why a learner is not a voter yet",
    minArgs: 0,
    maxArgs: 0,
    changesCluster: false,
    run: members,
  },
];
