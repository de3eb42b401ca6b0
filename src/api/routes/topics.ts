// Endpoints 6–8, the topic list, more partitions with `count` and topic deletion.
import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { TopicView } from "../../metadata/service-types.ts";
import { consistencyOf } from "../consistency.ts";
import type { ApiDeps } from "../deps.ts";
import { writeOptionsOf } from "../idempotency.ts";
import { partitionsAnswer, topicAnswer } from "../record-answer.ts";
import { ConsistencyQuery, EmptyQuery, TopicNameParams } from "../schemas/queries.ts";
import { CreatePartitionsBody } from "../schemas/partition-changes.ts";
import { CreatePartitionBody, CreateTopicBody } from "../schemas/topics.ts";
import type { TopicBodies } from "../topic-bodies.ts";

const tags = ["topics"];

/** A topic GET's answer, from the kept body while the topic is unchanged; typed as the view for the route. */
const readAnswer = (bodies: TopicBodies, view: TopicView, request: Request): TopicView => bodies.answer(view, request) as unknown as TopicView;

export function topicRoutes({ service, topicBodies }: ApiDeps) {
  return new Elysia()
    .post("/v1/topics", async ({ body, request }) => topicAnswer(await service.createTopic(body, writeOptionsOf(request)), 201, request), {
      body: CreateTopicBody,
      query: EmptyQuery,
      detail: { tags, summary: "Create a topic, optionally with placed partitions (TopicRecord + PartitionRecords)" },
    })
    .get("/v1/topics", async ({ query }) => ({ topics: await service.listTopics(consistencyOf(query)) }), {
      query: ConsistencyQuery,
      detail: { tags, summary: "Every topic" },
    })
    .get("/v1/topics/:name", async ({ params, query, request }) => readAnswer(topicBodies, await service.getTopic(params.name, consistencyOf(query)), request), {
      params: TopicNameParams,
      query: ConsistencyQuery,
      detail: { tags, summary: "One topic with its partitions" },
    })
    .delete("/v1/topics/:name", ({ params }) => service.deleteTopic(params.name), {
      params: TopicNameParams,
      query: EmptyQuery,
      detail: { tags, summary: "Delete a topic and its partitions (RemoveTopicRecord); the name may be created again" },
    })
    .post(
      "/v1/topics/:name/partitions",
      async ({ params, body, request, status }) =>
        "count" in body
          ? partitionsAnswer(await service.createPartitions(params.name, body, writeOptionsOf(request)), request)
          : status(201, await service.createPartition(params.name, body, writeOptionsOf(request))),
      {
        params: TopicNameParams,
        body: Type.Union([CreatePartitionBody, CreatePartitionsBody]),
        query: EmptyQuery,
        detail: { tags, summary: "Create one partition (`partitionId`: PartitionRecord) or `count` placed partitions ({partitions})" },
      },
    );
}
