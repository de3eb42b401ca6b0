// Endpoints 1–5: broker registration, reads, updates and unregistration. The read and the update,
// the steady benchmark rows' read and write, are also fast routes (fast-route.ts) doing the same work.
import { Elysia } from "elysia";
import { MAX_BROKER_ID } from "../../metadata/limits.ts";
import type { MetadataService } from "../../metadata/service-types.ts";
import { consistencyOf } from "../consistency.ts";
import type { ApiDeps } from "../deps.ts";
import type { FastRoute } from "../fast-route.ts";
import { writeOptionsOf } from "../idempotency.ts";
import { jsonResponse } from "../json-answer.ts";
import { digitsToInt, toInt } from "../params.ts";
import { recordAnswer, recordResponse } from "../record-bodies.ts";
import { RegisterBrokerBody, UpdateBrokerBody } from "../schemas/brokers.ts";
import { EmptyBody } from "../schemas/fields.ts";
import { BrokerIdParams, ConsistencyQuery, EmptyQuery, ListBrokersQuery } from "../schemas/queries.ts";

const tags = ["brokers"];
const brokerIdOf = (params: { brokerId: string }) => toInt("brokerId", params.brokerId, 0, MAX_BROKER_ID);

export const BROKER_PATH = "/v1/brokers/:brokerId";

/** The broker id of a parameter the fast route already matched against BrokerIdParams (digits): its range alone is left to check. */
const checkedBrokerId = (digits: string) => digitsToInt("brokerId", digits, 0, MAX_BROKER_ID);

/** PUT /v1/brokers/:brokerId's work, for the Elysia route and the fast one. */
const updateBroker = (service: MetadataService, brokerId: number, body: UpdateBrokerBody, request: Request) =>
  service.updateBroker(brokerId, body, writeOptionsOf(request));

/** PUT /v1/brokers/:brokerId from Bun's router: the change record, as Elysia writes it. */
export function updateBrokerFastRoute({ service }: ApiDeps): FastRoute<typeof UpdateBrokerBody> {
  return {
    method: "PUT",
    path: BROKER_PATH,
    body: UpdateBrokerBody,
    params: BrokerIdParams,
    serve: async (request, body, brokerId) => jsonResponse(await updateBroker(service, checkedBrokerId(brokerId), body, request), 200),
  };
}

/** GET /v1/brokers/:brokerId (linearizable: the fast route takes no query string) from Bun's router: the broker's kept body. */
export function readBrokerFastRoute({ service }: ApiDeps): FastRoute {
  return {
    method: "GET",
    path: BROKER_PATH,
    params: BrokerIdParams,
    serve: async (_request, _body, brokerId) => recordAnswer(await service.getBroker(checkedBrokerId(brokerId), "linearizable")),
  };
}

export function brokerRoutes({ service }: ApiDeps) {
  return new Elysia()
    .post("/v1/brokers", async ({ body, request, status }) => status(201, await service.registerBroker(body, writeOptionsOf(request))), {
      body: RegisterBrokerBody,
      query: EmptyQuery,
      detail: { tags, summary: "Register a broker (RegisterBrokerRecord)" },
    })
    .get(
      "/v1/brokers",
      async ({ query }) => ({
        brokers: await service.listBrokers({ status: query.status, all: query.all === "true", consistency: consistencyOf(query) }),
      }),
      { query: ListBrokersQuery, detail: { tags, summary: "Active brokers (?status= filters, ?all=true lists every one)" } },
    )
    .get(BROKER_PATH, ({ params, query }) => service.getBroker(brokerIdOf(params), consistencyOf(query)), {
      params: BrokerIdParams,
      query: ConsistencyQuery,
      // The answer is a frozen record: its JSON is encoded once and reused until it changes.
      // Written inline so Elysia sees the hook reads only responseValue: given the function by
      // name it assumed the hook needs the whole context and parsed cookies on every read.
      mapResponse: ({ responseValue }) => recordResponse({ responseValue }),
      detail: { tags, summary: "One broker's current state" },
    })
    .put(BROKER_PATH, ({ params, body, request }) => updateBroker(service, brokerIdOf(params), body, request), {
      params: BrokerIdParams,
      body: UpdateBrokerBody,
      query: EmptyQuery,
      detail: { tags, summary: "Update a broker's host, port or protocol; epoch +1 (RegistrationChangeBrokerRecord)" },
    })
    .delete(
      BROKER_PATH,
      async ({ params, request }) => {
        const record = await service.unregisterBroker(brokerIdOf(params), writeOptionsOf(request));
        return { brokerId: record.fields.brokerId, brokerStatus: record.fields.brokerStatus, epoch: record.fields.epoch, record };
      },
      { params: BrokerIdParams, body: EmptyBody, query: EmptyQuery, detail: { tags, summary: "Unregister a broker: status CLOSED" } },
    );
}
