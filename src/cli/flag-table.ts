// Every flag of `yakt` with its default and meaning: the single source for parsing and --help.

export interface FlagSpec {
  name: string;
  /** Shown in --help; "" for flags without a value. */
  value: string;
  default: string;
  help: string;
}

export const NODE_FLAGS: readonly FlagSpec[] = [
  { name: "node-id", value: "<n>", default: "1", help: "this node's id (positive integer)" },
  {
    name: "peers",
    value: "<id@host:port,…>",
    default: "<node-id>@<listen-peer> (a one-node cluster)",
    help: "the voters of the initial cluster and their peer addresses",
  },
  {
    name: "cluster-id",
    value: "<id>",
    default: "the data dir's; yakt-local for a one-node cluster",
    help: "cluster id: checked against the data dir; names a new one-node cluster (with --peers, format first: yakt format)",
  },
  { name: "listen-http", value: "<host:port>", default: "127.0.0.1:8080", help: "REST API address" },
  { name: "listen-peer", value: "<host:port>", default: "this node's --peers address; 127.0.0.1:9091 without --peers", help: "Raft peer address (required for a node not in --peers: the address the others dial)" },
  { name: "listen-admin", value: "<host:port>", default: "127.0.0.1:9990", help: "operator console (telnet) address" },
  { name: "admin-token", value: "<token>", default: "none (remote console sessions are read-only)", help: "token for `auth` on the console" },
  {
    name: "peer-secret-file",
    value: "<file>",
    default: "none (peers prove nothing; a warning when peers are not on loopback)",
    help: "the cluster's shared peer secret (16..4096 bytes); every peer must prove it holds the same one",
  },
  {
    name: "peer-tls-cert",
    value: "<file>",
    default: "none (plain TCP between peers)",
    help: "PEM certificate naming this node (CN=yakt-node-<id> or SAN URI:yakt:node:<id>): the peer port speaks mTLS (with --peer-tls-key, --peer-tls-ca)",
  },
  { name: "peer-tls-key", value: "<file>", default: "none", help: "PEM private key of --peer-tls-cert" },
  { name: "peer-tls-ca", value: "<file>", default: "none", help: "PEM CA every peer's certificate must chain to, both ways" },
  { name: "data-dir", value: "<dir>", default: "./yakt-data", help: "where the node keeps its database" },
  { name: "tls-cert", value: "<file>", default: "none (plain HTTP)", help: "PEM certificate: the REST API serves HTTPS only (with --tls-key)" },
  { name: "tls-key", value: "<file>", default: "none", help: "PEM private key of --tls-cert" },
  { name: "tls-client-ca", value: "<file>", default: "none", help: "PEM CA: REST clients must present a certificate it signed (mTLS)" },
  {
    name: "auth-tokens",
    value: "<file>",
    default: "none (no tokens needed)",
    help: "lines of `<token> <role> [<name>]` (roles admin, broker, reader): every route but /healthz needs a Bearer token",
  },
  { name: "tick-ms", value: "<ms>", default: "10", help: "Raft tick interval" },
  { name: "election-ticks", value: "<n>", default: "10", help: "ticks without a leader before an election" },
  { name: "heartbeat-ticks", value: "<n>", default: "2", help: "ticks between leader heartbeats" },
  {
    name: "snapshot-entries",
    value: "<n>",
    default: "50000",
    help: "snapshot after this many applied entries (+0..49% by node id, so replicas do not snapshot together)",
  },
  {
    name: "snapshot-records",
    value: "<n>",
    default: "250000",
    help: "also snapshot once applied entries produced this many records, e.g. topic creations of many partitions (same adjustments)",
  },
  { name: "snapshot-interval-s", value: "<s>", default: "300", help: "snapshot after this long with new entries (same adjustments)" },
  {
    name: "promotion-timeout-ms",
    value: "<ms>",
    default: "30000",
    help: "add-voter: how long a new learner may take to catch up before it is left a learner (100..30000)",
  },
  { name: "session-timeout-ms", value: "<ms>", default: "9000", help: "a broker silent this long is fenced" },
  { name: "metadata-diff-window", value: "<s>", default: "600", help: "a `since` older than this gets a snapshot" },
  {
    name: "max-watchers",
    value: "<n>",
    default: "1024",
    help: "GET /v1/watch streams this node serves at once (1..65536); one more is refused with 503 (1,000 watching brokers fit on two nodes)",
  },
  { name: "help", value: "", default: "", help: "print this help and exit" },
  { name: "version", value: "", default: "", help: "print the version and exit" },
];

export const FORMAT_FLAGS: readonly FlagSpec[] = [
  { name: "cluster-id", value: "<id>", default: "(required)", help: "cluster id to stamp into the data dir (with a new random directory id)" },
  { name: "node-id", value: "<n>", default: "(required)", help: "node id to stamp into the data dir" },
  { name: "data-dir", value: "<dir>", default: "(required)", help: "the data dir to format" },
  { name: "help", value: "", default: "", help: "print this help and exit" },
];

export const RECOVER_FLAGS: readonly FlagSpec[] = [
  { name: "data-dir", value: "<dir>", default: "(required)", help: "the data dir of a stopped node that survived" },
  {
    name: "voters",
    value: "<id@host:port,…>",
    default: "(required)",
    help: "the new voters, this node among them; the others are formatted anew and join",
  },
  { name: "help", value: "", default: "", help: "print this help and exit" },
];

export function parseArgsOptions(specs: readonly FlagSpec[]) {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const s of specs) options[s.name] = { type: s.value === "" ? "boolean" : "string" };
  return options;
}
