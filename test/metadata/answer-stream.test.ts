// The streamed metadata answer (answer-stream.ts) and its paged form (ordered-image.ts) against
// the document built whole the way the routes answered before streaming: byte-for-byte the same
// JSON at any slice size, NDJSON holding the same records line by line, pages that add up to the
// same snapshot, and a frozen view that later commits do not change.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type AnswerFormat, AnswerStream } from "../../src/metadata/answer-stream.ts";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { fed, imageCommand } from "./random-images.ts";
import { type Audience, FrozenImage } from "../../src/metadata/frozen-image.ts";
import { OrderedImage } from "../../src/metadata/ordered-image.ts";
import type { MetadataAnswer } from "../../src/metadata/service-types.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { changeBroker, createPartition, createTopic, registerBroker, registerProducer } from "./fixtures.ts";

const SEED = 0x57e4;
/** Bound on the slices of one answer, so a budget bug fails instead of spinning. */
const MAX_SLICES = 1_000_000;


function frozen(sm: MetadataStateMachine, audience: Audience): FrozenImage {
  return new FrozenImage(sm.appliedIndex(), audience, sm.image().capture());
}

/** The answer as the routes wrote it before streaming: the live image's body, built whole. */
function wholeDocument(sm: MetadataStateMachine, audience: Audience, prefix: Record<string, string> = {}): string {
  const body = sm.image().body();
  const snapshot = audience === "client" ? { ...body, producers: [] } : body;
  return JSON.stringify({ ...prefix, mode: "snapshot", offset: sm.appliedIndex(), snapshot });
}

function written(answer: MetadataAnswer, format: AnswerFormat, budget: number, prefix: Record<string, string> = {}): string {
  const stream = new AnswerStream(answer, format, prefix);
  const decoder = new TextDecoder();
  let text = "";
  for (let slices = 0; slices < MAX_SLICES; slices++) {
    const bytes = stream.next(budget);
    if (bytes === null) return text;
    text += decoder.decode(bytes);
  }
  throw new Error(`answer not written after ${MAX_SLICES} slices of ${budget}`);
}

const snapshotOf = (view: FrozenImage): MetadataAnswer => ({ mode: "snapshot", offset: view.offset, image: view });

describe("streamed snapshot answer", () => {
  test("is byte-for-byte the whole-built document for random images, both audiences, any slice size", () => {
    fc.assert(
      fc.property(fc.array(imageCommand, { maxLength: 150 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom<Audience>("broker", "client"), (commands, budget, audience) => {
        const sm = fed(commands);
        expect(written(snapshotOf(frozen(sm, audience)), "json", budget)).toBe(wholeDocument(sm, audience));
      }),
      { seed: SEED, numRuns: 120 },
    );
  });

  test("the seed routes' message goes first, as `{ message, ...answer }` wrote it", () => {
    const sm = fed([registerBroker(1), createTopic("a", 3, 1), registerProducer(1)]);
    const prefix = { message: 'cluster metadata (snapshot) "quoted"' };
    expect(written(snapshotOf(frozen(sm, "broker")), "json", 2, prefix)).toBe(wholeDocument(sm, "broker", prefix));
  });

  test("the empty image streams the empty document", () => {
    const sm = new MetadataStateMachine();
    expect(written(snapshotOf(frozen(sm, "broker")), "json", 1)).toBe('{"mode":"snapshot","offset":0,"snapshot":{"brokers":[],"topics":[],"partitions":[],"producers":[]}}');
  });

  test("the first slice is the head alone: the first bytes go out before any record is sorted", () => {
    const sm = fed([registerBroker(1), createTopic("a", 5, 1)]);
    const first = new AnswerStream(snapshotOf(frozen(sm, "client")), "json").next(1);
    expect(new TextDecoder().decode(first ?? new Uint8Array())).toBe(`{"mode":"snapshot","offset":${sm.appliedIndex()},"snapshot":{"brokers":[`);
  });

  test("NDJSON: a first line with mode and offset, then one line per record in the document's order", () => {
    fc.assert(
      fc.property(fc.array(imageCommand, { maxLength: 120 }), fc.integer({ min: 1, max: 30 }), fc.constantFrom<Audience>("broker", "client"), (commands, budget, audience) => {
        const sm = fed(commands);
        const lines = written(snapshotOf(frozen(sm, audience)), "ndjson", budget).split("\n");
        expect(lines.pop()).toBe(""); // every line ends with a newline
        expect(JSON.parse(lines[0])).toEqual({ mode: "snapshot", offset: sm.appliedIndex() });
        const { snapshot } = JSON.parse(wholeDocument(sm, audience));
        expect(lines.slice(1).map((l) => JSON.parse(l))).toEqual([...snapshot.brokers, ...snapshot.topics, ...snapshot.partitions, ...snapshot.producers]);
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  test("a frozen view is the image as of its offset, whatever commits while it is written", () => {
    const sm = fed([registerBroker(1), registerBroker(2), createTopic("a", 4, 1), createTopic("b", 2, 1), registerProducer(1)]);
    const expected = wholeDocument(sm, "broker");
    const stream = new AnswerStream(snapshotOf(frozen(sm, "broker")), "json");
    const decoder = new TextDecoder();
    let text = decoder.decode(stream.next(1) ?? new Uint8Array());
    let index = sm.appliedIndex();
    const later: Command[] = [createTopic("c", 3, 1), createPartition("a", 9, [2]), changeBroker(1, "fence"), registerProducer(2), registerBroker(3)];
    for (let bytes = stream.next(1); bytes !== null; bytes = stream.next(1)) {
      text += decoder.decode(bytes);
      const next = later.shift();
      if (next !== undefined) sm.apply(++index, encodeCommand(next));
    }
    expect(later).toEqual([]);
    expect(text).toBe(expected);
    expect(wholeDocument(sm, "broker")).not.toBe(expected);
  });

  test("a slice that only sorts writes nothing and returns at once (the caller turns the loop)", () => {
    const sm = fed([registerBroker(1), ...Array.from({ length: 40 }, (_, i) => createTopic(`t${(i * 7919) % 40}`))]);
    const stream = new AnswerStream(snapshotOf(frozen(sm, "client")), "json");
    const sizes: number[] = [];
    for (let bytes = stream.next(2); bytes !== null; bytes = stream.next(2)) sizes.push(bytes.length);
    expect(sizes.filter((n) => n === 0).length).toBeGreaterThan(10); // the topics' sort, in steps of 16 moves
    expect(sizes[0]).toBeGreaterThan(0); // the head comes first
  });

  test("a budget that is not a positive integer is refused", () => {
    const stream = new AnswerStream(snapshotOf(frozen(new MetadataStateMachine(), "broker")), "json");
    expect(() => stream.next(0)).toThrow("positive integer budget");
    expect(() => stream.next(1.5)).toThrow("positive integer budget");
  });
});

describe("streamed diff answer", () => {
  test("JSON is JSON.stringify of the answer; NDJSON is the head line then the records", () => {
    const sm = fed([registerBroker(1), createTopic("a", 3, 1), registerProducer(1)]);
    const records = sm.history.after(0);
    const answer: MetadataAnswer = { mode: "diff", offset: sm.appliedIndex(), records };
    for (const budget of [1, 2, 100]) expect(written(answer, "json", budget)).toBe(JSON.stringify(answer));
    const empty: MetadataAnswer = { mode: "diff", offset: 7, records: [] };
    expect(written(empty, "json", 1)).toBe(JSON.stringify(empty));
    expect(written(answer, "ndjson", 2)).toBe([JSON.stringify({ mode: "diff", offset: answer.offset }), ...records.map((r) => JSON.stringify(r)), ""].join("\n"));
  });
});

describe("paged snapshot answer", () => {
  function ordered(view: FrozenImage, budget: number): OrderedImage {
    const image = new OrderedImage(view);
    for (let steps = 0; !image.ordering.done; steps++) {
      if (steps > MAX_SLICES) throw new Error("ordering did not finish");
      image.ordering.step(budget);
    }
    return image;
  }

  test("pages of any size add up to the streamed snapshot", () => {
    fc.assert(
      fc.property(fc.array(imageCommand, { maxLength: 120 }), fc.integer({ min: 1, max: 25 }), fc.constantFrom<Audience>("broker", "client"), (commands, limit, audience) => {
        const sm = fed(commands);
        const image = ordered(frozen(sm, audience), limit);
        const sum = { brokers: [] as unknown[], topics: [] as unknown[], partitions: [] as unknown[], producers: [] as unknown[] };
        for (let from = 0; from < image.total; from += limit) {
          const page = image.page(from, limit);
          expect(page.brokers.length + page.topics.length + page.partitions.length + page.producers.length).toBe(Math.min(limit, image.total - from));
          for (const key of ["brokers", "topics", "partitions", "producers"] as const) sum[key].push(...page[key]);
        }
        const whole = JSON.parse(wholeDocument(sm, audience)).snapshot;
        expect(JSON.stringify(sum)).toBe(JSON.stringify(whole));
        expect(image.total).toBe(whole.brokers.length + whole.topics.length + whole.partitions.length + whole.producers.length);
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  test("a page before the view is in order is a bug, refused", () => {
    const image = new OrderedImage(frozen(fed([registerBroker(1)]), "broker"));
    expect(() => image.page(0, 1)).toThrow("paged before it was in order");
  });
});
