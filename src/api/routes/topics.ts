// Endpoints 6–8, the topic list, more partitions with `count` and topic deletion. A topic's create
// and its linearizable read, the mixed benchmark's hot routes, are also fast routes
// (fast-route.ts) doing the same work.
import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { Consistency, MetadataService, TopicView } from "../../metadata/service-types.ts";
import { consistencyOf } from "../consistency.ts";
import type { ApiDeps } from "../deps.ts";
import type { FastRoute } from "../fast-route.ts";
import { writeOptionsOf } from "../idempotency.ts";
import { partitionsAnswer, topicAnswer } from "../record-answer.ts";
import { ConsistencyQuery, EmptyQuery, TopicNameParams } from "../schemas/queries.ts";
import { EmptyBody } from "../schemas/fields.ts";
import { CreatePartitionsBody } from "../schemas/partition-changes.ts";
import { CreatePartitionBody, CreateTopicBody } from "../schemas/topics.ts";

const tags = ["topics"];

export const TOPICS_PATH = "/v1/topics";
export const TOPIC_PATH = "/v1/topics/:name";

/** POST /v1/topics's work (201 and the topic's JSON), for the Elysia route and the fast one. */
const createTopic = async (service: MetadataService, body: CreateTopicBody, request: Request): Promise<TopicView> =>
  topicAnswer(await service.createTopic(body, writeOptionsOf(request)), 201, request);

/** GET /v1/topics/:name's answer, from the kept body while the topic is unchanged; typed as the view for the route. */
const readTopic = async ({ service, topicBodies }: ApiDeps, name: string, consistency: Consistency, request: Request): Promise<TopicView> =>
  topicBodies.answer(await service.getTopic(name, consistency), request) as unknown as TopicView;

export function topicRoutes(deps: ApiDeps) {
  const { service } = deps;
  return new Elysia()
    .post(TOPICS_PATH, ({ body, request }) => createTopic(service, body, request), {
      body: CreateTopicBody,
      query: EmptyQuery,
      detail: { tags, summary: "Create a topic, optionally with placed partitions (TopicRecord + PartitionRecords)" },
    })
    .get(TOPICS_PATH, async ({ query }) => ({ topics: await service.listTopics(consistencyOf(query)) }), {
      query: ConsistencyQuery,
      detail: { tags, summary: "Every topic" },
    })
    .get(TOPIC_PATH, ({ params, query, request }) => readTopic(deps, params.name, consistencyOf(query), request), {
      params: TopicNameParams,
      query: ConsistencyQuery,
      detail: { tags, summary: "One topic with its partitions" },
    })
    .delete(TOPIC_PATH, ({ params, request }) => service.deleteTopic(params.name, writeOptionsOf(request)), {
      params: TopicNameParams,
      body: EmptyBody,
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

/** POST /v1/topics from Bun's router. */
export function createTopicFastRoute({ service }: ApiDeps): FastRoute<typeof CreateTopicBody> {
  return { method: "POST", path: TOPICS_PATH, body: CreateTopicBody, serve: async (request, body) => toResponse(await createTopic(service, body, request)) };
}

/** GET /v1/topics/:name (linearizable but on the warm-up's app: the fast route takes no query string) from Bun's router. */
export function readTopicFastRoute(deps: ApiDeps): FastRoute {
  return { method: "GET", path: TOPIC_PATH, params: TopicNameParams, serve: async (request, _body, name) => toResponse(await readTopic(deps, name, deps.plainTopicReads, request)) };
}

/** The Response that a route typed as its answer's value for Eden returns. */
function toResponse(answer: unknown): Response {
  if (!(answer instanceof Response)) throw new TypeError("a topic route's answer is not a Response");
  return answer;
}
