// What one `POST /v1/topics` of 100 partitions (RF 3, 30 brokers on 6 racks) costs the metadata
// layer, in-process, at several image sizes: the leader's stamping and early check (buildCommand,
// check), the encoding of its command, the apply every replica does (decode, plan, placement,
// commit, history, remembered request) and the JSON of the 201 answer as the route writes it. CPU µs per create (median of
// batches), so the numbers hold on a loaded machine. Speed is never asserted; run it to compare:
//   bun scripts/bench/create-apply.ts [--at 0,100000,1000000] [--creates 300]
import { loadavg } from "node:os";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { recordJson, recordsJson } from "../../src/metadata/record-json.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { buildCommand } from "../../src/metadata/write-requests.ts";

const T0 = "2026-11-24T00:00:00.000Z";
const BROKERS = 30;
const PER_TOPIC = 100;
const BATCH = 20;

function list(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const values = String(process.argv[i + 1]).split(",").map(Number);
  if (values.some((v) => !Number.isSafeInteger(v) || v < 0)) throw new RangeError(`${name} takes non-negative integers, got ${process.argv[i + 1]}`);
  return values;
}

const uuid = (n: number) => `10000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

class Fill {
  readonly sm = new MetadataStateMachine();
  private topics = 0;

  constructor() {
    for (let b = 1; b <= BROKERS; b++) {
      this.apply({ kind: "registerBroker", timestamp: T0, internalUUID: `00000000-0000-4000-8000-${String(b).padStart(12, "0")}`, brokerId: b, brokerHost: `host${b}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack${b % 6}` });
    }
  }

  /** The command the leader builds for the next topic's POST (a node request id, as without an Idempotency-Key). */
  next(): Command {
    const t = this.topics++;
    const request = { name: `scale-${t}`, partitions: PER_TOPIC, replicationFactor: 3 };
    return buildCommand({ kind: "createTopic", request, requestId: `n:${uuid(t)}` }, { timestamp: new Date(Date.parse(T0) + t).toISOString(), newId: () => uuid(t) });
  }

  apply(command: Command): void {
    const index = this.sm.appliedIndex() + 1;
    const result = this.sm.apply(index, encodeCommand(command));
    if (!result.ok) throw new Error(`entry ${index} was rejected: ${result.error.message}`);
  }

  growTo(partitions: number): void {
    while (this.sm.image().partitionCount() < partitions) this.apply(this.next());
  }
}

function cpuUs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** Bytes of answers written (kept, so the writing is not optimized away). */
let answered = 0;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU µs per create of each part, medians over batches of BATCH creates. */
function measure(fill: Fill, creates: number): Record<string, number> {
  const parts: Record<string, number[]> = { "build+check (leader)": [], "encode (leader)": [], "apply (every node)": [], "answer JSON (leader)": [] };
  for (let done = 0; done < creates; done += BATCH) {
    let cpu = process.cpuUsage();
    const commands: Command[] = [];
    for (let i = 0; i < BATCH; i++) {
      const command = fill.next();
      fill.sm.check(command);
      commands.push(command);
    }
    parts["build+check (leader)"].push(cpuUs(cpu) / BATCH);
    cpu = process.cpuUsage();
    const encoded = commands.map(encodeCommand);
    parts["encode (leader)"].push(cpuUs(cpu) / BATCH);
    const results = [];
    cpu = process.cpuUsage();
    for (const data of encoded) results.push(fill.sm.apply(fill.sm.appliedIndex() + 1, data));
    parts["apply (every node)"].push(cpuUs(cpu) / BATCH);
    cpu = process.cpuUsage();
    for (const r of results) {
      if (!r.ok) throw new Error(`create rejected: ${r.error.message}`);
      const [topic, ...partitions] = r.records;
      // What the route writes (record-answer.ts): the same bytes as JSON.stringify({ topic, partitions }).
      answered += `{"topic":${recordJson(topic)},"partitions":${recordsJson(partitions)}}`.length;
    }
    parts["answer JSON (leader)"].push(cpuUs(cpu) / BATCH);
  }
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, median(v)]));
}

const sizes = list("--at", [0, 100_000, 1_000_000]);
const creates = list("--creates", [300])[0];
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}; CPU µs per create of ${PER_TOPIC} partitions (median of batches of ${BATCH})`);
const fill = new Fill();
for (const size of sizes) {
  fill.growTo(size);
  Bun.gc(true);
  const m = measure(fill, creates);
  const row = Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ");
  console.log(`at ${fill.sm.image().partitionCount().toLocaleString("en")} partitions: ${row} (${(answered / 2 ** 20).toFixed(0)} MiB of answers so far)`);
}
