// `yakt dump-log --data-dir D [--from N] [--limit N]`: a stopped node's metadata log read offline,
// like kafka-dump-log. The latest snapshot and the committed entries after it are replayed through
// the real state machine, exactly as the node does when it starts, so the records printed are the
// ones GET /v1/log shows (same shape), with a summary of the snapshot they start from.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeSnapshot } from "../../metadata/image-codec.ts";
import { MAX_LOG_PAGE } from "../../metadata/limits.ts";
import type { MetadataRecord } from "../../metadata/records.ts";
import { MetadataStateMachine } from "../../metadata/state-machine.ts";
import type { Snapshot } from "../../raft/types.ts";
import { SqliteReader } from "../../storage/sqlite-reader.ts";
import { StorageError } from "../../storage/storage-error.ts";
import { ClientError, UsageError } from "../cli-errors.ts";
import { DB_FILE } from "../data-dir.ts";
import { negativeValuesJoined } from "../int-flag.ts";
import { intOption } from "./client-options.ts";
import { logLines } from "./log-command.ts";
import { PageCollector } from "./log-page.ts";
import { pairs, printJson, type Write } from "./output.ts";

const DEFAULT_LIMIT = 100;

export interface SnapshotSummary {
  index: number;
  term: number;
  bytes: number;
  voters: number[];
  brokers: number;
  topics: number;
  partitions: number;
  producers: number;
}

export interface DumpedLog {
  clusterId: string | null;
  nodeId: number | null;
  snapshot: SnapshotSummary | null;
  firstOffset: number;
  lastOffset: number;
  records: MetadataRecord[];
}

export async function dumpLogCommand(args: string[], write: Write): Promise<number> {
  const v = parseFlags(args);
  const dataDir = v["data-dir"];
  if (typeof dataDir !== "string" || dataDir.trim() === "") throw new UsageError("usage: yakt dump-log --data-dir <dir> [--from N] [--limit N] [--output table|json]");
  const output = (v.output as string | undefined) ?? "table";
  if (output !== "table" && output !== "json") throw new UsageError(`--output: expected table or json, got "${output}"`);
  const from = intOption("from", v.from, 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const limit = intOption("limit", v.limit, 1, MAX_LOG_PAGE) ?? DEFAULT_LIMIT;
  const dump = dumpLog(join(dataDir, DB_FILE), from, limit);
  if (output === "json") printJson(write, dump);
  else write(`${[...headerLines(dump), "", ...logLines(dump)].join("\n")}\n`);
  return 0;
}

function parseFlags(args: string[]): Record<string, string | boolean | undefined> {
  const options = { "data-dir": { type: "string" }, from: { type: "string" }, limit: { type: "string" }, output: { type: "string" } } as const;
  try {
    return parseArgs({ args: negativeValuesJoined(args, options), options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(`dump-log: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Replays the database at `path` (read-only) and returns the page of records from `from`. */
export function dumpLog(path: string, from: number, limit: number): DumpedLog {
  let reader: SqliteReader;
  try {
    reader = SqliteReader.open(path);
  } catch (e) {
    if (e instanceof StorageError && e.code === "locked") throw new ClientError(`${path} is held by a running node; stop the node first (dump-log reads only a stopped node's database)`);
    throw new ClientError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const { identity, hardState, snapshot } = reader.state();
    const sm = new MetadataStateMachine();
    if (snapshot) sm.restore(snapshot.meta.index, snapshot.data);
    const page = new PageCollector(from, limit);
    sm.onChange((change) => change.kind === "records" && page.add(change.records));
    let applied = snapshot?.meta.index ?? 0;
    for (const entry of reader.entriesAfter(applied)) {
      if (entry.index > hardState.commit) break; // not known committed: the node would not apply it either
      if (entry.type === "normal" && entry.data.byteLength > 0) sm.apply(entry.index, entry.data);
      applied = entry.index;
    }
    const first = (snapshot?.meta.index ?? 0) + 1;
    return { clusterId: identity?.clusterId ?? null, nodeId: identity?.nodeId ?? null, snapshot: snapshot && summarize(snapshot), firstOffset: first, lastOffset: applied, records: page.records };
  } catch (e) {
    // A damaged entry or snapshot (its checksum fails) is the database's fault, not a crash here.
    if (e instanceof StorageError) throw new ClientError(`cannot read ${path}: ${e.message}`);
    throw e;
  } finally {
    reader.close();
  }
}

function summarize(snapshot: Snapshot): SnapshotSummary {
  const decoded = decodeSnapshot(snapshot.data);
  if (!decoded.ok) throw new ClientError(`the snapshot at index ${snapshot.meta.index} does not decode: ${decoded.message}`);
  const body = decoded.value.image.body();
  return {
    index: snapshot.meta.index,
    term: snapshot.meta.term,
    bytes: snapshot.data.byteLength,
    voters: snapshot.meta.membership.voters,
    brokers: body.brokers.length,
    topics: body.topics.length,
    partitions: body.partitions.length,
    producers: body.producers.length,
  };
}

function headerLines(d: DumpedLog): string[] {
  const s = d.snapshot;
  return pairs([
    ["Cluster", `${d.clusterId ?? "unformatted"} node ${d.nodeId ?? "?"}`],
    ["Snapshot", s ? `index ${s.index} term ${s.term}, ${s.bytes} bytes, voters [${s.voters.join(",")}]` : "none"],
    ...(s ? ([["SnapshotHolds", `${s.brokers} brokers, ${s.topics} topics, ${s.partitions} partitions, ${s.producers} producer ids`]] as const) : []),
  ]);
}
