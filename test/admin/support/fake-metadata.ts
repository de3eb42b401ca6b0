// A fixed metadata image for console tests: two brokers, one topic with two partitions, and the
// records that made them, served the way MetadataService serves them.
import type { ConsoleMetadata } from "../../../src/admin/console-options.ts";
import { notFound } from "../../../src/metadata/errors.ts";
import type {
  BrokerStatus,
  MetadataRecord,
  PartitionRecord,
  RegisterBrokerRecord,
  TopicRecord,
} from "../../../src/metadata/records.ts";
import type { BrokerView, Consistency, LogPage, TopicView } from "../../../src/metadata/service-types.ts";

const ts = (offset: number) => new Date(Date.UTC(2026, 10, 24, 0, 0, offset)).toISOString();

const broker = (offset: number, brokerId: number, status: BrokerStatus, host: string): RegisterBrokerRecord => ({
  type: "metadata",
  name: "RegisterBrokerRecord",
  offset,
  timestamp: ts(offset),
  fields: {
    internalUUID: `uuid-broker-${brokerId}`,
    brokerId,
    brokerHost: host,
    brokerPort: "9092",
    securityProtocol: "PLAINTEXT",
    brokerStatus: status,
    rackId: `rack-${brokerId}`,
    epoch: 0,
  },
});

const TOPIC: TopicRecord = {
  type: "metadata",
  name: "TopicRecord",
  offset: 8,
  timestamp: ts(8),
  fields: { topicUUID: "uuid-topic-orders", name: "orders" },
};

const partition = (offset: number, partitionId: number, replicas: number[]): PartitionRecord => ({
  type: "metadata",
  name: "PartitionRecord",
  offset,
  timestamp: ts(offset),
  fields: {
    partitionId,
    topicUUID: TOPIC.fields.topicUUID,
    replicas,
    ISR: replicas,
    removingReplicas: [],
    addingReplicas: [],
    leader: String(replicas[0]),
    partitionEpoch: 0,
    leaderEpoch: 0,
  },
});

export class FakeMetadata implements ConsoleMetadata {
  readonly consistencies: (Consistency | undefined)[] = [];
  brokers: BrokerView[] = [broker(6, 1, "ALIVE", "kafka-1.local"), broker(7, 2, "CLOSED", "kafka-2.local")];
  topics: TopicView[] = [{ topic: TOPIC, partitions: [partition(10, 1, [2, 1]), partition(9, 0, [1, 2])] }];
  /** Makes every call reject with this error. */
  failWith: Error | null = null;

  private get records(): MetadataRecord[] {
    const all: MetadataRecord[] = [...this.brokers, ...this.topics.flatMap((t) => [t.topic, ...t.partitions])];
    return all.sort((a, b) => a.offset - b.offset);
  }

  async listBrokers(opts: { status?: BrokerStatus; all?: boolean; consistency?: Consistency }): Promise<BrokerView[]> {
    this.check(opts.consistency);
    if (opts.all) return this.brokers;
    if (opts.status) return this.brokers.filter((b) => b.fields.brokerStatus === opts.status);
    return this.brokers.filter((b) => b.fields.brokerStatus !== "CLOSED" && b.fields.brokerStatus !== "FENCED");
  }

  async getBroker(brokerId: number, consistency?: Consistency): Promise<BrokerView> {
    this.check(consistency);
    const found = this.brokers.find((b) => b.fields.brokerId === brokerId);
    if (!found) throw notFound(`no broker with id ${brokerId}`);
    return found;
  }

  async leaderCounts(consistency?: Consistency): Promise<Map<number, number>> {
    this.check(consistency);
    const counts = new Map<number, number>();
    for (const p of this.topics.flatMap((t) => t.partitions)) counts.set(Number(p.fields.leader), (counts.get(Number(p.fields.leader)) ?? 0) + 1);
    return counts;
  }

  async listTopics(consistency?: Consistency): Promise<TopicRecord[]> {
    this.check(consistency);
    return this.topics.map((t) => t.topic);
  }

  async getTopic(name: string, consistency?: Consistency): Promise<TopicView> {
    this.check(consistency);
    const found = this.topics.find((t) => t.topic.fields.name === name);
    if (!found) throw notFound(`no topic named "${name}"`);
    return found;
  }

  async log(from: number, limit: number): Promise<LogPage> {
    this.check(undefined);
    const records = this.records.filter((r) => r.offset >= from).slice(0, limit);
    return { firstOffset: 5, lastOffset: 42, records };
  }

  private check(consistency: Consistency | undefined): void {
    this.consistencies.push(consistency);
    if (this.failWith) throw this.failWith;
  }
}
