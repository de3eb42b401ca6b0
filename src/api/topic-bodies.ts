// The bodies of topic GETs ({"topic":…,"partitions":[…]}), kept encoded (and compressed, per
// Accept-Encoding: json-answer.ts) per topic, so that reading an unchanged topic again writes the
// same bytes instead of building ~30 KB of JSON and compressing it (most of a GET's CPU on the
// leader at 100 partitions). A record's offset is the log index of the entry that wrote it, and an
// entry is applied whole between two reads: a partition's record that changed — a new ISR, leader
// or reassignment — has a new offset, a new partition lengthens the list, and a topic deleted and
// made again has a new topicUUID. So a kept body stays valid exactly while the topic's record
// offset and the (partitionId, offset) of each of its partitions, in order, are the ones it was
// built from; every read compares them (~100 pairs) and builds the body again when any differs.
// Only these numbers are kept, never the records (a kept record would pin a replaced one in
// memory), so a snapshot installed (records decoded anew, same offsets, same content) keeps the
// bodies valid. Bounded in bytes, least recently read out first. Linearizability is untouched: the
// read barrier runs before, and the body is always that of the image the read sees.
import type { TopicView } from "../metadata/service-types.ts";
import { invariant } from "../node/errors.ts";
import { bodyEncodingOf } from "./content-negotiation.ts";
import { encodeJson, mayCompress } from "./json-answer.ts";
import { JSON_HEADERS } from "./record-bodies.ts";
import { topicJson } from "./record-answer.ts";

/** Bytes of kept bodies at most: every topic of a 1M-partition cluster, zstd-compressed (~1.3 KB each). */
export const TOPIC_BODIES_MAX_BYTES = 16 * 1024 * 1024;

/** What an entry costs besides its bodies: the map slots and objects, and 16 bytes per partition checked. */
const ENTRY_OVERHEAD_BYTES = 256;
const BYTES_PER_PARTITION = 16;

/** The key of a body that does not vary with Accept-Encoding (too small or too large to compress). */
const ANY_ENCODING = "any";

interface KeptBody {
  body: Blob;
  headers: Readonly<Record<string, string>>;
}

interface Entry {
  /** The offset of the topic's record the bodies were built from. */
  topicOffset: number;
  /** (partitionId, offset) of each partition record they were built from, in the answer's order. */
  versions: Float64Array;
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
  /** By topicUUID, in order of last read: the first is evicted first. */
  private readonly entries = new Map<string, Entry>();
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

  /** Gauges for /metrics. */
  metrics(): Record<string, number> {
    return {
      yakt_topic_bodies_hits_total: this.hits,
      yakt_topic_bodies_misses_total: this.misses,
      yakt_topic_bodies_kept: this.entries.size,
      yakt_topic_bodies_bytes: this.bytes,
    };
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

  /** The topic's entry when it was built from the view's very record versions (moved to the back), else none. */
  private current(view: TopicView): Entry | undefined {
    const id = view.topic.fields.topicUUID;
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    if (!sameVersions(entry, view)) {
      this.bytes -= entry.bytes;
      return undefined;
    }
    this.entries.set(id, entry);
    return entry;
  }

  private add(view: TopicView): Entry {
    const entry: Entry = { topicOffset: view.topic.offset, versions: versionsOf(view), bodies: new Map(), bytes: 0 };
    this.entries.set(view.topic.fields.topicUUID, entry);
    this.grow(entry, ENTRY_OVERHEAD_BYTES + BYTES_PER_PARTITION * view.partitions.length);
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

function versionsOf(view: TopicView): Float64Array {
  const versions = new Float64Array(view.partitions.length * 2);
  view.partitions.forEach((p, i) => {
    versions[2 * i] = p.fields.partitionId;
    versions[2 * i + 1] = p.offset;
  });
  return versions;
}

function sameVersions(entry: Entry, view: TopicView): boolean {
  const { partitions } = view;
  const v = entry.versions;
  if (entry.topicOffset !== view.topic.offset || v.length !== partitions.length * 2) return false;
  for (let i = 0; i < partitions.length; i++) {
    if (v[2 * i + 1] !== partitions[i].offset || v[2 * i] !== partitions[i].fields.partitionId) return false;
  }
  return true;
}

/** A record that could still change would make a kept body lie about it later (as record-bodies.ts). */
function checkFrozen(view: TopicView): void {
  const loose = [view.topic, ...view.partitions].find((r) => !Object.isFrozen(r) || !Object.isFrozen(r.fields));
  if (loose !== undefined) throw new TypeError(`record ${loose.name} at offset ${loose.offset} is not frozen; its topic's body cannot be kept`);
}
