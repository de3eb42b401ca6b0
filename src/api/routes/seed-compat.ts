// The original YAKt course project's routes, for its clients: same service calls as /v1, the
// original top-level answer keys (message, active_brokers, node_id, state) plus the record.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { seedBrokerRoutes } from "./seed/brokers.ts";
import { seedMgmtRoutes } from "./seed/mgmt.ts";
import { seedTopicRoutes } from "./seed/topics.ts";

export function seedCompatRoutes(deps: ApiDeps) {
  return new Elysia().use(seedBrokerRoutes(deps)).use(seedTopicRoutes(deps)).use(seedMgmtRoutes(deps));
}
