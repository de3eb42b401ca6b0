// A tiny deterministic key-value StateMachine for runtime tests. A command is the JSON
// {"key": string, "value": string}; apply returns the previous value.
import type { SnapshotRestore, StateMachine } from "../../../src/node/contracts.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function kvCommand(key: string, value: string): Uint8Array {
  return encoder.encode(JSON.stringify({ key, value }));
}

export class KvStateMachine implements StateMachine {
  data = new Map<string, string>();
  applied = 0;
  restores = 0;
  /** One record per write applied in this process (StateMachine.recordsApplied). */
  private writes = 0;
  /** The bytes of every snapshot restored from (a node gives them back to its store once done). */
  readonly restoredFrom: Uint8Array[] = [];

  apply(index: number, data: Uint8Array): unknown {
    // No-ops and config entries never reach the state machine, so indexes may skip, never repeat.
    if (index <= this.applied) throw new Error(`apply out of order: ${index} after ${this.applied}`);
    this.applied = index;
    const { key, value } = JSON.parse(decoder.decode(data)) as { key: string; value: string };
    const prev = this.data.get(key) ?? null;
    this.data.set(key, value);
    this.writes++;
    return { prev };
  }

  recordsApplied(): number {
    return this.writes;
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ applied: this.applied, entries: [...this.data] }));
  }

  restore(index: number, data: Uint8Array): void {
    this.restoredFrom.push(data);
    const s = JSON.parse(decoder.decode(data)) as { applied: number; entries: [string, string][] };
    if (s.applied !== index) throw new Error(`snapshot says applied ${s.applied}, meta says ${index}`);
    this.data = new Map(s.entries);
    this.applied = index;
    this.restores++;
  }
}

/**
 * The KV state machine with a sliced restore (beginRestore): at most `perStep` keys a step, into a
 * new map that replaces the state at the last step. It counts as a violation any apply or restore
 * that arrives while a sliced restore is in progress (the runtime must hold them back).
 */
export class SlicedKvStateMachine extends KvStateMachine {
  restoreSteps = 0;
  readonly violations: string[] = [];
  private restoring = false;

  constructor(private readonly perStep = 3) {
    super();
  }

  override apply(index: number, data: Uint8Array): unknown {
    if (this.restoring) this.violations.push(`apply(${index}) during a sliced restore`);
    return super.apply(index, data);
  }

  override restore(index: number, data: Uint8Array): void {
    if (this.restoring) this.violations.push(`restore(${index}) during a sliced restore`);
    super.restore(index, data);
  }

  beginRestore(index: number, data: Uint8Array): SnapshotRestore {
    this.restoredFrom.push(data);
    const s = JSON.parse(decoder.decode(data)) as { applied: number; entries: [string, string][] };
    if (s.applied !== index) throw new Error(`snapshot says applied ${s.applied}, meta says ${index}`);
    const next = new Map<string, string>();
    let at = 0;
    this.restoring = true;
    return {
      step: (maxItems) => {
        this.restoreSteps++;
        const end = Math.min(s.entries.length, at + Math.min(maxItems, this.perStep));
        for (; at < end; at++) next.set(s.entries[at][0], s.entries[at][1]);
        if (at < s.entries.length) return false;
        this.restoring = false;
        this.data = next;
        this.applied = index;
        this.restores++;
        return true;
      },
    };
  }
}
