// Start-up wiring of one node: data dir → metadata state machine → Raft runtime (peer transport)
// → metadata service → REST API → console. Returns a handle whose stop() undoes it in reverse.
import { DEFAULT_LIMITS } from "../admin/console-options.ts";
import { startConsole, type ConsoleServer } from "../admin/console-server.ts";
import { createApp, type YaktApp } from "../api/app.ts";
import { relistenApi, serveApi } from "../api/serve.ts";
import { WARM_UP_TOPICS, collectRestoreGarbage, warmUpLogged } from "../api/warm-up.ts";
import { WatchHub } from "../api/watch/watch-hub.ts";
import { createMetadataService, type MetadataServiceHandle } from "../metadata/service.ts";
import { MetadataStateMachine } from "../metadata/state-machine.ts";
import { type LogSink, stdoutSink } from "../node/logger.ts";
import { LoopLagProbe } from "../node/loop-lag.ts";
import { RaftRuntime } from "../node/raft-runtime.ts";
import { IntervalTicker } from "../node/ticker.ts";
import { collectYoungGeneration } from "../node/young-collections.ts";
import type { Membership } from "../raft/types.ts";
import { StorageError } from "../storage/storage-error.ts";
import { PeerTransport } from "../transport/peer-transport.ts";
import { StartupError } from "./cli-errors.ts";
import { openDataDir } from "./data-dir.ts";
import { foundingVoters } from "./founding-voters.ts";
import type { SqliteStorage } from "../storage/sqlite-storage.ts";
import { type StorageLog, stderrStorageLog } from "../storage/storage-log.ts";
import { exposureWarnings } from "./exposure.ts";
import { readPeerTls, readSecurity, readTls, readTokenEntries, type SecurityState } from "./security-files.ts";
import { formatHostPort } from "./host-port.ts";
import type { NodeConfig } from "./node-config.ts";
import { checkOwnPeerCert, peerHandshakeTimeoutMs, readPeerSecret, warnIfPeerPortOpen } from "./peer-security.ts";

export interface RunningNode {
  runtime: RaftRuntime;
  addresses: { http: string; peer: string; admin: string };
  /** Stop accepting, let in-flight requests finish, then stop the runtime and close the database. */
  stop(): Promise<void>;
  /** SIGHUP: read the token file and the TLS files again; a bad file keeps the old material. */
  reload(): void;
}

export interface StartOptions {
  logSink?: LogSink;
  onFatal?: (error: Error) => void;
}

export async function startNode(config: NodeConfig, opts: StartOptions = {}): Promise<RunningNode> {
  // Read before the data dir is opened: a bad secret file stops the node before it touches disk.
  const secretWarnings: [string, Record<string, unknown>][] = [];
  const keepWarning = (event: string, fields: Record<string, unknown>) => secretWarnings.push([event, fields]);
  const secret = config.peerSecretFile === null ? null : readPeerSecret(config.peerSecretFile, keepWarning);
  warnIfPeerPortOpen(config, secret !== null, keepWarning);
  // Read before the data dir is opened: a wrong path fails the start before anything is written.
  const security = readSecurity(config);
  if (security.peerTls !== null) checkOwnPeerCert(config.nodeId, security.peerTls, keepWarning);
  let peerTransport: PeerTransport | null = null;
  // The store opens before the node's logger exists; its rare events go to stderr until then.
  let storageLog: StorageLog = stderrStorageLog;
  const { storage, identity, formatted } = openDataDir(config, (level, event, fields) => storageLog(level, event, fields));
  const founders = keptFounders(storage, config);
  const stateMachine = new MetadataStateMachine();
  const loopLag = new LoopLagProbe();
  let restoreGc: ReturnType<typeof collectRestoreGarbage> | undefined;
  const runtime = new RaftRuntime({
    clusterId: identity.clusterId,
    nodeId: config.nodeId,
    directoryId: identity.directoryId,
    storage,
    stateMachine,
    initialMembership: initialMembership(config),
    ticker: new IntervalTicker(config.tickMs),
    random: Math.random,
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    snapshotEntries: config.snapshotEntries,
    snapshotIntervalMs: config.snapshotIntervalS * 1000,
    snapshotRecords: config.snapshotRecords,
    promotionTimeoutMs: config.promotionTimeoutMs,
    logSink: opts.logSink ?? stdoutSink,
    onFatal: opts.onFatal,
    loopLag,
    // The garbage of a sliced install and of a snapshot is collected as they go (young-collections.ts).
    collectYoung: collectYoungGeneration,
    // The restore's garbage goes before the peers are served (warm-up.ts).
    onRestored: () => {
      restoreGc = collectRestoreGarbage();
    },
    transport: (handlers) =>
      (peerTransport = new PeerTransport({
        clusterId: identity.clusterId,
        nodeId: config.nodeId,
        listenHost: config.listenPeer.host,
        listenPort: config.listenPeer.port,
        peers: new Map(config.peers),
        ...handlers,
        // A refused handshake is a peer misconfigured (cluster id, secret, certificate, founders): the operator's to fix.
        log: (event, fields) => (REFUSALS.has(event) ? runtime.log.warn(event, fields) : runtime.log.info(event, fields)),
        secret,
        founders,
        tls: security.peerTls,
        limits: { handshakeTimeoutMs: peerHandshakeTimeoutMs(config) },
      })),
  });
  storageLog = (level, event, fields) => runtime.log[level](event, fields);
  for (const [event, fields] of secretWarnings) runtime.log.warn(event, fields);
  const log = (event: string, fields: Record<string, unknown>) => runtime.log.info(event, fields);
  if (formatted) log("data_dir_formatted", { dataDir: config.dataDir, clusterId: identity.clusterId, directoryId: identity.directoryId });
  const peerPort = await startOrUndo("peer transport", config.listenPeer, () => runtime.start(), [() => runtime.stop()]);
  const service = createMetadataService({
    handle: runtime,
    stateMachine,
    sessionTimeoutMs: config.sessionTimeoutMs,
    diffWindowMs: config.metadataDiffWindowS * 1000,
    log,
  });
  const undoCore = [async () => service.stop(), () => runtime.stop()];
  const watchers = new WatchHub(service, runtime, { maxWatchers: config.maxWatchers });
  // Before clients are served: the read path run until compiled (warm-up.ts), on a throwaway app
  // made at its first read, so that even its failure is the warm-up's, reported, not the start's.
  await warmUpLogged({
    makeApp: (plainTopicReads) => createApp({ service, handle: runtime, log, watchers, tokens: null, plainTopicReads }),
    topicNames: () => stateMachine.image().someTopicNames(WARM_UP_TOPICS),
    log: (done) => log("warm_up_done", done),
    fields: { ...restoreGc },
  });
  const warnings = exposureWarnings(config);
  for (const warning of warnings) runtime.log.warn("insecure_listener", { warning });
  const app = await startOrUndo("HTTP API", config.listenHttp, async () => serveApi(createApp({ service, handle: runtime, log, watchers, tokens: security.tokens }), {
    hostname: config.listenHttp.host,
    port: config.listenHttp.port,
    tls: security.tls,
  }), undoCore);
  const consoleServer = await startOrUndo("admin console", config.listenAdmin, () => startConsole({
    handle: runtime,
    service,
    host: config.listenAdmin.host,
    port: config.listenAdmin.port,
    token: config.adminToken ?? undefined,
    // An add-voter waits up to the promotion timeout, then proposes the promotion: let it finish.
    limits: { commandTimeoutMs: Math.max(DEFAULT_LIMITS.commandTimeoutMs, config.promotionTimeoutMs + PROMOTION_SLACK_MS) },
    adminTokens: security.tokens,
    warnings,
    log,
  }), [() => app.stop(true), ...undoCore]);
  const addresses = {
    http: formatHostPort({ host: config.listenHttp.host, port: app.server?.port ?? config.listenHttp.port }),
    peer: formatHostPort({ host: config.listenPeer.host, port: peerPort.peerPort }),
    admin: formatHostPort({ host: config.listenAdmin.host, port: consoleServer.port }),
  };
  // Pauses count from here: the start-up before it (the snapshot load, building the app) serves nobody.
  loopLag.start();
  log("node_listening", { clusterId: identity.clusterId, directoryId: identity.directoryId, dataDir: config.dataDir, https: security.tls !== null, peerTls: security.peerTls !== null, tokens: security.tokens?.size ?? 0, ...addresses });
  const reload = () => {
    reloadSecurity(config, security, app, log);
    if (peerTransport !== null) reloadPeerTls(config, peerTransport, log);
  };
  return { runtime, addresses, reload, stop: () => stopAll(app, consoleServer, watchers, service, runtime) };
}

/** Re-read what SIGHUP rotates. Each part is read whole before it replaces the old one. */
function reloadSecurity(config: NodeConfig, security: SecurityState, app: YaktApp, log: (e: string, f: Record<string, unknown>) => void): void {
  if (config.authTokensFile !== null && security.tokens !== null) {
    try {
      security.tokens.replace(readTokenEntries(config.authTokensFile));
      log("auth_tokens_reloaded", { file: config.authTokensFile, tokens: security.tokens.size });
    } catch (e) {
      log("auth_tokens_reload_failed", { file: config.authTokensFile, error: (e as Error).message });
    }
  }
  if (config.tls !== null) {
    try {
      security.tls = readTls(config.tls);
      relistenApi(app, security.tls, { hostname: config.listenHttp.host });
      log("tls_reloaded", { cert: config.tls.cert });
    } catch (e) {
      log("tls_reload_failed", { cert: config.tls.cert, error: (e as Error).message });
    }
  }
}

/** New peer material for the connections made from now on; the established ones keep their sessions. */
function reloadPeerTls(config: NodeConfig, transport: PeerTransport, log: (e: string, f: Record<string, unknown>) => void): void {
  if (config.peerTls === null) return;
  try {
    const material = readPeerTls(config.peerTls);
    checkOwnPeerCert(config.nodeId, material, log);
    transport.setTls(material);
    log("peer_tls_reloaded", { cert: config.peerTls.cert, ca: config.peerTls.ca, effect: "new peer connections use it; established ones keep their TLS session" });
  } catch (e) {
    log("peer_tls_reload_failed", { cert: config.peerTls.cert, error: (e as Error).message });
  }
}

function initialMembership(config: NodeConfig): Membership {
  const addresses: Record<string, string> = {};
  for (const [id, address] of config.peers) addresses[String(id)] = address;
  // A node missing from --peers is joining: it knows the cluster but is no voter until added.
  addresses[String(config.nodeId)] ??= formatHostPort(config.listenPeer);
  return { voters: [...config.peers.keys()], learners: [], addresses };
}

/** Transport events that name a peer's misconfiguration (logged as warnings). */
const REFUSALS: ReadonlySet<string> = new Set(["handshake_refused", "peer_mismatch", "peer_tls_refused"]);

/** The founders of foundingVoters, or a refusal to start that closes the store. */
function keptFounders(storage: SqliteStorage, config: NodeConfig): number[] {
  try {
    return foundingVoters(storage, config);
  } catch (e) {
    storage.close();
    throw new StartupError(`refusing to start: ${(e as Error).message}`);
  }
}

/** Run one start step; if it fails, undo the steps before it and explain which listener failed. */
async function startOrUndo<T>(
  what: string,
  at: { host: string; port: number },
  step: () => Promise<T>,
  undo: (() => Promise<unknown>)[],
): Promise<T> {
  try {
    return await step();
  } catch (e) {
    for (const u of undo) await u().catch(() => {});
    // The runtime restores from its store before it listens: a damaged store is not a port problem.
    if (e instanceof StorageError) throw new StartupError(`refusing to start: ${e.message}`);
    throw new StartupError(`cannot start the ${what} on ${formatHostPort(at)}: ${(e as Error).message}`);
  }
}

/** Bound on letting in-flight HTTP requests finish at shutdown; long polls are cut after it. */
const API_DRAIN_MS = 5_000;
/** Room after the promotion wait for the two config entries of an add-voter to commit. */
const PROMOTION_SLACK_MS = 10_000;

async function stopAll(app: YaktApp, consoleServer: ConsoleServer, watchers: WatchHub, service: MetadataServiceHandle, runtime: RaftRuntime): Promise<void> {
  consoleServer.stop();
  watchers.closeAll(); // a watch stream never ends by itself: the drain below would wait it out
  const server = app.server;
  // Without force, Bun stops accepting and lets the requests in flight finish.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    app.stop(false).then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), API_DRAIN_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!drained) await server?.stop(true);
  service.stop();
  await runtime.stop();
}
