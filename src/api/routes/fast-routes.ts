// The routes a listening node serves from Bun's router ahead of Elysia (fast-route.ts): the hot
// routes of the benchmarks (the steady rows' broker update and read, the mixed rows' topic and
// producer writes and topic read) and of a broker fleet (its poll). Each is also an Elysia route,
// which serves every request the fast one hands on (a query string, another method, a
// percent-encoded path). On a node with --auth-tokens they check the token as Elysia's hook does.
import type { ApiDeps } from "../deps.ts";
import type { FastRoute } from "../fast-route.ts";
import { brokerMgmtFastRoute } from "./broker-mgmt-fast.ts";
import { readBrokerFastRoute, updateBrokerFastRoute } from "./brokers.ts";
import { registerProducerFastRoute } from "./producers.ts";
import { createTopicFastRoute, readTopicFastRoute } from "./topics.ts";

export function fastRoutes(deps: ApiDeps): FastRoute[] {
  return [
    brokerMgmtFastRoute(deps),
    updateBrokerFastRoute(deps),
    readBrokerFastRoute(deps),
    createTopicFastRoute(deps),
    registerProducerFastRoute(deps),
    readTopicFastRoute(deps),
  ];
}
