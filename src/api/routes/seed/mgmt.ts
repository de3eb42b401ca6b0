// Seed-compatible BrokerMgmt, ClientMgmt and status routes. Their metadata answers are written out
// like the v1 routes' (streamed from a frozen view, NDJSON and gzip/zstd on request), `message` first.
import { Elysia } from "elysia";
import { MAX_BROKER_ID } from "../../../metadata/limits.ts";
import type { Audience } from "../../../metadata/frozen-image.ts";
import type { MetadataAnswer } from "../../../metadata/service-types.ts";
import type { ApiDeps } from "../../deps.ts";
import { refuseIdempotencyKey } from "../../idempotency.ts";
import { replyToFetch } from "../../metadata-reply.ts";
import { toInt } from "../../params.ts";
import { BrokerFetchBody } from "../../schemas/metadata-fetch.ts";
import { ClientFetchQuery, WaitQuery } from "../../schemas/queries.ts";
import { SeedBrokerMgmtQuery } from "../../schemas/seed.ts";
import { waitMsOf } from "../../wait.ts";
import { POLL_UNKEYED } from "../broker-mgmt-fast.ts";

const detail = (summary: string) => ({ tags: ["seed-compat"], summary });

/** The seed's answer: its `message` first, then the answer written out as the v1 routes do. */
function seedReply(deps: ApiDeps, request: Request, audience: Audience, message: string, fetch: () => Promise<MetadataAnswer>) {
  return replyToFetch({ deps, request, audience, fetch, prefix: (answer) => ({ message: `${message} (${answer.mode})` }) });
}

export function seedMgmtRoutes(deps: ApiDeps) {
  const { service, handle } = deps;
  return new Elysia()
    .get(
      "/BrokerMgmt",
      ({ query, request }) => {
        const fetch = { since: query.since, waitMs: waitMsOf(query.wait_ms) };
        if (query.brokerId === undefined) {
          // The original route answered with no parameters: all metadata, and no broker heartbeats.
          return seedReply(deps, request, "broker", "cluster metadata", () => service.metadata(fetch));
        }
        const brokerId = toInt("brokerId", query.brokerId, 0, MAX_BROKER_ID);
        return seedReply(deps, request, "broker", `metadata for broker ${brokerId}`, () => service.brokerMetadata(brokerId, fetch));
      },
      { query: SeedBrokerMgmtQuery, detail: detail("Seed: BrokerMgmt fetch and heartbeat (query form); without brokerId all metadata, no heartbeat") },
    )
    .post(
      "/BrokerMgmt",
      ({ body, query, request }) => {
        refuseIdempotencyKey(request, "POST /BrokerMgmt", POLL_UNKEYED);
        const fetch = { since: body.since, waitMs: waitMsOf(query.wait_ms, body.wait_ms) };
        return seedReply(deps, request, "broker", `metadata for broker ${body.brokerId}`, () =>
          service.brokerMetadata(body.brokerId, fetch, { wantShutdown: body.wantShutdown === true }),
        );
      },
      { body: BrokerFetchBody, query: WaitQuery, detail: detail("Seed: BrokerMgmt fetch and heartbeat (body form; wantShutdown for a controlled shutdown)") },
    )
    .get(
      "/ClientMgmt",
      ({ query, request }) =>
        seedReply(deps, request, "client", "client metadata", () =>
          service.clientMetadata({ since: query.since, waitMs: waitMsOf(query.wait_ms), consistency: query.consistency }),
        ),
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
