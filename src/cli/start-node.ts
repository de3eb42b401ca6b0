// Start-up wiring of one node: data dir → metadata state machine → Raft runtime (peer transport)
// → metadata service → REST API → console. Returns a handle whose stop() undoes it in reverse.
import { startConsole, type ConsoleServer } from "../admin/console-server.ts";
import { createApp, type YaktApp } from "../api/app.ts";
import { serveApi } from "../api/serve.ts";
import { createMetadataService, type MetadataServiceHandle } from "../metadata/service.ts";
import { MetadataStateMachine } from "../metadata/state-machine.ts";
import { type LogSink, stdoutSink } from "../node/logger.ts";
import { RaftRuntime } from "../node/raft-runtime.ts";
import { IntervalTicker } from "../node/ticker.ts";
import type { Membership } from "../raft/types.ts";
import { PeerTransport } from "../transport/peer-transport.ts";
import { StartupError } from "./cli-errors.ts";
import { openDataDir } from "./data-dir.ts";
import { formatHostPort } from "./host-port.ts";
import type { NodeConfig } from "./node-config.ts";

export interface RunningNode {
  runtime: RaftRuntime;
  addresses: { http: string; peer: string; admin: string };
  /** Stop accepting, let in-flight requests finish, then stop the runtime and close the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logSink?: LogSink;
  onFatal?: (error: Error) => void;
}

export async function startNode(config: NodeConfig, opts: StartOptions = {}): Promise<RunningNode> {
  const { storage, identity, formatted } = openDataDir(config);
  const stateMachine = new MetadataStateMachine();
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
    logSink: opts.logSink ?? stdoutSink,
    onFatal: opts.onFatal,
    transport: (handlers) =>
      new PeerTransport({
        clusterId: identity.clusterId,
        nodeId: config.nodeId,
        listenHost: config.listenPeer.host,
        listenPort: config.listenPeer.port,
        peers: new Map(config.peers),
        ...handlers,
        log: (event, fields) => runtime.log.info(event, fields),
      }),
  });
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
  const app = await startOrUndo("HTTP API", config.listenHttp, async () => serveApi(createApp({ service, handle: runtime, log }), {
    hostname: config.listenHttp.host,
    port: config.listenHttp.port,
  }), undoCore);
  const consoleServer = await startOrUndo("admin console", config.listenAdmin, () => startConsole({
    handle: runtime,
    service,
    host: config.listenAdmin.host,
    port: config.listenAdmin.port,
    token: config.adminToken ?? undefined,
    log,
  }), [() => app.stop(true), ...undoCore]);
  const addresses = {
    http: formatHostPort({ host: config.listenHttp.host, port: app.server?.port ?? config.listenHttp.port }),
    peer: formatHostPort({ host: config.listenPeer.host, port: peerPort.peerPort }),
    admin: formatHostPort({ host: config.listenAdmin.host, port: consoleServer.port }),
  };
  log("node_listening", { clusterId: identity.clusterId, directoryId: identity.directoryId, dataDir: config.dataDir, ...addresses });
  return { runtime, addresses, stop: () => stopAll(app, consoleServer, service, runtime) };
}

function initialMembership(config: NodeConfig): Membership {
  const addresses: Record<string, string> = {};
  for (const [id, address] of config.peers) addresses[String(id)] = address;
  // A node missing from --peers is joining: it knows the cluster but is no voter until added.
  addresses[String(config.nodeId)] ??= formatHostPort(config.listenPeer);
  return { voters: [...config.peers.keys()], learners: [], addresses };
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
    throw new StartupError(`cannot start the ${what} on ${formatHostPort(at)}: ${(e as Error).message}`);
  }
}

/** Bound on letting in-flight HTTP requests finish at shutdown; long polls are cut after it. */
const API_DRAIN_MS = 5_000;

async function stopAll(app: YaktApp, consoleServer: ConsoleServer, service: MetadataServiceHandle, runtime: RaftRuntime): Promise<void> {
  consoleServer.stop();
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
