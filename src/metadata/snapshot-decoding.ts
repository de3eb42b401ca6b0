// The binary snapshot (snapshot-format.ts) decoded in bounded steps, so a follower installing its
// leader's snapshot of a large image never holds the event loop for the whole decode: each step
// reads at most a budget of records into a new image (MetadataImage.loader()), checking every
// bound and order as it goes. The image is handed out only by the step that finishes, so nothing
// sees it half built; a damaged snapshot ends in a refusal naming the byte, and nothing is kept.
// decodeSnapshot (image-codec.ts) is one unbounded step of it.
// A follower installing its leader's snapshot holds its own image until the new one replaces it
// (stale reads see the old state whole), so both are in memory at once: at a million partitions
// that peak was most of a follower's resident set after an install (issue 10). Records are frozen
// and nothing depends on their identity, so a decoded partition equal to the one the current image
// holds is taken from there (readPartition): the new image shares every unchanged record with the
// old one, and no record is allocated for it. A topic whose partitions are all so taken, and are
// all the old image holds of it, takes the old image's table and ISR memberships as they are
// (ImageLoader.adopt): at 1M partitions building them again was ~40 MiB on top of both images.
import type { DecodeResult } from "./commands.ts";
import { type ImageLoader, MetadataImage, compareText } from "./image.ts";
import { invariant } from "./invariant.ts";
import type { PartitionRecord } from "./records.ts";
import { RequestsDecoding } from "./request-codec.ts";
import type { RequestTableBounds } from "./request-table.ts";
import { type DecodedSnapshot, readBroker, readHead, readPartition, readProducer, readRequest, readTopicHead } from "./snapshot-format.ts";
import { SnapshotFormatError, SnapshotReader } from "./snapshot-reader.ts";

/** A snapshot being decoded: null while work remains, then the outcome (the same on every later call). */
export interface SnapshotDecoding {
  step(budget: number): DecodeResult<DecodedSnapshot> | null;
}

type Phase = "head" | "brokers" | "topics" | "producers" | "requests" | "finish";

/** The topic whose partitions are being read, and the run of them not yet loaded. */
interface OpenTopic {
  uuid: string;
  name: string;
  left: number;
  lastId: number;
  run: PartitionRecord[];
  /** The topic's partitions in the image being replaced, by id. */
  held: ReadonlyMap<number, PartitionRecord> | undefined;
  /**
   * Every partition read so far is the held record of its id, and the held table has as many as
   * the topic: the run is kept back, and if this holds to the end the held table is adopted.
   */
  adoptable: boolean;
}

export class BinarySnapshotDecoding implements SnapshotDecoding {
  private readonly r: SnapshotReader;
  private readonly load: ImageLoader;
  private phase: Phase = "head";
  private outcome: DecodeResult<DecodedSnapshot> | null = null;
  private head = { appliedIndex: 0, nextProducerId: 0 };
  /** Records left in the current list (brokers, topics, producers or requests). */
  private left = 0;
  private lastKey: number | null = null;
  private lastName: string | null = null;
  private readonly topicIds = new Set<string>();
  private topic: OpenTopic | null = null;
  /** The remembered requests, each resolved against the records loaded as it is read. */
  private readonly requests: RequestsDecoding;
  /** Requests read so far (the index in messages). */
  private requestsRead = 0;

  constructor(
    data: Uint8Array,
    bounds: RequestTableBounds,
    private readonly held: MetadataImage | null = null,
  ) {
    this.r = new SnapshotReader(data, 0);
    this.load = MetadataImage.loader(held);
    this.requests = new RequestsDecoding(bounds, this.load.records);
  }

  step(budget: number): DecodeResult<DecodedSnapshot> | null {
    invariant(Number.isSafeInteger(budget) && budget >= 1, () => `a decoding step needs a positive integer budget, got ${budget}`);
    if (this.outcome !== null) return this.outcome;
    try {
      for (let work = 0; work < budget && this.outcome === null; ) work += this.advance(budget - work);
      this.flushRun();
    } catch (error) {
      if (!(error instanceof SnapshotFormatError)) throw error;
      this.outcome = { ok: false, message: `snapshot is malformed: ${error.message}` };
    }
    return this.outcome;
  }

  /** Some of the current phase's work (at most `budget` records, ≥ 1 of work); returns how much. */
  private advance(budget: number): number {
    const r = this.r;
    switch (this.phase) {
      case "head":
        this.head = readHead(r);
        this.startList("brokers", r.count("brokers"));
        return 1;
      case "brokers":
        return this.eachLeft(budget, () => {
          const broker = readBroker(r);
          this.inOrder("broker", broker.fields.brokerId);
          this.load.broker(broker);
        }, () => this.startList("topics", r.count("topics")));
      case "topics":
        return this.topics(budget);
      case "producers":
        return this.eachLeft(budget, () => {
          const producer = readProducer(r);
          this.inOrder("producer id", producer.fields.producerId);
          this.load.producer(producer);
        }, () => this.startList("requests", r.count("requests")));
      case "requests":
        return this.readRequests(budget);
      case "finish":
        this.finish();
        return 1;
    }
  }

  private startList(phase: Phase, count: number): void {
    this.phase = phase;
    this.left = count;
    this.lastKey = null;
  }

  /** Up to `budget` records of the current list, then `next` once it is read whole. */
  private eachLeft(budget: number, read: () => void, next: () => void): number {
    const n = Math.min(budget, this.left);
    for (let i = 0; i < n; i++) read();
    this.left -= n;
    if (this.left === 0) next();
    return Math.max(n, 1);
  }

  /** Each key strictly after the one before, so none repeats. */
  private inOrder(what: string, key: number): void {
    if (this.lastKey !== null && this.lastKey >= key) this.r.fail(`${what} ${key} is out of order or repeated`);
    this.lastKey = key;
  }

  /** Topic heads and their partitions; a topic counts as an item, so empty topics are bounded too. */
  private topics(budget: number): number {
    const r = this.r;
    let work = 0;
    while (work < budget) {
      const open = this.topic;
      if (open === null) {
        if (this.left === 0) {
          this.startList("producers", r.count("producer ids"));
          return Math.max(work, 1);
        }
        this.openTopic();
        work++;
        continue;
      }
      const n = Math.min(budget - work, open.left);
      for (let i = 0; i < n; i++) {
        const partition = readPartition(r, open.uuid, open.held);
        const id = partition.fields.partitionId;
        if (id <= open.lastId) r.fail(`partition ${id} of topic ${JSON.stringify(open.name)} is out of order or repeated`);
        open.lastId = id;
        // Ids strictly ascending, each the held one's, as many as held: the very same partitions.
        if (open.adoptable && open.held?.get(id) !== partition) open.adoptable = false;
        open.run.push(partition);
      }
      open.left -= n;
      work += n;
      if (open.left === 0) this.closeTopic(open);
    }
    return work;
  }

  /**
   * Remembered requests, each counted with its records (a topic creation remembers all its
   * partitions), and resolved at once: every record a reference can name is loaded by now.
   */
  private readRequests(budget: number): number {
    let work = 0;
    while (work < budget && this.left > 0 && this.outcome === null) {
      const request = readRequest(this.r, this.requestsRead++);
      const problem = this.requests.add(request);
      if (problem !== null) this.outcome = { ok: false, message: `snapshot is inconsistent: ${problem}` };
      this.left--;
      work += 1 + (request.result.ok ? request.result.records.length : 0);
    }
    if (this.left === 0) this.startList("finish", 0);
    return Math.max(work, 1);
  }

  private openTopic(): void {
    const { topic, partitions } = readTopicHead(this.r);
    const { name, topicUUID } = topic.fields;
    if (this.lastName !== null && compareText(this.lastName, name) >= 0) this.r.fail(`topic ${JSON.stringify(name)} is out of order or repeated`);
    if (this.topicIds.has(topicUUID)) this.r.fail(`topic UUID ${topicUUID} appears twice`);
    this.lastName = name;
    this.topicIds.add(topicUUID);
    this.left--;
    this.load.topic(topic);
    const held = this.held?.partitionTable(topicUUID);
    // A topic with no partitions has nothing to adopt.
    const adoptable = held !== undefined && partitions > 0 && held.size === partitions;
    this.topic = { uuid: topicUUID, name, left: partitions, lastId: -1, run: [], held, adoptable };
  }

  /** The open topic's partitions read so far go into the image (a topic may span steps), unless it may still be adopted whole. */
  private flushRun(): void {
    const open = this.topic;
    if (open === null || open.adoptable || open.run.length === 0) return;
    this.load.partitions(open.run);
    open.run = [];
  }

  /** Every partition of the open topic is read: its held table adopted, or the rest of its run loaded. */
  private closeTopic(open: OpenTopic): void {
    // Checked again as a whole (a topic may span steps): the held table is still what was read.
    if (open.adoptable && !this.stillHeld(open)) open.adoptable = false;
    if (open.adoptable) {
      this.load.adopt(open.uuid);
      open.run = [];
    } else this.flushRun();
    this.topic = null;
  }

  /** The held image's table of the open topic holds the very records of its run, and no others. */
  private stillHeld(open: OpenTopic): boolean {
    const table = this.held?.partitionTable(open.uuid);
    if (table === undefined || table.size !== open.run.length) return false;
    return open.run.every((p) => table.get(p.fields.partitionId) === p);
  }

  /** The checks across the remembered requests (one pass over them, ~10,000 at 1M partitions), then the outcome. */
  private finish(): void {
    if (!this.r.done) this.r.fail("bytes follow the last request");
    const decoded = this.requests.finish(this.head.appliedIndex);
    const image = this.load.finish(this.head.nextProducerId);
    this.outcome = decoded.ok
      ? { ok: true, value: { appliedIndex: this.head.appliedIndex, image, requests: decoded.value } }
      : { ok: false, message: `snapshot is inconsistent: ${decoded.message}` };
  }
}

