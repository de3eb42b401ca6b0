// Endpoints 6–8 and the topic list: topics and their partitions.
import { Elysia } from "elysia";
import { consistencyOf } from "../consistency.ts";
import type { ApiDeps } from "../deps.ts";
import { writeOptionsOf } from "../idempotency.ts";
import { ConsistencyQuery, EmptyQuery, TopicNameParams } from "../schemas/queries.ts";
import { CreatePartitionBody, CreateTopicBody } from "../schemas/topics.ts";

const tags = ["topics"];

export function topicRoutes({ service }: ApiDeps) {
  return new Elysia()
    .post("/v1/topics", async ({ body, request, status }) => status(201, await service.createTopic(body, writeOptionsOf(request))), {
      body: CreateTopicBody,
      query: EmptyQuery,
      detail: { tags, summary: "Create a topic, optionally with placed partitions (TopicRecord + PartitionRecords)" },
    })
    .get("/v1/topics", async ({ query }) => ({ topics: await service.listTopics(consistencyOf(query)) }), {
      query: ConsistencyQuery,
      detail: { tags, summary: "Every topic" },
    })
    .get("/v1/topics/:name", ({ params, query }) => service.getTopic(params.name, consistencyOf(query)), {
      params: TopicNameParams,
      query: ConsistencyQuery,
      detail: { tags, summary: "One topic with its partitions" },
    })
    .post(
      "/v1/topics/:name/partitions",
      async ({ params, body, request, status }) => status(201, await service.createPartition(params.name, body, writeOptionsOf(request))),
      {
        params: TopicNameParams,
        body: CreatePartitionBody,
        query: EmptyQuery,
        detail: { tags, summary: "Create a partition of the topic (PartitionRecord)" },
      },
    );
}
