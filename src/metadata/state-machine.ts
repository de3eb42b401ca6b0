// The replicated metadata state machine. apply() is deterministic (no clock, no randomness: the
// leader stamped both into the command) and total: any bytes yield a result, and a rejected command
// changes nothing. Applied records also go to a bounded history for diffs and the event log. A
// command's request id is remembered with its result (request-table.ts): the same id again is
// answered with that result and applies nothing (exactly-once writes). A command this machine
// encoded for its node to propose is applied as it was built, not decoded from its bytes again.
import type { SnapshotEncoding, SnapshotRestore, StateMachine } from "../node/contracts.ts";
import { type ApplyResult, rejected } from "./apply-result.ts";
import { type Command, type DecodeResult, decodeCommand, encodeRoundTrip } from "./commands.ts";
import { EventHistory } from "./event-history.ts";
import { MetadataImage } from "./image.ts";
import { type DecodedSnapshot, beginDecode, decodeSnapshot } from "./image-codec.ts";
import { invariant } from "./invariant.ts";
import { parseIsoStamp } from "./iso-stamp.ts";
import { DEFAULT_HISTORY_OWN_BYTES, DEFAULT_HISTORY_RECORDS } from "./limits.ts";
import { badRequest } from "./errors.ts";
import { unchangedPartitionAnswer } from "./partition-rules.ts";
import { planCommand } from "./planner.ts";
import type { MetadataRecord } from "./records.ts";
import { describeRequestId } from "./request-ids.ts";
import { DEFAULT_REQUEST_BOUNDS, type RememberedRequest, RequestTable, type RequestTableBounds } from "./request-table.ts";
import { SnapshotEncoder } from "./snapshot-encoder.ts";

export interface MetadataStateMachineOptions {
  /** Records kept for diffs and the event log (oldest offsets dropped first). */
  historyRecords?: number;
  /** Estimated bytes of the kept records that only the history holds (event-history.ts), at most. */
  historyOwnBytes?: number;
  /** Bounds of the remembered request ids; every replica must use the same (the default). */
  requestBounds?: RequestTableBounds;
}

/** A request id seen before: the offset of the entry that first carried it, and the answer now. */
export interface RecalledRequest {
  offset: number;
  result: ApplyResult;
}

/** What changed: the records of one applied entry, or the whole image (restored from a snapshot). */
export type ImageChange = { kind: "records"; records: readonly MetadataRecord[] } | { kind: "restored" };

export class MetadataStateMachine implements StateMachine {
  private current = new MetadataImage();
  private applied = 0;
  /** Records committed by the entries applied in this process (recordsApplied: the runtime's snapshot trigger). */
  private recordCount = 0;
  private requests: RequestTable;
  private readonly requestBounds: RequestTableBounds;
  readonly history: EventHistory;
  /** Replaced, never changed in place: notify() walks the list it read while listeners come and go. */
  private listeners: readonly ((change: ImageChange) => void)[] = [];
  /**
   * Commands this node encoded to propose (encode), by their bytes, until those are applied. Weak:
   * bytes whose entry never commits here (leadership lost, truncated, covered by a snapshot) take
   * their command with them when they go.
   */
  private readonly proposed = new WeakMap<Uint8Array, Command>();
  /** What the image let go of in the commit under way: the history weighs it once the commit is done. */
  private readonly letGoRecords: MetadataRecord[] = [];
  /** Bound once, not a closure per apply. */
  private readonly letGo = (record: MetadataRecord): void => void this.letGoRecords.push(record);
  private readonly heldByImage = (record: MetadataRecord): boolean => this.current.holds(record);

  constructor(opts: MetadataStateMachineOptions = {}) {
    this.history = new EventHistory(opts.historyRecords ?? DEFAULT_HISTORY_RECORDS, opts.historyOwnBytes ?? DEFAULT_HISTORY_OWN_BYTES);
    this.requestBounds = opts.requestBounds ?? DEFAULT_REQUEST_BOUNDS;
    this.requests = new RequestTable(this.requestBounds);
  }

  /** The current image; callers read it and never change it. */
  image(): MetadataImage {
    return this.current;
  }

  /** Index of the last entry given to apply() or restore(). */
  appliedIndex(): number {
    return this.applied;
  }

  /** How many request ids are remembered now, and the records their results hold. */
  rememberedRequests(): { ids: number; records: number } {
    return { ids: this.requests.size, records: this.requests.heldRecords };
  }

  /** The remembered requests, oldest first (what a snapshot holds). */
  rememberedInOrder(): IterableIterator<RememberedRequest> {
    return this.requests.inOrder();
  }

  /**
   * The answer already given to `command`'s request id, if the id is remembered: the same result
   * for the same request, a refusal for a different one under the same id. Changes nothing.
   */
  recall(command: Command): RecalledRequest | null {
    const { requestId, requestHash } = command;
    if (requestId === undefined || requestHash === undefined) return null;
    const known = this.requests.recall(requestId, requestHash);
    if (known === null) return null;
    const { offset, result } = known.entry;
    if (known.kind === "replay") return { offset, result };
    const message = `${describeRequestId(requestId)} was already used (offset ${offset}) for a different request; use a new key for a new request`;
    return { offset, result: rejected("idempotency_key_reused", message) };
  }

  /**
   * Would `command` be accepted if it were the next entry? (Changes nothing.) Only the verdict: an
   * accepted check may leave out records the apply builds (a create's placed partitions).
   */
  check(command: Command): ApplyResult {
    return planCommand(this.current, command, this.applied + 1, "check");
  }

  /**
   * The bytes to propose for `command`. When they commit, this machine applies `command` as it is
   * rather than decoding the bytes (parse, UTF-8, schema: ~1 µs of a leader's apply), if decoding
   * them gives `command` back unchanged, as it does on every other replica; else it decodes them.
   * Only a flat command (no list or object inside: a broker's change or registration, the hot
   * writes) is kept, and frozen, so nothing changes it between its proposal and its apply; a list
   * may be shared with its maker (a reconcile's partitions), so those are decoded.
   */
  encode(command: Command): Uint8Array {
    const { data, roundTrips } = encodeRoundTrip(command, 1);
    if (roundTrips) this.proposed.set(data, Object.freeze(command));
    return data;
  }

  recordsApplied(): number {
    return this.recordCount;
  }

  onChange(listener: (change: ImageChange) => void): () => void {
    if (!this.listeners.includes(listener)) this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  apply(index: number, data: Uint8Array): ApplyResult {
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      return rejected("internal", `entry ${index} is not past the applied index ${this.applied}; ignored`);
    }
    this.applied = index;
    try {
      const decoded = this.decode(data);
      if (!decoded.ok) return rejected("bad_request", `entry ${index} holds no valid command: ${decoded.message}`);
      const command = decoded.value;
      // Parsed once: the table's clock.
      const at = parseIsoStamp(command.timestamp);
      this.requests.expire(at);
      const recalled = this.recall(command);
      if (recalled !== null) return recalled.result;
      const result = planCommand(this.current, command, index);
      if (result.ok) {
        try {
          this.current.commit(result.records, this.letGo);
        } finally {
          // Even after a commit that threw (a bug), what the image let go of is weighed now, not left for the next entry.
          if (this.letGoRecords.length > 0) {
            this.history.superseded(this.letGoRecords);
            this.letGoRecords.length = 0;
          }
        }
        this.history.append(result.records, this.heldByImage);
        this.recordCount += result.records.length;
        this.notify({ kind: "records", records: result.records });
      }
      // A partition change already in effect wrote nothing: it answers (and remembers) the partition as it stands.
      const answer = unchangedPartitionAnswer(this.current, command, result) ?? result;
      this.remember(command, index, at, answer);
      return answer;
    } catch (error) {
      // Only a bug gets here (the planner checks everything commit relies on); say so, don't crash.
      return rejected("internal", `applying entry ${index} failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  /** The command an entry holds: the one this machine encoded into its bytes, or the bytes decoded. */
  private decode(data: Uint8Array): DecodeResult<Command> {
    const command = this.proposed.get(data);
    if (command === undefined) return decodeCommand(data);
    this.proposed.delete(data); // an entry is applied once
    return { ok: true, value: command };
  }

  /** The whole snapshot in one go (the incremental encoder, unbounded). */
  snapshot(): Uint8Array {
    const bytes = this.beginSnapshot().step(Number.MAX_SAFE_INTEGER);
    if (bytes === null) throw new Error("an unbounded snapshot step left work undone");
    return bytes;
  }

  /** Captures the image now (cheap: map copies); later applies and restores do not change it. */
  beginSnapshot(): SnapshotEncoding {
    return new SnapshotEncoder(this.current.capture(), this.applied, this.requests.capture());
  }

  /** Replaces the state; a snapshot that does not decode is refused (and nothing changes). */
  restore(index: number, data: Uint8Array): void {
    this.install(index, decodeSnapshot(data, this.requestBounds));
  }

  /** restore() in bounded steps: the snapshot is decoded into a new image, which replaces the state at the last step. */
  beginRestore(index: number, data: Uint8Array): SnapshotRestore {
    // The new image shares every record that did not change with the image it replaces.
    const decoding = beginDecode(data, this.requestBounds, this.current);
    let installed = false;
    return {
      step: (maxItems) => {
        invariant(!installed, () => `the restore of the snapshot at ${index} was stepped after it replaced the state`);
        const decoded = decoding.step(maxItems);
        if (decoded === null) return false;
        installed = true;
        this.install(index, decoded);
        return true;
      },
    };
  }

  private install(index: number, decoded: DecodeResult<DecodedSnapshot>): void {
    if (!decoded.ok) throw badRequest(`cannot restore the snapshot at index ${index}: ${decoded.message}`);
    if (decoded.value.appliedIndex > index) {
      throw badRequest(`snapshot covers index ${decoded.value.appliedIndex}, past the index ${index} it was restored at`);
    }
    this.current = decoded.value.image;
    this.requests = decoded.value.requests;
    this.applied = index;
    this.history.reset(index);
    this.notify({ kind: "restored" });
  }

  /** An internal failure is a bug, not an answer: it is not remembered, so a retry tries again. */
  private remember(command: Command, offset: number, at: number, result: ApplyResult): void {
    const { requestId, requestHash } = command;
    if (requestId === undefined || requestHash === undefined) return;
    if (!result.ok && result.error.code === "internal") return;
    this.requests.remember({ id: requestId, hash: requestHash, offset, at, result });
  }

  private notify(change: ImageChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not make replicas diverge or stop applying.
      }
    }
  }
}
