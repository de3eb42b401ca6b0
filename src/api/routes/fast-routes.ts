// The routes a listening node serves from Bun's router ahead of Elysia (fast-route.ts): the hot
// routes of the benchmarks and of a broker fleet. Each is also an Elysia route, which serves every
// request the fast one hands on (a query string, another method, a percent-encoded path) and every
// request of a node with --auth-tokens.
import type { ApiDeps } from "../deps.ts";
import type { FastRoute } from "../fast-route.ts";
import { brokerMgmtFastRoute } from "./broker-mgmt-fast.ts";
import { updateBrokerFastRoute } from "./brokers.ts";
import { registerProducerFastRoute } from "./producers.ts";
import { createTopicFastRoute, readTopicFastRoute } from "./topics.ts";

export function fastRoutes(deps: ApiDeps): FastRoute[] {
  return [brokerMgmtFastRoute(deps), updateBrokerFastRoute(deps), createTopicFastRoute(deps), registerProducerFastRoute(deps), readTopicFastRoute(deps)];
}
