// JSON text of records, exactly as JSON.stringify writes them, but fast for partition records: a
// topic's answer (its create, its GET) holds ~100 of them, and JSON.stringify of a record holding
// frozen (interned) lists takes JSC's slow path, ~3× the time of the same record with plain lists
// (measured: 94 against 28 µs for a 100-partition answer). A frozen partition record was frozen by
// freezeRecord or built by newPartition, both of which give its fields the spec's key order (and
// every place that builds one writes the envelope in order type, name, offset, timestamp,
// fields), so a template writes the same text; any other record goes to JSON.stringify.
import type { MetadataRecord, PartitionRecord } from "./records.ts";
import { EMPTY } from "./replica-lists.ts";

/** Text of lists already written (interned lists are few and shared; the WeakMap lets them go). */
const listTexts = new WeakMap<readonly number[], string>();

/** JSON of one record: the same text as JSON.stringify(record). */
export function recordJson(record: MetadataRecord): string {
  return record.name === "PartitionRecord" && Object.isFrozen(record) ? partitionJson(record) : JSON.stringify(record);
}

/** JSON of a value that is nearly always a record (the sliced answers' items): JSON.stringify's text. */
export function itemJson(value: unknown): string {
  return typeof value === "object" && value !== null && (value as { name?: unknown }).name === "PartitionRecord" ? recordJson(value as PartitionRecord) : JSON.stringify(value);
}

/** JSON of a list of records: the same text as JSON.stringify(records). */
export function recordsJson(records: readonly MetadataRecord[]): string {
  let text = "[";
  for (let i = 0; i < records.length; i++) text += (i === 0 ? "" : ",") + recordJson(records[i]);
  return `${text}]`;
}

function partitionJson(record: PartitionRecord): string {
  const f = record.fields;
  if (!(isInt(record.offset) && isInt(f.partitionId) && isInt(f.partitionEpoch) && isInt(f.leaderEpoch))) return JSON.stringify(record);
  return (
    `{"type":"metadata","name":"PartitionRecord","offset":${record.offset},"timestamp":${stamps.json(record.timestamp)},"fields":{"partitionId":${f.partitionId},` +
    `"topicUUID":${topics.json(f.topicUUID)},"replicas":${listJson(f.replicas)},"ISR":${listJson(f.ISR)},"removingReplicas":${listJson(f.removingReplicas)},` +
    `"addingReplicas":${listJson(f.addingReplicas)},"leader":${leaders.json(f.leader)},"partitionEpoch":${f.partitionEpoch},"leaderEpoch":${f.leaderEpoch}}}`
  );
}

/** The record types hold integers; anything else (never, for a checked record) takes JSON.stringify. */
const isInt = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n);

/** A JSON string, remembering the last one it wrote (a topic's partitions share a UUID and a stamp). */
class StringMemo {
  private value = "";
  private written = '""';

  json(value: string): string {
    if (value !== this.value) {
      this.written = JSON.stringify(value);
      this.value = value;
    }
    return this.written;
  }
}

/** JSON strings of values that repeat without being neighbours (leaders: a few dozen broker ids). */
class StringCache {
  private readonly written = new Map<string, string>();

  constructor(private readonly maxEntries: number) {}

  json(value: string): string {
    let text = this.written.get(value);
    if (text === undefined) {
      // Leaders are broker ids (or "-1"): a bound only matters for values nobody expects.
      if (this.written.size >= this.maxEntries) this.written.clear();
      text = JSON.stringify(value);
      this.written.set(value, text);
    }
    return text;
  }
}

const stamps = new StringMemo();
const topics = new StringMemo();
const leaders = new StringCache(4_096);

function listJson(list: readonly number[]): string {
  if (list === EMPTY || list.length === 0) return "[]";
  let written = listTexts.get(list);
  if (written === undefined) {
    written = JSON.stringify(list);
    // Only a frozen list can be remembered: its text stays true.
    if (Object.isFrozen(list)) listTexts.set(list, written);
  }
  return written;
}
