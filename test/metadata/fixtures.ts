// Command builders and a feeder for state machine tests: fixed timestamps, explicit indexes.
import { expect } from "bun:test";
import type { ApplyResult } from "../../src/metadata/apply-result.ts";
import {
  type ChangeBrokerCommand,
  type Command,
  type CreatePartitionCommand,
  encodeCommand,
  type RegisterBrokerCommand,
} from "../../src/metadata/commands.ts";
import { decodeSnapshot, encodeSnapshot } from "../../src/metadata/image-codec.ts";
import { SnapshotEncoder } from "../../src/metadata/snapshot-encoder.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";

export const T0 = "2026-11-24T00:00:00.000Z";

export function registerBroker(brokerId: number, over: Partial<RegisterBrokerCommand> = {}): RegisterBrokerCommand {
  return {
    kind: "registerBroker",
    timestamp: T0,
    internalUUID: `uuid-broker-${brokerId}`,
    brokerId,
    brokerHost: `host${brokerId}`,
    brokerPort: String(9000 + brokerId),
    securityProtocol: "PLAINTEXT",
    rackId: "r1",
    ...over,
  };
}

export function changeBroker(brokerId: number, change: ChangeBrokerCommand["change"], over: Partial<ChangeBrokerCommand> = {}): ChangeBrokerCommand {
  return { kind: "changeBroker", timestamp: T0, brokerId, change, ...over };
}

export function createTopic(name: string, partitions = 0, replicationFactor = 0, topicUUID = `uuid-topic-${name}`): Command {
  return { kind: "createTopic", timestamp: T0, topicUUID, name, partitions, replicationFactor };
}

export function createPartition(topicName: string, partitionId: number, replicas: number[], over: Partial<CreatePartitionCommand> = {}): CreatePartitionCommand {
  return {
    kind: "createPartition",
    timestamp: T0,
    topicName,
    partitionId,
    replicas,
    ISR: replicas,
    leader: String(replicas[0]),
    removingReplicas: [],
    addingReplicas: [],
    ...over,
  };
}

export function registerProducer(brokerId: number, producerId?: number, brokerEpoch?: number): Command {
  const cmd: Command = { kind: "registerProducer", timestamp: T0, brokerId };
  if (producerId !== undefined) cmd.producerId = producerId;
  if (brokerEpoch !== undefined) cmd.brokerEpoch = brokerEpoch;
  return cmd;
}

/** Applies commands at consecutive indexes after the machine's applied index. */
export class Feeder {
  readonly sm: MetadataStateMachine;
  constructor(sm = new MetadataStateMachine()) {
    this.sm = sm;
  }
  apply(command: Command): ApplyResult {
    return this.sm.apply(this.sm.appliedIndex() + 1, encodeCommand(command));
  }
  /** Applies and fails the test if the command was rejected. */
  ok(command: Command): ApplyResult & { ok: true } {
    const result = this.apply(command);
    if (!result.ok) throw new Error(`expected ${command.kind} to be accepted, got ${result.error.code}: ${result.error.message}`);
    return result;
  }
}

/**
 * A snapshot as the JSON text of the version 2 format, whatever format it is in: a binary one is
 * decoded, checked to encode back to the very same bytes (so equal texts mean equal bytes), and
 * rendered as JSON, so tests can read and compare its content.
 */
export function snapshotText(bytes: Uint8Array): string {
  if (bytes[0] === "{".charCodeAt(0)) return new TextDecoder().decode(bytes);
  const decoded = decodeSnapshot(bytes);
  if (!decoded.ok) throw new Error(`snapshot does not decode: ${decoded.message}`);
  const { image, appliedIndex, requests } = decoded.value;
  const again = new SnapshotEncoder(image.capture(), appliedIndex, requests.capture()).step(Number.MAX_SAFE_INTEGER);
  expect(again).toEqual(bytes);
  return new TextDecoder().decode(encodeSnapshot(image, appliedIndex, requests.inOrder()));
}

/** Runs `run` and checks the image and history did not change (only the applied index may). */
export function expectUnchanged(f: Feeder, run: () => unknown) {
  const before = snapshotText(f.sm.snapshot());
  const historyBefore = f.sm.history.size;
  run();
  // The applied index moves (the entry was consumed) but the image and history do not.
  const after = JSON.parse(snapshotText(f.sm.snapshot()));
  const expected = JSON.parse(before);
  expect({ ...after, appliedIndex: 0 }).toEqual({ ...expected, appliedIndex: 0 });
  expect(f.sm.history.size).toBe(historyBefore);
}
