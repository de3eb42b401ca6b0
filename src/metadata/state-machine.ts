// The replicated metadata state machine. apply() is deterministic (no clock, no randomness: the
// leader stamped both into the command) and total: any bytes yield a result, and a rejected command
// changes nothing. Applied records also go to a bounded history for diffs and the event log.
import type { SnapshotEncoding, StateMachine } from "../node/contracts.ts";
import { type ApplyResult, rejected } from "./apply-result.ts";
import { type Command, decodeCommand } from "./commands.ts";
import { EventHistory } from "./event-history.ts";
import { MetadataImage } from "./image.ts";
import { decodeSnapshot } from "./image-codec.ts";
import { DEFAULT_HISTORY_RECORDS } from "./limits.ts";
import { badRequest } from "./errors.ts";
import { planCommand } from "./planner.ts";
import type { MetadataRecord } from "./records.ts";
import { SnapshotEncoder } from "./snapshot-encoder.ts";

export interface MetadataStateMachineOptions {
  /** Records kept for diffs and the event log (oldest offsets dropped first). */
  historyRecords?: number;
}

/** What changed: the records of one applied entry, or the whole image (restored from a snapshot). */
export type ImageChange = { kind: "records"; records: readonly MetadataRecord[] } | { kind: "restored" };

export class MetadataStateMachine implements StateMachine {
  private current = new MetadataImage();
  private applied = 0;
  readonly history: EventHistory;
  private readonly listeners = new Set<(change: ImageChange) => void>();

  constructor(opts: MetadataStateMachineOptions = {}) {
    this.history = new EventHistory(opts.historyRecords ?? DEFAULT_HISTORY_RECORDS);
  }

  /** The current image; callers read it and never change it. */
  image(): MetadataImage {
    return this.current;
  }

  /** Index of the last entry given to apply() or restore(). */
  appliedIndex(): number {
    return this.applied;
  }

  /** Would `command` be accepted if it were the next entry? (Changes nothing.) */
  check(command: Command): ApplyResult {
    return planCommand(this.current, command, this.applied + 1);
  }

  onChange(listener: (change: ImageChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  apply(index: number, data: Uint8Array): ApplyResult {
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      return rejected("internal", `entry ${index} is not past the applied index ${this.applied}; ignored`);
    }
    this.applied = index;
    try {
      const decoded = decodeCommand(data);
      if (!decoded.ok) return rejected("bad_request", `entry ${index} holds no valid command: ${decoded.message}`);
      const result = planCommand(this.current, decoded.value, index);
      if (result.ok) {
        this.current.commit(result.records);
        this.history.append(result.records);
        this.notify({ kind: "records", records: result.records });
      }
      return result;
    } catch (error) {
      // Only a bug gets here (the planner checks everything commit relies on); say so, don't crash.
      return rejected("internal", `applying entry ${index} failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  /** The whole snapshot in one go (the incremental encoder, unbounded). */
  snapshot(): Uint8Array {
    const bytes = this.beginSnapshot().step(Number.MAX_SAFE_INTEGER);
    if (bytes === null) throw new Error("an unbounded snapshot step left work undone");
    return bytes;
  }

  /** Captures the image now (cheap: map copies); later applies and restores do not change it. */
  beginSnapshot(): SnapshotEncoding {
    return new SnapshotEncoder(this.current.capture(), this.applied);
  }

  /** Replaces the state; a snapshot that does not decode is refused (and nothing changes). */
  restore(index: number, data: Uint8Array): void {
    const decoded = decodeSnapshot(data);
    if (!decoded.ok) throw badRequest(`cannot restore the snapshot at index ${index}: ${decoded.message}`);
    if (decoded.value.appliedIndex > index) {
      throw badRequest(`snapshot covers index ${decoded.value.appliedIndex}, past the index ${index} it was restored at`);
    }
    this.current = decoded.value.image;
    this.applied = index;
    this.history.reset(index);
    this.notify({ kind: "restored" });
  }

  private notify(change: ImageChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not make replicas diverge or stop applying.
      }
    }
  }
}
