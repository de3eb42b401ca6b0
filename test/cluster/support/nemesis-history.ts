// The nemesis clients' history in the shape the project's linearizability checker takes: each
// operation is a register operation on one key ("topic:<name>" holds "present" once created,
// "broker:<id>" holds the broker's host), with invoke and return times from one monotonic clock.
// A write whose outcome the client never learned returns at +Infinity (indeterminate); a read
// that got no answer is dropped, since a read has no effect.
import type { KvInput, KvOperation, KvOutput } from "../../sim/history.ts";

export const TOPIC_PRESENT = "present";

export const topicKey = (name: string): string => `topic:${name}`;
export const brokerKey = (brokerId: number): string => `broker:${brokerId}`;

/** An operation invoked and not yet completed. */
export interface PendingOp {
  readonly client: number;
  readonly input: KvInput;
  readonly call: number;
  done: boolean;
}

export interface HistoryCounts {
  writes: number;
  acknowledged: number;
  indeterminate: number;
  refused: number;
  reads: number;
  readsAnswered: number;
  readsUnanswered: number;
}

export class HistoryRecorder {
  private readonly ops: KvOperation[] = [];
  readonly counts: HistoryCounts = { writes: 0, acknowledged: 0, indeterminate: 0, refused: 0, reads: 0, readsAnswered: 0, readsUnanswered: 0 };

  constructor(private readonly now: () => number = () => performance.now()) {}

  invoke(client: number, input: KvInput): PendingOp {
    if (input.kind === "put") this.counts.writes++;
    else this.counts.reads++;
    return { client, input, call: this.now(), done: false };
  }

  /** The operation's answer arrived: a write was acknowledged, a read returned `output`. */
  complete(op: PendingOp, output: KvOutput): void {
    this.finish(op);
    if (op.input.kind === "put") {
      if (output !== null) throw new Error(`a write's output is null, got ${JSON.stringify(output)}`);
      this.counts.acknowledged++;
    } else {
      this.counts.readsAnswered++;
    }
    const ret = this.now();
    if (!(ret >= op.call)) throw new Error(`clock went back: call ${op.call}, return ${ret}`);
    this.ops.push({ client: op.client, input: op.input, output, call: op.call, ret });
  }

  /** No answer that settles the outcome (timeout, lost connection, 5xx): may or may not have happened. */
  unknown(op: PendingOp): void {
    this.finish(op);
    if (op.input.kind === "get") {
      this.counts.readsUnanswered++;
      return;
    }
    this.counts.indeterminate++;
    this.ops.push({ client: op.client, input: op.input, output: null, call: op.call, ret: Infinity });
  }

  /** A definite refusal (e.g. 409): the operation did not take effect and is left out. */
  refused(op: PendingOp): void {
    this.finish(op);
    if (op.input.kind === "put") this.counts.refused++;
  }

  history(): KvOperation[] {
    return [...this.ops];
  }

  private finish(op: PendingOp): void {
    if (op.done) throw new Error(`operation of client ${op.client} on ${op.input.key} completed twice`);
    op.done = true;
  }
}
