// Seed-compatible BrokerMgmt, ClientMgmt and status routes.
import { Elysia } from "elysia";
import { MAX_BROKER_ID } from "../../../metadata/limits.ts";
import type { ApiDeps } from "../../deps.ts";
import { toInt } from "../../params.ts";
import { BrokerFetchBody } from "../../schemas/metadata-fetch.ts";
import { ClientFetchQuery, WaitQuery } from "../../schemas/queries.ts";
import { SeedBrokerMgmtQuery } from "../../schemas/seed.ts";
import { waitMsOf } from "../../wait.ts";

const detail = (summary: string) => ({ tags: ["seed-compat"], summary });

export function seedMgmtRoutes({ service, handle }: ApiDeps) {
  return new Elysia()
    .get(
      "/BrokerMgmt",
      async ({ query }) => {
        const fetch = { since: query.since, waitMs: waitMsOf(query.wait_ms) };
        if (query.brokerId === undefined) {
          // The original route answered with no parameters: all metadata, and no broker heartbeats.
          const answer = await service.metadata(fetch);
          return { message: `cluster metadata (${answer.mode})`, ...answer };
        }
        const brokerId = toInt("brokerId", query.brokerId, 0, MAX_BROKER_ID);
        const answer = await service.brokerMetadata(brokerId, fetch);
        return { message: `metadata for broker ${brokerId} (${answer.mode})`, ...answer };
      },
      { query: SeedBrokerMgmtQuery, detail: detail("Seed: BrokerMgmt fetch and heartbeat (query form); without brokerId all metadata, no heartbeat") },
    )
    .post(
      "/BrokerMgmt",
      async ({ body, query }) => {
        const fetch = { since: body.since, waitMs: waitMsOf(query.wait_ms, body.wait_ms) };
        const answer = await service.brokerMetadata(body.brokerId, fetch, { wantShutdown: body.wantShutdown === true });
        return { message: `metadata for broker ${body.brokerId} (${answer.mode})`, ...answer };
      },
      { body: BrokerFetchBody, query: WaitQuery, detail: detail("Seed: BrokerMgmt fetch and heartbeat (body form; wantShutdown for a controlled shutdown)") },
    )
    .get(
      "/ClientMgmt",
      async ({ query }) => {
        const answer = await service.clientMetadata({ since: query.since, waitMs: waitMsOf(query.wait_ms) });
        return { message: `client metadata (${answer.mode})`, ...answer };
      },
      { query: ClientFetchQuery, detail: detail("Seed: ClientMgmt fetch") },
    )
    .get(
      "/status",
      () => {
        const status = handle.status();
        return { node_id: status.nodeId, state: status.role, leader: status.leader, term: status.term };
      },
      { detail: detail("Seed: this node's id and Raft state") },
    );
}
