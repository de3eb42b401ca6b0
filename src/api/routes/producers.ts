// Endpoint 9: producer ids. The route is also a fast route (fast-route.ts), the mixed benchmark's
// other write, doing the same work.
import { Elysia } from "elysia";
import type { MetadataService } from "../../metadata/service-types.ts";
import type { ApiDeps } from "../deps.ts";
import type { FastRoute } from "../fast-route.ts";
import { writeOptionsOf } from "../idempotency.ts";
import { jsonResponse } from "../json-answer.ts";
import { RegisterProducerBody } from "../schemas/producers.ts";
import { EmptyQuery } from "../schemas/queries.ts";

export const PRODUCERS_PATH = "/v1/producers";

const registerProducer = (service: MetadataService, body: RegisterProducerBody, request: Request) => service.registerProducer(body, writeOptionsOf(request));

export function producerRoutes({ service }: ApiDeps) {
  return new Elysia().post(PRODUCERS_PATH, async ({ body, request, status }) => status(201, await registerProducer(service, body, request)), {
    body: RegisterProducerBody,
    query: EmptyQuery,
    detail: { tags: ["producers"], summary: "Register a producer from an active broker (ProducerIdsRecord)" },
  });
}

/** POST /v1/producers from Bun's router: the ProducerIdsRecord (201), as Elysia writes it. */
export function registerProducerFastRoute({ service }: ApiDeps): FastRoute<typeof RegisterProducerBody> {
  return {
    method: "POST",
    path: PRODUCERS_PATH,
    body: RegisterProducerBody,
    serve: async (request, body) => jsonResponse(await registerProducer(service, body, request), 201),
  };
}
