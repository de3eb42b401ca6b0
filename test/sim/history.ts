// The clients' history: each operation with its invoke and return virtual times. A write whose
// outcome the client never learned (timeout, crash of the node it waited on) returns at +Infinity:
// it may have taken effect at any point after its invocation, or never.

export type KvInput = { kind: "put"; key: string; value: string } | { kind: "get"; key: string };

/** put: null (acknowledged) ; get: the value read, or null when the key was never written. */
export type KvOutput = string | null;

export interface Operation<I, O> {
  client: number;
  input: I;
  output: O;
  call: number;
  /** +Infinity when the outcome is unknown. */
  ret: number;
}

export type KvOperation = Operation<KvInput, KvOutput>;

export function describeOp(op: KvOperation): string {
  const ret = op.ret === Infinity ? "?" : String(op.ret);
  const what = op.input.kind === "put" ? `put(${op.input.key}=${op.input.value})` : `get(${op.input.key})→${String(op.output)}`;
  return `c${op.client} ${what} [${op.call}, ${ret}]`;
}
