// Linearizability checker: Wing & Gong's search with Lowe's memoization of (linearized set, state)
// as in porcupine, run separately on each partition (per key) of the history. An operation with
// an unknown outcome returns at +Infinity, so it may be linearized anywhere after its call — and
// linearizing a write last is indistinguishable from it never having happened.
import type { Model } from "./model.ts";
import type { Operation } from "./history.ts";

export type LinearizabilityResult =
  | { ok: true }
  | { ok: false; partition: string; operations: number };

export class CheckerBudgetError extends Error {
  readonly code = "checker_budget";
  constructor(partition: string, budget: number) {
    super(`linearizability search on partition "${partition}" visited more than ${budget} states; shorten the history`);
  }
}

interface Node {
  isCall: boolean;
  id: number;
  time: number;
  /** call node → its return node */
  match: Node | null;
  prev: Node | null;
  next: Node | null;
}

export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  budget = 2_000_000,
): LinearizabilityResult {
  const parts = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    if (!(op.ret >= op.call)) throw new RangeError(`operation returns (${op.ret}) before it is called (${op.call})`);
    const key = model.partition(op.input);
    const list = parts.get(key);
    if (list) list.push(op);
    else parts.set(key, [op]);
  }
  for (const [partition, ops] of parts) {
    if (!checkPartition(model, ops, partition, budget)) return { ok: false, partition, operations: ops.length };
  }
  return { ok: true };
}

function buildList<I, O>(ops: readonly Operation<I, O>[]): Node {
  const events: Node[] = [];
  ops.forEach((op, id) => {
    const ret: Node = { isCall: false, id, time: op.ret, match: null, prev: null, next: null };
    events.push({ isCall: true, id, time: op.call, match: ret, prev: null, next: null }, ret);
  });
  // At equal times calls sort first: the two operations count as concurrent (the permissive reading).
  events.sort((x, y) => x.time - y.time || Number(y.isCall) - Number(x.isCall) || x.id - y.id);
  const head: Node = { isCall: false, id: -1, time: -Infinity, match: null, prev: null, next: null };
  let tail = head;
  for (const e of events) {
    tail.next = e;
    e.prev = tail;
    tail = e;
  }
  return head;
}

/** Take a call and its return out of the list (the operation is linearized). */
function lift(call: Node): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

/** Put them back, in reverse order of lift. */
function unlift(call: Node): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

function checkPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], partition: string, budget: number): boolean {
  const head = buildList(ops);
  const linearized = new Uint8Array(ops.length);
  const seen = new Set<string>();
  const stack: { call: Node; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  while (head.next !== null) {
    if (entry === null) throw new Error("linearizability search ran off the event list"); // a return always precedes the end
    if (entry.isCall) {
      const op = ops[entry.id]!;
      const r = model.step(state, op.input, op.output);
      let advanced = false;
      if (r.ok) {
        linearized[entry.id] = 1;
        const key = memoKey(linearized, model.stateKey(r.state));
        if (!seen.has(key)) {
          if (seen.size >= budget) throw new CheckerBudgetError(partition, budget);
          seen.add(key);
          stack.push({ call: entry, state });
          state = r.state;
          lift(entry);
          entry = head.next;
          advanced = true;
        } else {
          linearized[entry.id] = 0;
        }
      }
      if (!advanced) entry = entry.next;
    } else {
      // A return reached before its call was linearized: undo the last choice.
      const top = stack.pop();
      if (top === undefined) return false;
      state = top.state;
      linearized[top.call.id] = 0;
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return true;
}

function memoKey(bits: Uint8Array, stateKey: string): string {
  let s = "";
  for (let i = 0; i < bits.length; i += 15) {
    let w = 0;
    const end = Math.min(bits.length, i + 15);
    for (let j = i; j < end; j++) w = (w << 1) | bits[j]!;
    s += String.fromCharCode(w + 0x20);
  }
  return `${s}|${stateKey}`;
}
