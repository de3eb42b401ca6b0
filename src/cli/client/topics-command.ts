// `yakt topics list | describe <name> | create <name> [--partitions N] [--replication-factor R]
// | delete <name>` over /v1/topics (delete is the controller's DELETE /v1/topics/:name).
import { UsageError } from "../cli-errors.ts";
import type { PartitionRecord, TopicRecord } from "./api-shapes.ts";
import { type FlagTypes, intOption, parseClientArgs, positionals } from "./client-options.ts";
import { HttpClient } from "./http-client.ts";
import { left, list, pairs, print, right, table, type Write } from "./output.ts";

const MAX_COUNT = 1_000_000;

export async function topicsCommand(args: string[], write: Write): Promise<number> {
  const [action, ...rest] = args;
  const extra: FlagTypes = action === "create" ? { partitions: { type: "string" }, "replication-factor": { type: "string" } } : {};
  const { options, positionals: given, flags } = parseClientArgs(`topics ${action ?? ""}`.trim(), rest, extra);
  const client = new HttpClient(options);
  switch (action) {
    case "list": {
      positionals("topics list", given, []);
      const body = (await client.json("GET", "/v1/topics")) as { topics: TopicRecord[] };
      print(options, write, body, () => table([left("NAME"), left("TOPIC ID"), right("OFFSET")], body.topics.map((t) => [t.fields.name, t.fields.topicUUID, t.offset])));
      return 0;
    }
    case "describe": {
      const [name] = positionals("topics describe", given, ["name"]);
      const body = (await client.json("GET", `/v1/topics/${encodeURIComponent(name)}`)) as TopicAnswer;
      print(options, write, body, () => describeTopic(body));
      return 0;
    }
    case "create": {
      const [name] = positionals("topics create", given, ["name"]);
      const partitions = intOption("partitions", flags.partitions, 1, MAX_COUNT);
      const replicationFactor = intOption("replication-factor", flags["replication-factor"], 1, MAX_COUNT);
      if ((partitions === undefined) !== (replicationFactor === undefined)) {
        throw new UsageError("topics create: give --partitions and --replication-factor together, or neither");
      }
      const body = await client.json("POST", "/v1/topics", { name, partitions, replicationFactor });
      print(options, write, body, () => describeTopic(body as TopicAnswer));
      return 0;
    }
    case "delete": {
      const [name] = positionals("topics delete", given, ["name"]);
      const body = (await client.json("DELETE", `/v1/topics/${encodeURIComponent(name)}`)) as TopicRecord;
      print(options, write, body, () => [`deleted topic ${name} (offset ${body.offset})`]);
      return 0;
    }
    default:
      throw new UsageError(`usage: yakt topics list | describe <name> | create <name> [--partitions N --replication-factor R] | delete <name> (got "${action ?? ""}")`);
  }
}

interface TopicAnswer {
  topic: TopicRecord;
  partitions: PartitionRecord[];
}

export function describeTopic({ topic, partitions }: TopicAnswer): string[] {
  const head = pairs([
    ["Topic", topic.fields.name],
    ["TopicId", topic.fields.topicUUID],
    ["PartitionCount", partitions.length],
  ]);
  if (partitions.length === 0) return head;
  const rows = partitions.map((p) => [p.fields.partitionId, p.fields.leader, list(p.fields.replicas), list(p.fields.ISR), p.fields.partitionEpoch]);
  return [...head, "", ...table([right("PARTITION"), right("LEADER"), left("REPLICAS"), left("ISR"), right("EPOCH")], rows)];
}
