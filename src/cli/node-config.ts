// The node's flags, parsed and checked into one NodeConfig. Pure: no disk, no network.
import { parseArgs } from "node:util";
import type { NodeId } from "../raft/types.ts";
import { DEFAULT_MAX_WATCHERS, MAX_MAX_WATCHERS } from "../api/watch/watch-hub.ts";
import { DEFAULT_PROMOTION_TIMEOUT_MS, DEFAULT_SNAPSHOT_ENTRIES, DEFAULT_SNAPSHOT_RECORDS } from "../node/runtime-options.ts";
import { UsageError } from "./cli-errors.ts";
import { NODE_FLAGS, parseArgsOptions } from "./flag-table.ts";
import { type HostPort, formatHostPort, parseHostPort } from "./host-port.ts";
import { negativeValuesJoined, parseIntFlag } from "./int-flag.ts";
import { parseNodeId, parsePeers } from "./peers.ts";

export const DEFAULT_CLUSTER_ID = "yakt-local";
const CLUSTER_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export interface NodeConfig {
  nodeId: NodeId;
  /** null: take it from the data dir (or DEFAULT_CLUSTER_ID for a fresh one-node cluster). */
  clusterId: string | null;
  /** The initial voters and their peer addresses. */
  peers: Map<NodeId, string>;
  /** --peers was given: a multi-node cluster, whose data dir only `yakt format` formats. */
  peersGiven: boolean;
  listenHttp: HostPort;
  listenPeer: HostPort;
  listenAdmin: HostPort;
  adminToken: string | null;
  /** --peer-secret-file: read at start (start-node.ts), so the file is checked when the node starts. */
  peerSecretFile: string | null;
  dataDir: string;
  /** --tls-cert/--tls-key (and --tls-client-ca for mTLS): the REST API serves HTTPS only. */
  tls: TlsFiles | null;
  /** --peer-tls-cert/--peer-tls-key/--peer-tls-ca: the peer transport runs over mutual TLS. */
  peerTls: PeerTlsFiles | null;
  /** --auth-tokens: the token file every REST route but /healthz checks. */
  authTokensFile: string | null;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  snapshotEntries: number;
  snapshotIntervalS: number;
  snapshotRecords: number;
  sessionTimeoutMs: number;
  metadataDiffWindowS: number;
  promotionTimeoutMs: number;
  /** GET /v1/watch streams served at once (--max-watchers). */
  maxWatchers: number;
}

export interface TlsFiles {
  cert: string;
  key: string;
  /** Clients must present a certificate signed by this CA. */
  clientCa: string | null;
}

export interface PeerTlsFiles {
  cert: string;
  key: string;
  ca: string;
}

export type NodeCommand = { kind: "help" } | { kind: "version" } | { kind: "run"; config: NodeConfig };

export function parseNodeArgs(args: string[]): NodeCommand {
  const v = parseStrict(args);
  if (v.help) return { kind: "help" };
  if (v.version) return { kind: "version" };
  return { kind: "run", config: toConfig(v) };
}

type Values = Record<string, string | boolean | undefined>;

export function parseStrict(args: string[], options = parseArgsOptions(NODE_FLAGS)): Values {
  try {
    return parseArgs({ args: negativeValuesJoined(args, options), options, strict: true, allowPositionals: false }).values as Values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]} (see --help)`);
  }
}

export function clusterIdFlag(text: string | undefined): string | null {
  if (text === undefined) return null;
  if (!CLUSTER_ID_PATTERN.test(text)) {
    throw new UsageError(`--cluster-id: expected 1..128 characters of [A-Za-z0-9._-], got "${text}"`);
  }
  return text;
}

function toConfig(v: Values): NodeConfig {
  const str = (name: string) => v[name] as string | undefined;
  const nodeId = str("node-id") === undefined ? 1 : parseNodeId("--node-id", str("node-id") as string);
  const peersGiven = str("peers") !== undefined;
  const given = peersGiven ? parsePeers(str("peers") as string) : new Map<NodeId, string>();
  if (peersGiven && !given.has(nodeId) && str("listen-peer") === undefined) {
    // A joiner has no --peers entry to listen on; the one-node default 127.0.0.1:9091 would leave
    // the members unable to reach it (add-voter then fails with "never contacted").
    throw new UsageError(
      `--listen-peer is needed: node ${nodeId} is not in --peers (it joins as a new member), so it has no peer address to listen on; ` +
        `give --listen-peer <host:port>, the peer address the other nodes will dial (the one add-voter ${nodeId}@<host:port> names)`,
    );
  }
  const listenPeer = peerListen(str("listen-peer"), given.get(nodeId));
  const peers = peersGiven ? given : new Map([[nodeId, formatHostPort(listenPeer)]]);
  const electionTicks = parseIntFlag("election-ticks", str("election-ticks"), 10, 2, 1000);
  const heartbeatTicks = parseIntFlag("heartbeat-ticks", str("heartbeat-ticks"), 2, 1, 1000);
  if (heartbeatTicks >= electionTicks) {
    throw new UsageError(`--heartbeat-ticks (${heartbeatTicks}) must be less than --election-ticks (${electionTicks})`);
  }
  const token = str("admin-token");
  if (token !== undefined && !/^\S{1,1024}$/.test(token)) {
    throw new UsageError(`--admin-token: expected 1..1024 characters without whitespace, got ${token.length} characters`);
  }
  const peerSecretFile = str("peer-secret-file") ?? null;
  if (peerSecretFile !== null && peerSecretFile.trim() === "") throw new UsageError("--peer-secret-file: must not be empty");
  const dataDir = str("data-dir") ?? "./yakt-data";
  if (dataDir.trim() === "") throw new UsageError("--data-dir: must not be empty");
  return {
    tls: tlsFiles(str("tls-cert"), str("tls-key"), str("tls-client-ca")),
    peerTls: peerTlsFiles(str("peer-tls-cert"), str("peer-tls-key"), str("peer-tls-ca")),
    authTokensFile: pathFlag("auth-tokens", str("auth-tokens")),
    nodeId,
    clusterId: clusterIdFlag(str("cluster-id")),
    peers,
    peersGiven,
    listenHttp: parseHostPort("--listen-http", str("listen-http") ?? "127.0.0.1:8080"),
    listenPeer,
    listenAdmin: parseHostPort("--listen-admin", str("listen-admin") ?? "127.0.0.1:9990"),
    adminToken: token ?? null,
    peerSecretFile,
    dataDir,
    tickMs: parseIntFlag("tick-ms", str("tick-ms"), 10, 1, 10_000),
    electionTicks,
    heartbeatTicks,
    snapshotEntries: parseIntFlag("snapshot-entries", str("snapshot-entries"), DEFAULT_SNAPSHOT_ENTRIES, 1, 100_000_000),
    snapshotIntervalS: parseIntFlag("snapshot-interval-s", str("snapshot-interval-s"), 300, 1, 31_536_000),
    snapshotRecords: parseIntFlag("snapshot-records", str("snapshot-records"), DEFAULT_SNAPSHOT_RECORDS, 1, 1_000_000_000),
    sessionTimeoutMs: parseIntFlag("session-timeout-ms", str("session-timeout-ms"), 9_000, 100, 3_600_000),
    metadataDiffWindowS: parseIntFlag("metadata-diff-window", str("metadata-diff-window"), 600, 1, 31_536_000),
    // At most 30 s: an add-voter through REST must finish inside the HTTP idle timeout (45 s).
    promotionTimeoutMs: parseIntFlag("promotion-timeout-ms", str("promotion-timeout-ms"), DEFAULT_PROMOTION_TIMEOUT_MS, 100, 30_000),
    maxWatchers: parseIntFlag("max-watchers", str("max-watchers"), DEFAULT_MAX_WATCHERS, 1, MAX_MAX_WATCHERS),
  };
}

/** The peer listen address: the flag, else this node's --peers entry, else (no --peers) the one-node default. */
function peerListen(flag: string | undefined, own: string | undefined): HostPort {
  if (flag !== undefined) return parseHostPort("--listen-peer", flag);
  return parseHostPort("--peers", own ?? "127.0.0.1:9091");
}

function pathFlag(name: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.trim() === "") throw new UsageError(`--${name}: must name a file`);
  return value;
}

function tlsFiles(cert: string | undefined, key: string | undefined, clientCa: string | undefined): TlsFiles | null {
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new UsageError("--tls-client-ca needs --tls-cert and --tls-key (mTLS runs over HTTPS)");
    return null;
  }
  if (cert === undefined || key === undefined) throw new UsageError("--tls-cert and --tls-key go together: give both or neither");
  return { cert: pathFlag("tls-cert", cert) as string, key: pathFlag("tls-key", key) as string, clientCa: pathFlag("tls-client-ca", clientCa) };
}

/** All three or none: a peer link that checks one side only is not mutual authentication. */
function peerTlsFiles(cert: string | undefined, key: string | undefined, ca: string | undefined): PeerTlsFiles | null {
  const given = { "peer-tls-cert": cert, "peer-tls-key": key, "peer-tls-ca": ca };
  const missing = Object.entries(given).filter(([, v]) => v === undefined).map(([k]) => `--${k}`);
  if (missing.length === 3) return null;
  if (missing.length > 0) {
    throw new UsageError(`--peer-tls-cert, --peer-tls-key and --peer-tls-ca go together (both sides of every peer link are verified): missing ${missing.join(", ")}`);
  }
  return { cert: pathFlag("peer-tls-cert", cert) as string, key: pathFlag("peer-tls-key", key) as string, ca: pathFlag("peer-tls-ca", ca) as string };
}
