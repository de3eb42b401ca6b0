// Commands that read the metadata image and log of this node: brokers, broker, topics, topic, log.
// They read this node's own state (stale consistency): an operator inspects this node, and a
// follower cut off from its leader must still be able to show what it holds.
import { BROKER_STATUSES, type BrokerStatus, type MetadataRecord } from "../../metadata/records.ts";
import { parseBoundedInt, parseId } from "../arguments.ts";
import { type CommandContext, type CommandOutput, type CommandSpec, output } from "../command-types.ts";
import { ArgumentError } from "../errors.ts";
import { renderPairs, renderTable } from "../table.ts";
import { listOrDash, printable } from "../text.ts";

const STALE = "stale" as const;
const DEFAULT_LOG_COUNT = 20;
/** Room for a whole PartitionRecord with a handful of replicas. */
const MAX_FIELDS_CHARS = 400;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** No filter: every broker that is not CLOSED, fenced ones included (they matter after a failover). */
function brokerFilter(arg: string | undefined): { all?: boolean; status?: BrokerStatus; open?: boolean } {
  if (arg === undefined) return { all: true, open: true };
  if (arg.toLowerCase() === "all") return { all: true };
  const status = BROKER_STATUSES.find((s) => s === arg.toUpperCase());
  if (!status) {
    const allowed = BROKER_STATUSES.join(", ");
    throw new ArgumentError(`broker filter must be "all" or one of ${allowed}, got "${printable(arg, 40)}"`);
  }
  return { status };
}

async function brokers(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  const { open, ...filter } = brokerFilter(args[0]);
  const listed = await ctx.metadata.listBrokers({ ...filter, consistency: STALE });
  const list = open ? listed.filter((b) => b.fields.brokerStatus !== "CLOSED") : listed;
  if (list.length === 0) return output("(no brokers)");
  const leads = await ctx.metadata.leaderCounts(STALE);
  const rows = [...list]
    .sort((a, b) => a.fields.brokerId - b.fields.brokerId)
    .map(({ fields: f }) => [
      f.brokerId,
      f.brokerStatus,
      f.brokerHost,
      f.brokerPort,
      f.securityProtocol,
      f.rackId,
      f.epoch,
      leads.get(f.brokerId) ?? 0,
    ]);
  return output(
    ...renderTable(
      [
        { title: "ID", align: "right" },
        { title: "STATUS" },
        { title: "HOST" },
        { title: "PORT" },
        { title: "PROTOCOL" },
        { title: "RACK" },
        { title: "EPOCH", align: "right" },
        { title: "LEADS", align: "right" },
      ],
      rows,
    ),
  );
}

async function broker(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  const view = await ctx.metadata.getBroker(parseId("broker id", args[0]), STALE);
  const f = view.fields;
  return output(
    ...renderPairs([
      ["broker id", f.brokerId],
      ["status", f.brokerStatus],
      ["host", f.brokerHost],
      ["port", f.brokerPort],
      ["protocol", f.securityProtocol],
      ["rack", f.rackId],
      ["epoch", f.epoch],
      ["internal uuid", f.internalUUID],
      ["changed at", `offset ${view.offset}, ${view.timestamp}`],
    ]),
  );
}

async function topics(ctx: CommandContext): Promise<CommandOutput> {
  const list = await ctx.metadata.listTopics(STALE);
  if (list.length === 0) return output("(no topics)");
  const rows = [...list]
    .sort((a, b) => (a.fields.name < b.fields.name ? -1 : 1))
    .map((t) => [t.fields.name, t.fields.topicUUID, t.offset, t.timestamp]);
  return output(
    ...renderTable(
      [{ title: "NAME" }, { title: "TOPIC UUID" }, { title: "OFFSET", align: "right" }, { title: "CREATED" }],
      rows,
    ),
  );
}

async function topic(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  if (!TOPIC_NAME.test(args[0])) {
    throw new ArgumentError(`topic name must be 1-249 characters of [a-zA-Z0-9._-], got "${printable(args[0], 60)}"`);
  }
  const view = await ctx.metadata.getTopic(args[0], STALE);
  const head = renderPairs([
    ["topic", view.topic.fields.name],
    ["topic uuid", view.topic.fields.topicUUID],
    ["created at", `offset ${view.topic.offset}, ${view.topic.timestamp}`],
    ["partitions", view.partitions.length],
  ]);
  if (view.partitions.length === 0) return output(...head);
  const rows = [...view.partitions]
    .sort((a, b) => a.fields.partitionId - b.fields.partitionId)
    .map(({ fields: p }) => [
      p.partitionId,
      p.leader,
      listOrDash(p.replicas),
      listOrDash(p.ISR),
      listOrDash(p.addingReplicas),
      listOrDash(p.removingReplicas),
      p.leaderEpoch,
      p.partitionEpoch,
    ]);
  const table = renderTable(
    [
      { title: "PARTITION", align: "right" },
      { title: "LEADER" },
      { title: "REPLICAS" },
      { title: "ISR" },
      { title: "ADDING" },
      { title: "REMOVING" },
      { title: "LEADER EPOCH", align: "right" },
      { title: "EPOCH", align: "right" },
    ],
    rows,
  );
  return output(...head, "", ...table);
}

/** `key=value` pairs of a record's fields on one line. */
function compactFields(record: MetadataRecord): string {
  return Object.entries(record.fields)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? `[${value.join(",")}]` : String(value)}`)
    .join(" ");
}

async function log(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  const max = ctx.limits.maxLogRecords;
  const count = args[1] === undefined ? Math.min(DEFAULT_LOG_COUNT, max) : parseBoundedInt("count", args[1], 1, max);
  const from =
    args[0] === undefined
      ? Math.max(1, ctx.node.status().lastOffset - count + 1)
      : parseBoundedInt("from", args[0], 1, Number.MAX_SAFE_INTEGER);
  const page = await ctx.metadata.log(from, count);
  const span = `log holds offsets ${page.firstOffset}..${page.lastOffset}`;
  if (page.records.length === 0) return output(`(no records from offset ${from}; ${span})`);
  const rows = page.records.map((r) => [r.offset, r.timestamp, r.name, compactFields(r)]);
  return output(
    ...renderTable(
      [
        { title: "OFFSET", align: "right" },
        { title: "TIMESTAMP" },
        { title: "RECORD" },
        { title: "FIELDS", maxChars: MAX_FIELDS_CHARS },
      ],
      rows,
    ),
    `(${page.records.length} records; ${span})`,
  );
}

export const METADATA_COMMANDS: readonly CommandSpec[] = [
  {
    name: "brokers",
    args: "[all|<status>]",
    summary: "brokers that are not CLOSED, fenced included, with the partitions each leads (all, or one status)",
    minArgs: 0,
    maxArgs: 1,
    changesCluster: false,
    run: brokers,
  },
  {
    name: "broker",
    args: "<id>",
    summary: "one broker's current registration",
    minArgs: 1,
    maxArgs: 1,
    changesCluster: false,
    run: broker,
  },
  {
    name: "topics",
    args: "",
    summary: "every topic",
    minArgs: 0,
    maxArgs: 0,
    changesCluster: false,
    run: topics,
  },
  {
    name: "topic",
    args: "<name>",
    summary: "one topic and its partitions",
    minArgs: 1,
    maxArgs: 1,
    changesCluster: false,
    run: topic,
  },
  {
    name: "log",
    args: "[from] [count]",
    summary: `metadata records from offset <from> (default: the last ${DEFAULT_LOG_COUNT} offsets)`,
    minArgs: 0,
    maxArgs: 2,
    changesCluster: false,
    run: log,
  },
];
