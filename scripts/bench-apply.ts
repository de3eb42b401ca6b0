// The CPU a committed entry's apply costs in the metadata state machine, in one process and with
// no cluster around it: the steady write of bench-write.ts (a broker host update over 1,000
// brokers, each with its own request id, as the leader stamps them) applied from its bytes, as a
// follower does (views into a shared frame, as received), and from the bytes the state machine
// encoded itself, as the leader does. Prints CPU µs per entry (process.cpuUsage, user+system) to
// apply it and to encode it (the command is built outside the measure), the median of --rounds
// rounds; a batch of entries is encoded, then applied, as a Ready's are.
//
//   bun run scripts/bench-apply.ts [--entries 100000] [--rounds 5]
import { parseArgs } from "node:util";
import { type Command, encodeCommand } from "../src/metadata/commands.ts";
import { MetadataStateMachine } from "../src/metadata/state-machine.ts";
import { buildCommand } from "../src/metadata/write-requests.ts";
import { nodeRequestId } from "../src/metadata/request-ids.ts";

const { values } = parseArgs({ options: { entries: { type: "string", default: "100000" }, rounds: { type: "string", default: "5" } } });
const entries = Number(values.entries);
const rounds = Number(values.rounds);
if (!Number.isSafeInteger(entries) || entries < 1 || !Number.isSafeInteger(rounds) || rounds < 1) {
  throw new Error(`--entries and --rounds must be positive integers, got ${values.entries} and ${values.rounds}`);
}

const BROKERS = 1_000;
const START_MS = Date.UTC(2026, 11, 7);

/** The state machine with BROKERS registered, and the index of its last entry. */
function registered(): { sm: MetadataStateMachine; index: number } {
  const sm = new MetadataStateMachine();
  let index = 0;
  for (let id = 0; id < BROKERS; id++) {
    const request = { brokerId: id, brokerHost: `host-${id}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack-${id % 3}` };
    const command = buildCommand({ kind: "registerBroker", request, requestId: nodeRequestId(`reg-${id}`) }, { timestamp: new Date(START_MS).toISOString(), newId: () => `uuid-${id}` });
    const result = sm.apply(++index, encodeCommand(command));
    if (!result.ok) throw new Error(`registering broker ${id} failed: ${result.error.message}`);
  }
  return { sm, index };
}

/** The n-th steady write's command (a host update, its own request id, 1 ms after the previous). */
function update(n: number): Command {
  const request = { brokerHost: `host-${n % 7}.example`, brokerPort: "9092" };
  const stamp = { timestamp: new Date(START_MS + 1_000 + n).toISOString(), newId: () => "unused" };
  return buildCommand({ kind: "updateBroker", brokerId: n % BROKERS, request, requestId: nodeRequestId(`00000000-0000-4000-8000-${String(n).padStart(12, "0")}`) }, stamp);
}

type Encode = (sm: MetadataStateMachine, command: Command, n: number) => Uint8Array;

/** Entries encoded, then applied, per batch (about a Ready's worth at 64 clients). */
const BATCH = 64;

/** CPU µs per entry to encode (with `encode`) and to apply `entries` updates, a batch at a time. */
function round(encode: Encode): { encode: number; apply: number } {
  const { sm, index } = registered();
  let encodeUs = 0;
  let applyUs = 0;
  for (let from = 0; from < entries; from += BATCH) {
    const to = Math.min(entries, from + BATCH);
    const commands = Array.from({ length: to - from }, (_, i) => update(from + i));
    const t0 = process.cpuUsage();
    const data = commands.map((c, i) => encode(sm, c, from + i));
    const t1 = process.cpuUsage();
    for (let n = from; n < to; n++) {
      const result = sm.apply(index + 1 + n, data[n - from]);
      if (!result.ok) throw new Error(`update ${n} failed: ${result.error.message}`);
    }
    const t2 = process.cpuUsage();
    encodeUs += t1.user + t1.system - t0.user - t0.system;
    applyUs += t2.user + t2.system - t1.user - t1.system;
  }
  return { encode: encodeUs / entries, apply: applyUs / entries };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * A follower's entries arrive as views into the frame they came in (transport), which costs
 * TextDecoder ~100 ns more than a standalone array: its bytes are laid out that way here too.
 */
let frame = new Uint8Array(64 * 1024);
let frameUsed = 0;
function inFrame(bytes: Uint8Array): Uint8Array {
  if (frameUsed + bytes.length > frame.length) {
    frame = new Uint8Array(Math.max(frame.length, bytes.length));
    frameUsed = 0;
  }
  frame.set(bytes, frameUsed);
  frameUsed += bytes.length;
  return frame.subarray(frameUsed - bytes.length, frameUsed);
}

const paths: [string, Encode][] = [
  ["follower (decodes the bytes)", (_sm, command) => inFrame(encodeCommand(command))],
  ["leader (its own proposals)", (sm, command) => sm.encode(command)],
];
for (const [name, encode] of paths) {
  const samples = Array.from({ length: rounds }, () => round(encode));
  const show = (xs: number[]) => `${median(xs).toFixed(2)} (${xs.map((x) => x.toFixed(2)).join(", ")})`;
  console.log(`${name.padEnd(30)} apply ${show(samples.map((s) => s.apply))} µs/entry, encode ${show(samples.map((s) => s.encode))}`);
}
