// The writes the service accepts, as plain data (a follower forwards them to the leader as JSON),
// and how the leader turns one into a stamped command. Anything malformed is a bad_request that
// names the field and value; nothing is proposed for it.
import { type Command, commandProblem } from "./commands.ts";
import { badRequest } from "./errors.ts";
import { requestFingerprint } from "./request-ids.ts";
import type {
  AlterPartitionRequest,
  CreatePartitionRequest,
  CreatePartitionsRequest,
  ReassignPartitionRequest,
  CreateTopicRequest,
  RegisterBrokerRequest,
  RegisterProducerRequest,
  UpdateBrokerRequest,
} from "./service-types.ts";

/** `requestId` (request-ids.ts) is set by the node that first received the write. */
export type WriteRequest = { requestId?: string } & (
  | { kind: "registerBroker"; request: RegisterBrokerRequest }
  | { kind: "updateBroker"; brokerId: number; request: UpdateBrokerRequest }
  | { kind: "unregisterBroker"; brokerId: number }
  | { kind: "createTopic"; request: CreateTopicRequest }
  | { kind: "createPartition"; topicName: string; request: CreatePartitionRequest }
  | { kind: "registerProducer"; request: RegisterProducerRequest }
  | { kind: "createPartitions"; topicName: string; request: CreatePartitionsRequest }
  | { kind: "deleteTopic"; name: string }
  | { kind: "alterPartition"; topicName: string; partitionId: number; request: AlterPartitionRequest }
  | { kind: "reassignPartition"; topicName: string; partitionId: number; request: ReassignPartitionRequest }
  | { kind: "cancelReassignment"; topicName: string; partitionId: number }
  | { kind: "electLeader"; topicName: string; partitionId: number }
);

/** Every kind, checked by the compiler against the union (a kind missing here fails to build). */
const KIND_SET: Record<WriteRequest["kind"], true> = {
  registerBroker: true,
  updateBroker: true,
  unregisterBroker: true,
  createTopic: true,
  createPartition: true,
  registerProducer: true,
  createPartitions: true,
  deleteTopic: true,
  alterPartition: true,
  reassignPartition: true,
  cancelReassignment: true,
  electLeader: true,
};
export const WRITE_KINDS = Object.keys(KIND_SET) as readonly WriteRequest["kind"][];

/** What only the leader may choose: the time of the write and fresh ids. */
export interface Stamp {
  timestamp: string;
  newId: () => string;
}

/** Placeholder stamp for checking a request's shape before it is forwarded. */
export const SHAPE_CHECK_STAMP: Stamp = { timestamp: "1970-01-01T00:00:00.000Z", newId: () => "shape-check" };

/**
 * The stamped command for `write`, with its request id and fingerprint when it has an id; throws
 * bad_request when the request is malformed.
 */
export function buildCommand(write: WriteRequest, stamp: Stamp): Command {
  const command = draft(write, stamp);
  if (write.requestId !== undefined) command.requestId = write.requestId;
  const problem = commandProblem(command);
  if (problem) throw badRequest(`${write.kind}: ${problem}`);
  // Only a valid request is fingerprinted (its rendering is then bounded by the schema).
  if (write.requestId !== undefined) command.requestHash = fingerprintOf(write);
  return command as Command;
}

/**
 * What the write asks for, independent of when and where it is stamped: its command built with
 * the fixed stamp. draft() writes keys in a fixed order, so equal requests give equal text.
 */
function fingerprintOf(write: WriteRequest): string {
  return requestFingerprint(JSON.stringify(draft(write, SHAPE_CHECK_STAMP)));
}

function draft(write: WriteRequest, { timestamp, newId }: Stamp): Record<string, unknown> {
  const req = (typeof (write as { request?: unknown }).request === "object" && (write as { request?: unknown }).request) || {};
  const r = req as Record<string, unknown>;
  switch (write.kind) {
    case "registerBroker":
      return defined({ kind: "registerBroker", timestamp, internalUUID: newId(), brokerId: r.brokerId, brokerHost: r.brokerHost, brokerPort: r.brokerPort, securityProtocol: r.securityProtocol, rackId: r.rackId });
    case "updateBroker": {
      const fields = defined({ brokerHost: r.brokerHost, brokerPort: r.brokerPort, securityProtocol: r.securityProtocol });
      if (r.brokerHost === undefined && r.brokerPort === undefined && r.securityProtocol === undefined) throw badRequest(`update of broker ${write.brokerId} names no field to change (brokerHost, brokerPort, securityProtocol)`);
      return { kind: "changeBroker", timestamp, brokerId: write.brokerId, change: "update", ...fields };
    }
    case "unregisterBroker":
      return { kind: "changeBroker", timestamp, brokerId: write.brokerId, change: "unregister" };
    case "createTopic":
      return { kind: "createTopic", timestamp, topicUUID: newId(), name: r.name, ...partitioning(r) };
    case "createPartition":
      return {
        kind: "createPartition",
        timestamp,
        topicName: write.topicName,
        partitionId: r.partitionId,
        replicas: r.replicas,
        ISR: r.ISR,
        leader: typeof r.leader === "number" ? String(r.leader) : r.leader,
        removingReplicas: r.removingReplicas ?? [],
        addingReplicas: r.addingReplicas ?? [],
      };
    case "registerProducer":
      return defined({ kind: "registerProducer", timestamp, brokerId: r.brokerId, producerId: r.producerId, brokerEpoch: r.brokerEpoch });
    case "createPartitions":
      return defined({ kind: "createPartitions", timestamp, topicName: write.topicName, count: r.count, replicationFactor: r.replicationFactor });
    case "deleteTopic":
      return { kind: "deleteTopic", timestamp, name: write.name };
    case "alterPartition":
      return { kind: "alterPartition", timestamp, ...partitionOf(write), brokerId: r.brokerId, partitionEpoch: r.partitionEpoch, ISR: r.ISR };
    case "reassignPartition":
      return { kind: "reassignPartition", timestamp, ...partitionOf(write), replicas: r.replicas };
    case "cancelReassignment":
      return { kind: "cancelReassignment", timestamp, ...partitionOf(write) };
    case "electLeader":
      return { kind: "electLeader", timestamp, ...partitionOf(write) };
    default:
      throw badRequest(`unknown write kind ${JSON.stringify((write as { kind?: unknown }).kind ?? null)}`);
  }
}

function partitionOf(write: { topicName: string; partitionId: number }): { topicName: string; partitionId: number } {
  return { topicName: write.topicName, partitionId: write.partitionId };
}

/** partitions alone default replicationFactor to 1; replicationFactor alone is an error. */
function partitioning(r: Record<string, unknown>): { partitions: unknown; replicationFactor: unknown } {
  if (r.partitions === undefined) {
    if (r.replicationFactor !== undefined) throw badRequest(`replicationFactor ${JSON.stringify(r.replicationFactor)} needs partitions`);
    return { partitions: 0, replicationFactor: 0 };
  }
  if (r.partitions === 0) return { partitions: 0, replicationFactor: r.replicationFactor ?? 0 };
  if (typeof r.partitions === "number" && r.partitions < 1) throw badRequest(`partitions must be at least 1, got ${r.partitions}`);
  return { partitions: r.partitions, replicationFactor: r.replicationFactor ?? 1 };
}

/**
 * Drops undefined members so the command's JSON is the same on every path (and the leader may
 * apply the command as built: state-machine.ts encode). A loop, not entries/filter/fromEntries:
 * every write builds one or two of these, and the arrays were most of their cost.
 */
function defined(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in obj) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}
