// The building blocks of JSON written in bounded slices, shared by the snapshot encoder
// (snapshot-encoder.ts) and the streamed metadata image (image-stream.ts): tasks that each do at
// most a budget of items of work per step (collect records out of a captured map, sort them
// incrementally, write their JSON), run in sequence, writing text into a ChunkWriter that turns
// each slice's text into one chunk of bytes. The text is exactly JSON.stringify's for the same
// values, written piece by piece in the same order.
import type { ImageCapture } from "./image.ts";
import { type Task, TopicPartitions } from "./sliced-tasks.ts";
import { itemJson } from "./record-json.ts";
import type { TopicRecord } from "./records.ts";

export { Sequence, SortedRecords, type Task, TopicPartitions } from "./sliced-tasks.ts";

/** Text pieces waiting to be encoded; each slice's text becomes one chunk of bytes. */
export class ChunkWriter {
  readonly chunks: Uint8Array[] = [];
  private parts: string[] = [];
  private readonly encoder = new TextEncoder();

  write(text: string): void {
    this.parts.push(text);
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(this.encoder.encode(this.parts.join("")));
    this.parts = [];
  }

  /** The chunks written since the last take (the streamed form hands each slice on at once). */
  take(): Uint8Array[] {
    this.flush();
    return this.chunks.splice(0, this.chunks.length);
  }
}

/**
 * How records of one list are framed: a JSON array separates them with commas; NDJSON ends each
 * with a newline. `empty` spans several runs when they share one list. `render` writes a run of
 * records at once, each as record-json.ts writes it: JSON.stringify's text, at a third of its
 * cost for partition records (whose frozen lists take JSC's slow path in JSON.stringify).
 */
export interface RecordList {
  empty: boolean;
  render(run: readonly unknown[]): string;
}

/** The items of a run comma-joined: JSON.stringify([a, b]) without its brackets, for records. */
function joined(run: readonly unknown[], separator: string): string {
  let text = "";
  for (let i = 0; i < run.length; i++) text += (i === 0 ? "" : separator) + itemJson(run[i]);
  return text;
}

export const jsonArray = (): RecordList => ({
  empty: true,
  render(run) {
    const items = joined(run, ",");
    const text = this.empty ? items : `,${items}`;
    this.empty = false;
    return text;
  },
});

export const ndjsonLines = (): RecordList => ({
  empty: true,
  render(run) {
    this.empty = false;
    return `${joined(run, "\n")}\n`;
  },
});

/** Each record of a list visited in order, a run of at most one per item of budget at a time. */
export class EachRecord<T> implements Task {
  private next = 0;

  constructor(
    private readonly records: () => readonly T[],
    private readonly visit: (records: readonly T[], start: number, end: number) => void,
  ) {}

  get done(): boolean {
    return this.next >= this.records().length;
  }

  step(budget: number): number {
    const records = this.records();
    const end = Math.min(records.length, this.next + budget);
    if (end > this.next) this.visit(records, this.next, end);
    const work = end - this.next;
    this.next = end;
    return work;
  }
}

/** Records written as items of `list`, a run per step. */
export class WriteRecords<T> extends EachRecord<T> {
  constructor(out: ChunkWriter, list: RecordList, records: () => readonly T[]) {
    super(records, (all, start, end) => out.write(list.render(start === 0 && end === all.length ? all : all.slice(start, end))));
  }
}

/** Records appended to an array (the paged form's flat lists). */
export class AppendRecords<T> extends EachRecord<T> {
  constructor(target: T[], records: () => readonly T[]) {
    super(records, (all, start, end) => {
      for (let i = start; i < end; i++) target.push(all[i]);
    });
  }
}

/** Items of a JSON array straight from an iterator (no sorting), one per item of budget. */
export class WriteIterated<T> implements Task {
  done = false;
  private empty = true;

  constructor(
    private readonly out: ChunkWriter,
    private readonly source: Iterator<T>,
    private readonly render: (item: T) => string,
  ) {}

  step(budget: number): number {
    let work = 0;
    while (work < budget) {
      const next = this.source.next();
      if (next.done) {
        this.done = true;
        break;
      }
      this.out.write((this.empty ? "" : ",") + this.render(next.value));
      this.empty = false;
      work++;
    }
    return work;
  }
}

/** Fixed text (brackets, keys): no item of work. */
export class WriteText implements Task {
  done = false;

  constructor(
    private readonly out: ChunkWriter,
    private readonly text: string,
  ) {}

  step(): number {
    this.out.write(this.text);
    this.done = true;
    return 0;
  }
}

/** Every partition written as records of `list`, in TopicPartitions' order. */
export function writePartitions(out: ChunkWriter, capture: ImageCapture, topics: () => readonly TopicRecord[], list: RecordList = jsonArray()): Task {
  return new TopicPartitions(capture, topics, (sorted) => new WriteRecords(out, list, sorted));
}
