// `yakt cluster status | replication`: the quorum from GET /v1/cluster, in the shape of
// kafka-metadata-quorum describe --status / --replication.
import { UsageError } from "../cli-errors.ts";
import type { ClusterShape } from "./api-shapes.ts";
import { parseClientArgs, positionals } from "./client-options.ts";
import { HttpClient } from "./http-client.ts";
import { left, pairs, print, right, table, type Write } from "./output.ts";

export async function clusterCommand(args: string[], write: Write): Promise<number> {
  const [action, ...rest] = args;
  const { options, positionals: given } = parseClientArgs(`cluster ${action ?? ""}`.trim(), rest);
  if (action !== "status" && action !== "replication") {
    throw new UsageError(`usage: yakt cluster status | replication (got "${action ?? ""}")`);
  }
  positionals(`cluster ${action}`, given, []);
  const body = (await new HttpClient(options).json("GET", "/v1/cluster")) as ClusterShape;
  print(options, write, body, () => (action === "status" ? statusLines(body) : replicationLines(body)));
  return 0;
}

function statusLines(s: ClusterShape): string[] {
  const leader = s.members.find((m) => m.id === s.leader);
  return pairs([
    ["ClusterId", s.clusterId],
    ["NodeId", `${s.nodeId} (${s.role})`],
    ["LeaderId", s.leader || "none"],
    ["LeaderEpoch", s.term],
    ["HighWatermark", s.commitOffset],
    ["AppliedOffset", s.appliedOffset],
    ["LogOffsets", `${s.firstOffset}..${s.lastOffset}`],
    ["MaxFollowerLag", s.role === "leader" ? Math.max(0, ...s.members.map((m) => m.lag)) : "unknown (ask the leader)"],
    ["CurrentVoters", `[${s.membership.voters.join(",")}]`],
    ["CurrentObservers", `[${s.membership.learners.join(",")}]`],
    ...(leader ? ([["LeaderAddress", leader.address]] as const) : []),
  ]);
}

function replicationLines(s: ClusterShape): string[] {
  const rows = s.members.map((m) => [
    m.id,
    m.logEndOffset,
    m.lag,
    m.lastContactMs === null ? "unknown" : `${m.lastContactMs} ms`,
    m.id === s.leader ? "Leader" : m.voter ? "Follower" : "Observer",
    m.address,
  ]);
  const lines = table([right("NODE"), right("LOG END OFFSET"), right("LAG"), left("LAST CONTACT"), left("STATUS"), left("ADDRESS")], rows);
  if (s.role !== "leader") lines.push(`(node ${s.nodeId} is a ${s.role}: only the leader, node ${s.leader || "unknown"}, knows every member's lag)`);
  return lines;
}
