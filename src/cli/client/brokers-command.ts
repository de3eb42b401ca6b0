// `yakt brokers list [--all] | describe <id>` over /v1/brokers.
import { MAX_BROKER_ID } from "../../metadata/limits.ts";
import { UsageError } from "../cli-errors.ts";
import type { BrokerRecord } from "./api-shapes.ts";
import { type FlagTypes, intOption, parseClientArgs, positionals } from "./client-options.ts";
import { HttpClient } from "./http-client.ts";
import { left, pairs, print, right, table, type Write } from "./output.ts";

export async function brokersCommand(args: string[], write: Write): Promise<number> {
  const [action, ...rest] = args;
  const extra: FlagTypes = action === "list" ? { all: { type: "boolean" } } : {};
  const { options, positionals: given, flags } = parseClientArgs(`brokers ${action ?? ""}`.trim(), rest, extra);
  const client = new HttpClient(options);
  switch (action) {
    case "list": {
      positionals("brokers list", given, []);
      const body = (await client.json("GET", flags.all ? "/v1/brokers?all=true" : "/v1/brokers")) as { brokers: BrokerRecord[] };
      print(options, write, body, () => brokerTable(body.brokers));
      return 0;
    }
    case "describe": {
      const [id] = positionals("brokers describe", given, ["id"]);
      const brokerId = intOption("id", id, 0, MAX_BROKER_ID) as number;
      const body = (await client.json("GET", `/v1/brokers/${brokerId}`)) as BrokerRecord;
      print(options, write, body, () => describeBroker(body));
      return 0;
    }
    default:
      throw new UsageError(`usage: yakt brokers list [--all] | describe <id> (got "${action ?? ""}")`);
  }
}

function brokerTable(brokers: BrokerRecord[]): string[] {
  const rows = brokers.map((b) => {
    const f = b.fields;
    return [f.brokerId, f.brokerStatus, `${f.brokerHost}:${f.brokerPort}`, f.securityProtocol, f.rackId ?? "", f.epoch];
  });
  return table([right("ID"), left("STATUS"), left("ADDRESS"), left("PROTOCOL"), left("RACK"), right("EPOCH")], rows);
}

function describeBroker(b: BrokerRecord): string[] {
  const f = b.fields;
  return pairs([
    ["BrokerId", f.brokerId],
    ["Status", f.brokerStatus],
    ["Address", `${f.brokerHost}:${f.brokerPort}`],
    ["SecurityProtocol", f.securityProtocol],
    ["Rack", f.rackId ?? ""],
    ["Epoch", f.epoch],
    ["InternalUUID", f.internalUUID ?? ""],
    ["LastChangeOffset", b.offset],
    ["LastChangeTime", b.timestamp],
  ]);
}
