// The controller's partition routes (API.md, second wave): AlterPartition from a partition's
// leader, reassignment start and cancel, preferred leader election of one partition or of all.
// Each one-partition change is one write under Idempotency-Key like every other (README); the
// election over every partition is many entries, or none, and refuses the key.
import { Elysia } from "elysia";
import { MAX_PARTITION_ID } from "../../metadata/limits.ts";
import type { ApiDeps } from "../deps.ts";
import { refuseIdempotencyKey, writeOptionsOf } from "../idempotency.ts";
import { toInt } from "../params.ts";
import { EmptyBody } from "../schemas/fields.ts";
import { AlterPartitionBody, PartitionParams, ReassignBody } from "../schemas/partition-changes.ts";
import { EmptyQuery } from "../schemas/queries.ts";

const tags = ["partitions"];
const partitionIdOf = (params: { id: string }) => toInt("partition id", params.id, 0, MAX_PARTITION_ID);

/** Why POST /v1/elect-leaders takes no key: what a retry does instead. */
const ELECT_ALL_UNKEYED =
  "it is not one write but a pass of the leader's controller over every partition (many entries, or none), so there is no first answer to repeat; a retry is a new pass, which changes only partitions still not led by their preferred replica";

export function partitionChangeRoutes({ service }: ApiDeps) {
  return new Elysia()
    .post(
      "/v1/topics/:name/partitions/:id/isr",
      ({ params, body, request }) => service.alterPartition(params.name, partitionIdOf(params), body, writeOptionsOf(request)),
      {
        params: PartitionParams,
        body: AlterPartitionBody,
        query: EmptyQuery,
        detail: { tags, summary: "AlterPartition: the partition's leader sets its ISR at the partition epoch it knows (409 stale_partition_epoch / not_partition_leader)" },
      },
    )
    .put(
      "/v1/topics/:name/partitions/:id/replicas",
      ({ params, body, request }) => service.reassignPartition(params.name, partitionIdOf(params), body, writeOptionsOf(request)),
      {
        params: PartitionParams,
        body: ReassignBody,
        query: EmptyQuery,
        detail: { tags, summary: "Start a reassignment to the target replicas (addingReplicas / removingReplicas); it completes once every target is in the ISR" },
      },
    )
    .delete(
      "/v1/topics/:name/partitions/:id/replicas",
      ({ params, request }) => service.cancelReassignment(params.name, partitionIdOf(params), writeOptionsOf(request)),
      {
        params: PartitionParams,
        body: EmptyBody,
        query: EmptyQuery,
        detail: { tags, summary: "Cancel the reassignment in progress: back to the original replicas" },
      },
    )
    .post(
      "/v1/topics/:name/partitions/:id/elect-leader",
      ({ params, request }) => service.electLeader(params.name, partitionIdOf(params), writeOptionsOf(request)),
      {
        params: PartitionParams,
        body: EmptyBody,
        query: EmptyQuery,
        detail: { tags, summary: "Preferred leader election: the first replica leads when it is in the ISR and active" },
      },
    )
    .post(
      "/v1/elect-leaders",
      ({ request }) => {
        refuseIdempotencyKey(request, "POST /v1/elect-leaders", ELECT_ALL_UNKEYED);
        return service.electLeaders();
      },
      {
        body: EmptyBody,
        query: EmptyQuery,
        detail: { tags, summary: "Preferred leader election for every partition, in bounded batches: counts of changed partitions and entries (takes no Idempotency-Key)" },
      },
    );
}
