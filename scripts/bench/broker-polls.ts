// The poll loops of a share of the broker fleet (broker-fleet.ts), run in a worker thread
// (fleet-worker.ts): each broker loops on BrokerMgmt long polls over its own kept-alive connection
// (keepalive-client.ts) to the node it was given, and notes, for every record an answer brings,
// the record's offset, the node and the time it arrived. Times are wall-clock milliseconds with
// sub-millisecond precision (performance.timeOrigin + performance.now()), comparable across the
// threads of the process. A refused poll is retried after the answer's Retry-After, else 100 ms.
import { FleetTally, type PollReport, sweepConnections } from "./fleet-tally.ts";
import { KeepAliveConnection, type RawResponse } from "./keepalive-client.ts";

export { POLL_GRACE_MS, type PollReport } from "./fleet-tally.ts";

export interface PollTarget {
  brokerId: number;
  node: number;
  /** host:port of the node's HTTP API (plain HTTP). */
  host: string;
}

/** What a poll needs of an answer: its offset, and (a diff) its records' offsets in order. */
export interface ScannedAnswer {
  mode: "diff" | "snapshot";
  offset: number;
  records: number[];
}

const DIFF_HEAD = Buffer.from('{"mode":"diff","offset":');
const SNAPSHOT_HEAD = Buffer.from('{"mode":"snapshot","offset":');
const RECORDS = Buffer.from(',"records":[');
/** Every record's envelope names its offset after its type and name (answer-stream.ts). */
const RECORD_OFFSET = Buffer.from('","offset":');
const COMMA = 0x2c;

/**
 * Reads a BrokerMgmt answer without JSON.parse or even decoding it (half the fleet's CPU went to
 * parsing answers whose fields it never looks at): the offset from the head, and for a diff each
 * record's offset. A record's `"offset":` can be found by scanning because no record field is
 * named offset and a quote inside a JSON string is always escaped. Checks what a broker relies on,
 * throwing when an answer breaks it: every record after `since`, in rising order (the records of
 * one entry share its offset and count once), none past the answer's offset, and the answer's
 * offset not behind `since`. The answer is `bytes` from `start` to `end` (the fleet reads it
 * where it lies in the socket's chunk: keepalive-client.ts BodyReader).
 */
export function scanAnswerBytes(bytes: Buffer, start: number, end: number, since: number | undefined): ScannedAnswer {
  const mode = startsAt(bytes, start, end, DIFF_HEAD) ? "diff" : startsAt(bytes, start, end, SNAPSHOT_HEAD) ? "snapshot" : null;
  if (mode === null) throw new Error(`an answer that is no diff or snapshot: ${bytes.toString("utf8", start, Math.min(end, start + 60))}`);
  const head = mode === "diff" ? DIFF_HEAD : SNAPSHOT_HEAD;
  const offset = integerAt(bytes, start + head.length, end);
  const offsetEnd = integerEnd;
  if (since !== undefined && offset < since) throw new Error(`an answer at offset ${offset}, behind since ${since}`);
  const records: number[] = [];
  if (mode === "snapshot") return { mode, offset, records };
  if (!startsAt(bytes, offsetEnd, end, RECORDS)) throw new Error(`a diff without records after its offset: ${bytes.toString("utf8", start, Math.min(end, start + 60))}`);
  let previous = since ?? Number.NEGATIVE_INFINITY;
  for (let at = bytes.indexOf(RECORD_OFFSET, offsetEnd); at >= 0 && at < end; at = bytes.indexOf(RECORD_OFFSET, at)) {
    const record = integerAt(bytes, at + RECORD_OFFSET.length, end);
    at = integerEnd;
    // The records of one entry (a topic created with its partitions) share its offset: one arrival.
    if (record === previous && records.length > 0) continue;
    if (record <= previous || record > offset) throw new Error(`record offset ${record} out of order (after ${previous}, answer offset ${offset})`);
    records.push(record);
    previous = record;
  }
  return { mode, offset, records };
}

/** scanAnswer on an answer's text (a heartbeat's image, the tests). */
export function scanAnswer(body: string, since: number | undefined): ScannedAnswer {
  const bytes = Buffer.from(body);
  return scanAnswerBytes(bytes, 0, bytes.length, since);
}

function startsAt(bytes: Buffer, at: number, end: number, prefix: Buffer): boolean {
  return end - at >= prefix.length && bytes.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/** Where the integer integerAt read last ends (its comma): a number, not a pair allocated per record. */
let integerEnd = 0;

/** The non-negative integer of 1–15 digits at `start`, ended by a comma before `end` (integerEnd is set to the comma). */
function integerAt(bytes: Buffer, start: number, end: number): number {
  let value = 0;
  let at = start;
  for (; at < end && at - start <= 15; at++) {
    const digit = bytes[at] - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  if (at === start || at - start > 15 || at >= end || bytes[at] !== COMMA) throw new Error(`no offset at ${start}: ${bytes.toString("utf8", start, Math.min(end, start + 20))}`);
  integerEnd = at;
  return value;
}

export const wallNow = () => performance.timeOrigin + performance.now();

export class BrokerPolls {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly connections = new Set<KeepAliveConnection>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private readonly tally = new FleetTally();

  constructor(private readonly heartbeatMs: number) {}

  start(targets: PollTarget[]): void {
    this.running = true;
    this.sweeper = setInterval(() => sweepConnections(this.connections, this.heartbeatMs), 1_000);
    for (const target of targets) this.loops.push(this.loop(target));
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.sweeper);
    // A poll parked on its wait would hold stop() for up to an interval: cut them.
    for (const conn of this.connections) conn.abort("the fleet stopped");
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** What was seen since the last call, and forgets it. */
  take(): PollReport {
    return this.tally.take();
  }

  private async loop({ brokerId, node, host }: PollTarget): Promise<void> {
    const [hostname, port] = host.split(":");
    // The offset this broker has the metadata up to; the answer's scan (in the socket's bytes) checks against it.
    let since: number | undefined;
    const scan = (bytes: Buffer, start: number, end: number): ScannedAnswer | Error => {
      try {
        return scanAnswerBytes(bytes, start, end, since);
      } catch (error) {
        return error as Error;
      }
    };
    const conn = new KeepAliveConnection(hostname, Number(port), scan);
    this.connections.add(conn);
    const head = (length: number) => `POST /v1/broker-mgmt/metadata HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
    // The body is digits and ASCII punctuation: its length in characters is its length in bytes.
    const bodyPrefix = `{"brokerId":${brokerId},"wait_ms":${this.heartbeatMs}`;
    // Spread the first polls over one interval, as brokers that started at different times would.
    await Bun.sleep((brokerId * 7919) % this.heartbeatMs);
    while (this.running) {
      const body = since === undefined ? `${bodyPrefix}}` : `${bodyPrefix},"since":${since}}`;
      const res = await conn.request(head(body.length), body).catch((e: Error) => e);
      const now = wallNow();
      if (!this.running) break; // stop() cut the poll: not a failure of the cluster
      this.tally.polls++;
      if (res instanceof Error || res.status !== 200) {
        this.tally.fail(res instanceof Error ? res.message : `${res.status} ${res.body.slice(0, 80)}`);
        await Bun.sleep(retryDelayMs(res));
        continue;
      }
      const answer = res.read as ScannedAnswer | Error;
      if (answer instanceof Error) {
        // A broken answer is the cluster's fault: counted, and asked again after a pause.
        this.tally.fail(answer.message);
        await Bun.sleep(retryDelayMs(answer));
        continue;
      }
      if (answer.mode === "diff" && since !== undefined) for (const offset of answer.records) this.tally.arrived(offset, node, now);
      since = answer.offset;
    }
    conn.abort("the fleet stopped");
    this.connections.delete(conn);
  }

}

/** What a polite client waits before it asks again: the server's Retry-After (seconds), else 100 ms. */
function retryDelayMs(res: RawResponse | Error): number {
  const seconds = res instanceof Error ? Number.NaN : Number(res.headers.get("retry-after") ?? Number.NaN);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1_000 : 100;
}
