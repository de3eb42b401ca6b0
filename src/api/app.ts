// The node's HTTP API (API.md): every route module over the metadata service and the consensus
// handle, behind one lifecycle (body bound, JSON parsing, error mapping, request metrics).
// createApp does not listen; serve.ts does, for the node runtime.
import { type AnyElysia, Elysia } from "elysia";
import type { Consistency, MetadataService } from "../metadata/service-types.ts";
import type { ConsensusHandle } from "../node/contracts.ts";
import type { TokenStore } from "../auth/token-store.ts";
import { authGuard } from "./auth-guard.ts";
import type { ApiDeps } from "./deps.ts";
import { fastRouteTable } from "./fast-route.ts";
import { type ApiLogger, type HttpHooksOptions, httpHooks } from "./http-hooks.ts";
import { type ApiLimits, resolveLimits } from "./limits.ts";
import { ImagePages } from "./image-pages.ts";
import { TOPIC_BODIES_MAX_BYTES, TopicBodies } from "./topic-bodies.ts";
import { RequestMetrics } from "./request-metrics.ts";
import { StreamGate } from "./stream-gate.ts";
import { backupRoutes } from "./routes/backup.ts";
import { brokerMgmtRoutes } from "./routes/broker-mgmt.ts";
import { brokerRoutes } from "./routes/brokers.ts";
import { clientMgmtRoutes } from "./routes/client-mgmt.ts";
import { clusterRoutes } from "./routes/cluster.ts";
import { fastRoutes } from "./routes/fast-routes.ts";
import { healthRoutes } from "./routes/health.ts";
import { logRoutes } from "./routes/log.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { partitionChangeRoutes } from "./routes/partition-changes.ts";
import { producerRoutes } from "./routes/producers.ts";
import { seedCompatRoutes } from "./routes/seed-compat.ts";
import { snapshotRoutes } from "./routes/snapshots.ts";
import { topicRoutes } from "./routes/topics.ts";
import { voterRoutes } from "./routes/voters.ts";
import { uiRoutes } from "./routes/ui.ts";
import { watchRoutes } from "./routes/watch.ts";
import { WatchHub } from "./watch/watch-hub.ts";

export interface CreateAppOptions {
  service: MetadataService;
  handle: ConsensusHandle;
  limits?: Partial<ApiLimits>;
  /** Milliseconds from any origin, for request latency; injectable so tests control time. */
  now?: () => number;
  /** One JSON line per server fault; defaults to stderr. */
  log?: ApiLogger;
  /** The watchers of GET /v1/watch; the node passes its own to close them at shutdown. */
  watchers?: WatchHub;
  /** `--auth-tokens`: every route but /healthz needs a Bearer token of a large enough role. */
  tokens?: TokenStore | null;
  /** Audit lines for admin changes (who, what, when); defaults to stdout, the node's log. */
  audit?: ApiLogger;
  /**
   * How the fast route reads `GET /v1/topics/:name` without a query string: linearizable, as API.md
   * has it, unless this says stale — the start-up warm-up's throwaway app (warm-up.ts), whose
   * reads run the served code with the same objects but take no read round.
   */
  plainTopicReads?: Consistency;
}

function stdoutAudit(handle: ConsensusHandle): ApiLogger {
  return (event, fields) => {
    const { nodeId, term, role } = handle.status();
    console.log(JSON.stringify({ event, node: nodeId, term, role, ...fields }));
  };
}

/** One JSON line on stderr with the node, term and role (DESIGN.md's log shape). */
function stderrLog(handle: ConsensusHandle): ApiLogger {
  return (event, fields) => {
    const { nodeId, term, role } = handle.status();
    console.error(JSON.stringify({ event, node: nodeId, term, role, ...fields }));
  };
}

export function createApp(options: CreateAppOptions) {
  const limits = resolveLimits(options.limits);
  const watchers = options.watchers ?? new WatchHub(options.service, options.handle);
  const now = options.now ?? (() => performance.now());
  const deps: ApiDeps = {
    service: options.service,
    handle: options.handle,
    limits,
    requests: new RequestMetrics(),
    watchers,
    streams: new StreamGate(limits.maxImageStreams),
    pages: new ImagePages(limits, now),
    topicBodies: new TopicBodies(TOPIC_BODIES_MAX_BYTES),
    plainTopicReads: options.plainTopicReads ?? "linearizable",
  };
  let app: AnyElysia | null = null;
  const finished = () => {
    if (!app) throw new Error("the app's routes were asked for before the app was built");
    return app;
  };
  const guard = authGuard({ tokens: options.tokens ?? null, audit: options.audit ?? stdoutAudit(options.handle) });
  const log = options.log ?? stderrLog(options.handle);
  const hooks: HttpHooksOptions = { limits, requests: deps.requests, now, log, app: finished, answered: guard.audit };
  // The hot routes go to Bun's router ahead of Elysia's (a listening node only), with the token
  // check of Elysia's auth hook on a node with --auth-tokens.
  const routes = fastRouteTable({ ...hooks, authorize: guard.check }, fastRoutes(deps));
  const built = new Elysia({ normalize: false, serve: { routes } })
    .use(httpHooks(hooks))
    .use(guard.plugin)
    .use(brokerRoutes(deps))
    .use(topicRoutes(deps))
    .use(partitionChangeRoutes(deps))
    .use(producerRoutes(deps))
    .use(brokerMgmtRoutes(deps))
    .use(clientMgmtRoutes(deps))
    .use(clusterRoutes(deps))
    .use(voterRoutes(deps))
    .use(logRoutes(deps))
    .use(snapshotRoutes(deps))
    .use(backupRoutes(deps))
    .use(watchRoutes(deps))
    .use(uiRoutes())
    .use(metricsRoutes(deps))
    .use(healthRoutes(deps))
    .use(seedCompatRoutes(deps))
    .use(openApiRoutes(finished));
  app = built;
  return built;
}

export type YaktApp = ReturnType<typeof createApp>;
