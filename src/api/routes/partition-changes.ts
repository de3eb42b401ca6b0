// The controller's partition routes (API.md, second wave): AlterPartition from a partition's
// leader, reassignment start and cancel, preferred leader election of one partition or of all.
import { Elysia } from "elysia";
import { MAX_PARTITION_ID } from "../../metadata/limits.ts";
import type { ApiDeps } from "../deps.ts";
import { toInt } from "../params.ts";
import { AlterPartitionBody, PartitionParams, ReassignBody } from "../schemas/partition-changes.ts";
import { EmptyQuery } from "../schemas/queries.ts";

const tags = ["partitions"];
const partitionIdOf = (params: { id: string }) => toInt("partition id", params.id, 0, MAX_PARTITION_ID);

export function partitionChangeRoutes({ service }: ApiDeps) {
  return new Elysia()
    .post("/v1/topics/:name/partitions/:id/isr", ({ params, body }) => service.alterPartition(params.name, partitionIdOf(params), body), {
      params: PartitionParams,
      body: AlterPartitionBody,
      query: EmptyQuery,
      detail: { tags, summary: "AlterPartition: the partition's leader sets its ISR at the partition epoch it knows (409 stale_partition_epoch / not_partition_leader)" },
    })
    .put("/v1/topics/:name/partitions/:id/replicas", ({ params, body }) => service.reassignPartition(params.name, partitionIdOf(params), body), {
      params: PartitionParams,
      body: ReassignBody,
      query: EmptyQuery,
      detail: { tags, summary: "Start a reassignment to the target replicas (addingReplicas / removingReplicas); it completes once every target is in the ISR" },
    })
    .delete("/v1/topics/:name/partitions/:id/replicas", ({ params }) => service.cancelReassignment(params.name, partitionIdOf(params)), {
      params: PartitionParams,
      query: EmptyQuery,
      detail: { tags, summary: "Cancel the reassignment in progress: back to the original replicas" },
    })
    .post("/v1/topics/:name/partitions/:id/elect-leader", ({ params }) => service.electLeader(params.name, partitionIdOf(params)), {
      params: PartitionParams,
      query: EmptyQuery,
      detail: { tags, summary: "Preferred leader election: the first replica leads when it is in the ISR and active" },
    })
    .post("/v1/elect-leaders", () => service.electLeaders(), {
      query: EmptyQuery,
      detail: { tags, summary: "Preferred leader election for every partition, in bounded batches: counts of changed partitions and entries" },
    });
}
