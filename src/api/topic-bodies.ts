// The bodies of topic GETs ({"topic":…,"partitions":[…]}), kept encoded (and compressed, per
// Accept-Encoding: json-answer.ts) per topic, so that reading an unchanged topic again writes the
// same bytes instead of building ~30 KB of JSON and compressing it (most of a GET's CPU on the
// leader at 100 partitions). Records in the image are frozen and replaced, never changed, on every
// commit that touches them (metadata/image.ts): a kept body is valid exactly while the topic record
// and each of its partition records are the very objects it was built from, in the same order.
// Every read compares them (~100 reference comparisons); any change — a new ISR, leader or
// reassignment, more partitions, the topic deleted and made again, a snapshot installed — makes a
// new object and so a new body. Bounded in bytes, least recently read first out; linearizability is
// untouched: the read barrier runs before, and the body is always that of the image it reads.
import type { PartitionRecord, TopicRecord } from "../metadata/records.ts";
import type { TopicView } from "../metadata/service-types.ts";
import { invariant } from "../node/errors.ts";
import { bodyEncodingOf } from "./content-negotiation.ts";
import { encodeJson, mayCompress } from "./json-answer.ts";
import { JSON_HEADERS } from "./record-bodies.ts";
import { topicJson } from "./record-answer.ts";

/** Bytes of kept bodies at most: every topic of a 1M-partition cluster, zstd-compressed (~1.3 KB each). */
export const TOPIC_BODIES_MAX_BYTES = 16 * 1024 * 1024;

/** What an entry costs besides its bodies: the record list it checks, the map slots. */
const ENTRY_OVERHEAD_BYTES = 256;
const BYTES_PER_RECORD_REF = 8;

/** The key of a body that does not vary with Accept-Encoding (too small or too large to compress). */
const ANY_ENCODING = "any";

interface KeptBody {
  body: Blob;
  headers: Readonly<Record<string, string>>;
}

interface Entry {
  /** The partition records the bodies were built from, in their order. */
  partitions: readonly PartitionRecord[];
  /** By encoding, or one under ANY_ENCODING for all. */
  bodies: Map<string, KeptBody>;
  bytes: number;
}

export interface TopicBodyStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export class TopicBodies {
  /** In order of last read: the first is evicted first. */
  private readonly entries = new Map<TopicRecord, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxBytes: number) {
    invariant(Number.isSafeInteger(maxBytes) && maxBytes > 0, () => `bad bound on kept topic bodies: ${maxBytes} bytes`);
  }

  /** The 200 answer of a topic GET for `view`, from a kept body when the topic is unchanged. */
  answer(view: TopicView, request: Request): Response {
    const kept = this.body(view, request);
    return new Response(kept.body, { status: 200, headers: kept.headers });
  }

  stats(): TopicBodyStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, bytes: this.bytes };
  }

  private body(view: TopicView, request: Request): KeptBody {
    let entry = this.current(view);
    // A body that does not vary is found without building the request's headers.
    const any = entry?.bodies.get(ANY_ENCODING);
    if (any !== undefined) return this.hit(any);
    const encoding = bodyEncodingOf(request.headers);
    const kept = entry?.bodies.get(encoding);
    if (kept !== undefined) return this.hit(kept);
    this.misses++;
    checkFrozen(view);
    const text = topicJson(view);
    const varies = mayCompress(text);
    const made = varies ? encodeJson(text, encoding) : { body: text, headers: JSON_HEADERS };
    const body: KeptBody = { body: new Blob([made.body]), headers: made.headers };
    entry ??= this.add(view);
    entry.bodies.set(varies ? encoding : ANY_ENCODING, body);
    this.grow(entry, body.body.size);
    return body;
  }

  private hit(kept: KeptBody): KeptBody {
    this.hits++;
    return kept;
  }

  /** The entry of the topic when it was built from the view's very records (moved to the back), else none. */
  private current(view: TopicView): Entry | undefined {
    const entry = this.entries.get(view.topic);
    if (entry === undefined) return undefined;
    this.entries.delete(view.topic);
    if (!sameRecords(entry.partitions, view.partitions)) {
      this.bytes -= entry.bytes;
      return undefined;
    }
    this.entries.set(view.topic, entry);
    return entry;
  }

  private add(view: TopicView): Entry {
    const entry: Entry = { partitions: view.partitions, bodies: new Map(), bytes: 0 };
    this.entries.set(view.topic, entry);
    this.grow(entry, ENTRY_OVERHEAD_BYTES + BYTES_PER_RECORD_REF * view.partitions.length);
    return entry;
  }

  /** Counts `bytes` more for `entry`, then evicts the least recently read until the bound holds. */
  private grow(entry: Entry, bytes: number): void {
    entry.bytes += bytes;
    this.bytes += bytes;
    for (const [topic, oldest] of this.entries) {
      // The entry just read stays, even alone over the bound: its body is in use.
      if (this.bytes <= this.maxBytes || oldest === entry) break;
      this.entries.delete(topic);
      this.bytes -= oldest.bytes;
    }
    invariant(this.bytes >= 0, () => `kept topic bodies count ${this.bytes} bytes`);
  }
}

/** The node's kept topic bodies (records are per node, so one table per process serves every app). */
export const topicBodies = new TopicBodies(TOPIC_BODIES_MAX_BYTES);

function sameRecords(a: readonly PartitionRecord[], b: readonly PartitionRecord[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A record that could still change would make a kept body lie about it later (as record-bodies.ts). */
function checkFrozen(view: TopicView): void {
  const loose = [view.topic, ...view.partitions].find((r) => !Object.isFrozen(r) || !Object.isFrozen(r.fields));
  if (loose !== undefined) throw new TypeError(`record ${loose.name} at offset ${loose.offset} is not frozen; its topic's body cannot be kept`);
}
