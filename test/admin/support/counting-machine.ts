// The smallest deterministic StateMachine, so the LocalConsensus double has something to apply.
import type { StateMachine } from "../../../src/node/contracts.ts";

export class CountingMachine implements StateMachine {
  count = 0;

  apply(): unknown {
    return ++this.count;
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.count));
  }

  restore(_index: number, data: Uint8Array): void {
    this.count = Number(new TextDecoder().decode(data));
  }
}
