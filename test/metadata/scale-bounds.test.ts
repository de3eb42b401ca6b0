// The cluster-wide bounds on topics and partitions: raised for the compact image (at least 500,000
// topics and 2,000,000 partitions) and enforced with a clear error that writes nothing. The image
// is a real one standing just under a bound: its counts are set, not filled (filling 2M
// partitions takes ~15 s and ~700 MiB, which a unit test on a shared machine must not spend;
// scripts/bench/image-memory.ts does it).
import { describe, expect, test } from "bun:test";
import type { Command } from "../../src/metadata/commands.ts";
import { MetadataImage } from "../../src/metadata/image.ts";
import { MAX_PARTITIONS, MAX_TOPICS } from "../../src/metadata/limits.ts";
import { planCommand } from "../../src/metadata/planner.ts";
import { T0, createPartition, createTopic, registerBroker } from "./fixtures.ts";

/** A real image with brokers 1-3 and topic "t" (one partition), reporting the counts it is given. */
class ImageAtCounts extends MetadataImage {
  private counts: { topics: number; partitions: number } | null = null;

  constructor(topics: number, partitions: number) {
    super();
    let offset = 0;
    for (const command of [registerBroker(1), registerBroker(2), registerBroker(3), createTopic("t", 1, 3)]) {
      const result = planCommand(this, command, ++offset);
      if (!result.ok) throw new Error(result.error.message);
      this.commit(result.records);
    }
    this.counts = { topics, partitions };
  }

  override topicCount(): number {
    return this.counts?.topics ?? super.topicCount();
  }

  override partitionCount(): number {
    return this.counts?.partitions ?? super.partitionCount();
  }
}

function refusal(image: MetadataImage, command: Command): string {
  const result = planCommand(image, command, 100);
  if (result.ok) throw new Error(`${command.kind} was accepted at the bound`);
  expect(result.error.code).toBe("invalid");
  return result.error.message;
}

const morePartitions = (count: number): Command => ({ kind: "createPartitions", timestamp: T0, topicName: "t", count });

describe("cluster bounds", () => {
  test("are at least 500,000 topics and 2,000,000 partitions", () => {
    expect(MAX_TOPICS).toBeGreaterThanOrEqual(500_000);
    expect(MAX_PARTITIONS).toBeGreaterThanOrEqual(2_000_000);
  });

  test("a topic past MAX_TOPICS is refused, one at the bound's edge is not", () => {
    expect(refusal(new ImageAtCounts(MAX_TOPICS, 1), createTopic("u"))).toBe(`cannot create topic "u": the cluster already holds ${MAX_TOPICS} topics`);
    expect(planCommand(new ImageAtCounts(MAX_TOPICS - 1, 1), createTopic("u"), 100).ok).toBe(true);
  });

  test("partitions past MAX_PARTITIONS are refused by every way to create them", () => {
    const full = new ImageAtCounts(1, MAX_PARTITIONS);
    const limit = `the cluster's limit of ${MAX_PARTITIONS}`;
    expect(refusal(new ImageAtCounts(1, MAX_PARTITIONS - 2), createTopic("u", 3, 3))).toBe(`3 more partitions would exceed ${limit}`);
    expect(refusal(full, morePartitions(1))).toBe(`1 more partitions would exceed ${limit}`);
    expect(refusal(full, createPartition("t", 7, [1, 2, 3]))).toBe(`cannot create partition 7 of topic "t": the cluster already holds ${MAX_PARTITIONS} partitions`);
  });

  test("up to the bound exactly is accepted", () => {
    const edge = new ImageAtCounts(1, MAX_PARTITIONS - 3);
    expect(planCommand(edge, createTopic("u", 3, 3), 100).ok).toBe(true);
    expect(planCommand(edge, morePartitions(3), 100).ok).toBe(true);
    expect(planCommand(new ImageAtCounts(1, MAX_PARTITIONS - 1), createPartition("t", 7, [1, 2, 3]), 100).ok).toBe(true);
  });
});
