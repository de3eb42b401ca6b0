// Seed-compatible topic and partition routes. The original create_partition names its topic in
// the body (by name or by UUID) instead of the path.
import { Elysia } from "elysia";
import { notFound } from "../../../metadata/errors.ts";
import type { MetadataService } from "../../../metadata/service-types.ts";
import { InvalidInputError } from "../../api-error.ts";
import { defined } from "../../defined.ts";
import type { ApiDeps } from "../../deps.ts";
import { writeOptionsOf } from "../../idempotency.ts";
import { jsonValueAnswer } from "../../json-answer.ts";
import { SeedCreatePartitionBody, SeedCreateTopicBody } from "../../schemas/seed.ts";
import { TopicNameParams } from "../../schemas/queries.ts";

const detail = (summary: string) => ({ tags: ["seed-compat"], summary });

async function topicNameOf(service: MetadataService, body: { topicName?: string; topicUUID?: string }): Promise<string> {
  if (body.topicUUID === undefined) {
    if (body.topicName === undefined) throw new InvalidInputError("name the partition's topic: give topicName or topicUUID");
    return body.topicName;
  }
  const topics = await service.listTopics();
  const topic = topics.find((t) => t.fields.topicUUID === body.topicUUID);
  if (!topic) throw notFound(`no topic has topicUUID ${JSON.stringify(body.topicUUID)}`);
  if (body.topicName !== undefined && body.topicName !== topic.fields.name) {
    throw new InvalidInputError(
      `topicName ${JSON.stringify(body.topicName)} does not match topicUUID ${JSON.stringify(body.topicUUID)} (topic ${JSON.stringify(topic.fields.name)})`,
    );
  }
  return topic.fields.name;
}

export function seedTopicRoutes({ service }: ApiDeps) {
  return new Elysia()
    .post(
      "/create_topic",
      async ({ body, request }) => {
        const topic = defined({ name: body.name, partitions: body.partitions, replicationFactor: body.replicationFactor });
        const view = await service.createTopic(topic, writeOptionsOf(request));
        return jsonValueAnswer({ message: "Topic created successfully", record: view.topic, partitions: view.partitions }, 200, request);
      },
      { body: SeedCreateTopicBody, detail: detail("Seed: create a topic") },
    )
    .get(
      "/get_topic_by_name/:name",
      async ({ params, request }) => {
        const view = await service.getTopic(params.name);
        return jsonValueAnswer({ ...view.topic.fields, timestamp: view.topic.timestamp, record: view.topic, partitions: view.partitions }, 200, request);
      },
      { params: TopicNameParams, detail: detail("Seed: one topic with its partitions") },
    )
    .post(
      "/create_partition",
      async ({ body, request }) => {
        const topicName = await topicNameOf(service, body);
        const { partitionId, replicas, ISR, removingReplicas, addingReplicas } = body;
        const partition = defined({ partitionId, replicas, ISR, leader: String(body.leader), removingReplicas, addingReplicas });
        const record = await service.createPartition(topicName, partition, writeOptionsOf(request));
        return { message: "Partition created successfully", record };
      },
      { body: SeedCreatePartitionBody, detail: detail("Seed: create a partition of the topic named in the body") },
    );
}
