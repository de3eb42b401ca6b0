// A tiny deterministic key-value StateMachine for runtime tests. A command is the JSON
// {"key": string, "value": string}; apply returns the previous value.
import type { StateMachine } from "../../../src/node/contracts.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function kvCommand(key: string, value: string): Uint8Array {
  return encoder.encode(JSON.stringify({ key, value }));
}

export class KvStateMachine implements StateMachine {
  data = new Map<string, string>();
  applied = 0;
  restores = 0;

  apply(index: number, data: Uint8Array): unknown {
    // No-ops and config entries never reach the state machine, so indexes may skip, never repeat.
    if (index <= this.applied) throw new Error(`apply out of order: ${index} after ${this.applied}`);
    this.applied = index;
    const { key, value } = JSON.parse(decoder.decode(data)) as { key: string; value: string };
    const prev = this.data.get(key) ?? null;
    this.data.set(key, value);
    return { prev };
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ applied: this.applied, entries: [...this.data] }));
  }

  restore(index: number, data: Uint8Array): void {
    const s = JSON.parse(decoder.decode(data)) as { applied: number; entries: [string, string][] };
    if (s.applied !== index) throw new Error(`snapshot says applied ${s.applied}, meta says ${index}`);
    this.data = new Map(s.entries);
    this.applied = index;
    this.restores++;
  }
}
