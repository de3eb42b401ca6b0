// Endpoint 9: producer ids.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { writeOptionsOf } from "../idempotency.ts";
import { RegisterProducerBody } from "../schemas/producers.ts";
import { EmptyQuery } from "../schemas/queries.ts";

export function producerRoutes({ service }: ApiDeps) {
  return new Elysia().post("/v1/producers", async ({ body, request, status }) => status(201, await service.registerProducer(body, writeOptionsOf(request))), {
    body: RegisterProducerBody,
    query: EmptyQuery,
    detail: { tags: ["producers"], summary: "Register a producer from an active broker (ProducerIdsRecord)" },
  });
}
