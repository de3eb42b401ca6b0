// A MetadataService whose every call fails with the given error: drives the API's error mapping
// for faults the real service only shows under a broken cluster (no leader, timeouts, bugs).
import type { MetadataService } from "../../../src/metadata/service-types.ts";

export function failingService(makeError: () => unknown): MetadataService & { calls: string[] } {
  const calls: string[] = [];
  const fail = (name: string) => () => {
    calls.push(name);
    return Promise.reject(makeError());
  };
  return {
    calls,
    registerBroker: fail("registerBroker"),
    listBrokers: fail("listBrokers"),
    getBroker: fail("getBroker"),
    leaderCounts: fail("leaderCounts"),
    updateBroker: fail("updateBroker"),
    unregisterBroker: fail("unregisterBroker"),
    createTopic: fail("createTopic"),
    getTopic: fail("getTopic"),
    listTopics: fail("listTopics"),
    createPartition: fail("createPartition"),
    createPartitions: fail("createPartitions"),
    deleteTopic: fail("deleteTopic"),
    alterPartition: fail("alterPartition"),
    reassignPartition: fail("reassignPartition"),
    cancelReassignment: fail("cancelReassignment"),
    electLeader: fail("electLeader"),
    electLeaders: fail("electLeaders"),
    registerProducer: fail("registerProducer"),
    brokerMetadata: fail("brokerMetadata"),
    clientMetadata: fail("clientMetadata"),
    metadata: fail("metadata"),
    log: fail("log"),
    historyMetrics: () => ({ yakt_history_records: 0, yakt_history_own_bytes: 0, yakt_history_floor_offset: 0 }),
    watch: () => {
      calls.push("watch");
      throw makeError();
    },
    decodeSnapshot: () => {
      calls.push("decodeSnapshot");
      throw makeError();
    },
  };
}
