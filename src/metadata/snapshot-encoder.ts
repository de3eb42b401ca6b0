// The snapshot of a captured image (image.ts capture()), encoded in bounded slices (sliced-json.ts):
// collecting the records out of the captured maps, sorting them (incremental-sort.ts), writing
// their JSON and copying the bytes into one buffer all happen a budget of items at a time. The bytes are exactly
// those of image-codec.ts encodeSnapshot() for the same image: the same document, written piece by
// piece in the same order. The remembered request ids go last, in the captured table's order.
import type { SnapshotEncoding } from "../node/contracts.ts";
import type { ImageCapture } from "./image.ts";
import { compareText } from "./image.ts";
import { invariant } from "./invariant.ts";
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from "./image-codec.ts";
import { captureSource } from "./record-refs.ts";
import { encodeRememberedRequest } from "./request-codec.ts";
import type { RememberedRequest } from "./request-table.ts";
import { type Task, ChunkWriter, Sequence, SortedRecords, WriteIterated, writePartitions, WriteRecords, WriteText, jsonArray } from "./sliced-json.ts";

/** Copying this many bytes counts as one item: a memcpy of 2 KiB costs far less than encoding a record. */
const COPY_BYTES_PER_ITEM = 2048;

/** Copies the encoded chunks into one buffer, a bounded number of bytes per item of budget. */
class Assemble implements Task {
  private buffer: Uint8Array | null = null;
  private chunk = 0;
  private offset = 0;

  constructor(
    private readonly chunks: readonly Uint8Array[],
    /** Encodes the text still pending, once, before the size is summed. */
    private readonly flush: () => void,
  ) {}

  get done(): boolean {
    return this.buffer !== null && this.chunk >= this.chunks.length;
  }

  step(budget: number): number {
    if (this.buffer === null) {
      this.flush();
      this.buffer = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    }
    let work = 0;
    while (this.chunk < this.chunks.length) {
      const c = this.chunks[this.chunk];
      const cost = Math.max(1, Math.ceil(c.length / COPY_BYTES_PER_ITEM));
      // A chunk is copied whole; only one bigger than the whole budget goes over it (tiny budgets).
      if (work > 0 && work + cost > budget) break;
      this.buffer.set(c, this.offset);
      this.offset += c.length;
      this.chunk++;
      work += cost;
    }
    return work;
  }

  result(): Uint8Array {
    invariant(this.buffer !== null && this.done, () => `snapshot bytes asked for with ${this.chunks.length - this.chunk} chunks left to copy`);
    return this.buffer;
  }
}

export class SnapshotEncoder implements SnapshotEncoding {
  private readonly out = new ChunkWriter();
  private readonly work: Sequence;
  private readonly assemble: Assemble;
  private result: Uint8Array | null = null;

  constructor(capture: ImageCapture, appliedIndex: number, requests: ReadonlyMap<string, RememberedRequest> = new Map()) {
    const out = this.out;
    const source = captureSource(capture);
    const brokers = new SortedRecords(capture.brokers.values(), (a, b) => a.fields.brokerId - b.fields.brokerId);
    const topics = new SortedRecords(capture.topics.values(), (a, b) => compareText(a.fields.name, b.fields.name));
    const producers = new SortedRecords(capture.producers.values(), (a, b) => a.fields.producerId - b.fields.producerId);
    // The same head JSON.stringify writes for the whole document, up to the first array.
    const head = JSON.stringify({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, appliedIndex, nextProducerId: capture.nextProducerId });
    this.assemble = new Assemble(out.chunks, () => out.flush());
    this.work = new Sequence([
      () => brokers,
      () => topics,
      () => producers,
      () => new WriteText(out, `${head.slice(0, -1)},"brokers":[`),
      () => new WriteRecords(out, jsonArray(), () => brokers.result()),
      () => new WriteText(out, `],"topics":[`),
      () => new WriteRecords(out, jsonArray(), () => topics.result()),
      () => new WriteText(out, `],"partitions":[`),
      () => writePartitions(out, capture, () => topics.result()),
      () => new WriteText(out, `],"producers":[`),
      () => new WriteRecords(out, jsonArray(), () => producers.result()),
      () => new WriteText(out, `],"requests":[`),
      () => new WriteIterated(out, requests.values(), (r) => encodeRememberedRequest(r, source)),
      () => new WriteText(out, "]}"),
      () => this.assemble,
    ]);
  }

  step(maxItems: number): Uint8Array | null {
    invariant(Number.isSafeInteger(maxItems) && maxItems >= 1, () => `snapshot step needs a positive integer budget, got ${maxItems}`);
    if (this.result !== null) return this.result;
    this.work.step(maxItems);
    this.out.flush();
    if (this.work.done) this.result = this.assemble.result();
    return this.result;
  }
}
