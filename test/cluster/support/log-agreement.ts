// State machine safety at the record level on real processes: after a run, every node's event log
// (GET /v1/log, read locally and paged) must hold the same records — same offset, name, fields and
// timestamp — over the range of offsets all of them hold.
import { http } from "./http.ts";
import type { ProcessCluster } from "./process-cluster.ts";

const PAGE = 1_000;
/** Far more pages than a nemesis run writes; a bound so a misbehaving node cannot loop us. */
const MAX_PAGES = 200;

interface LogRecord {
  offset: number;
}

interface LogPage {
  firstOffset: number;
  lastOffset: number;
  records: LogRecord[];
}

/** Every record a node holds, oldest first, and the first offset it still holds. */
async function wholeLog(cluster: ProcessCluster, id: number): Promise<{ first: number; records: LogRecord[] }> {
  const records: LogRecord[] = [];
  let from = 0;
  let first = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await http("GET", cluster.url(id, `/v1/log?from=${from}&limit=${PAGE}`), undefined, 5_000);
    if (r.status !== 200) throw new Error(`GET /v1/log on node ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    const body = r.body as LogPage;
    if (page === 0) first = body.firstOffset;
    records.push(...body.records);
    if (body.records.length < PAGE) return { first, records };
    from = body.records.at(-1)!.offset + 1;
  }
  throw new Error(`node ${id}'s log has more than ${MAX_PAGES} pages of ${PAGE} records`);
}

/** Fails with the first offset at which two nodes' logs differ; returns the range compared. */
export async function expectLogsAgree(cluster: ProcessCluster): Promise<{ from: number; to: number; records: number }> {
  const ids = cluster.live();
  const logs = await Promise.all(ids.map((id) => wholeLog(cluster, id)));
  // Compare the offsets every node holds: a write applied late (a forward still in flight) may
  // have reached one node and not yet another, which is lag, not disagreement.
  const from = Math.max(...logs.map((l) => l.first));
  const to = Math.min(...logs.map((l) => l.records.at(-1)?.offset ?? 0));
  const held = logs.map((l) => l.records.filter((r) => r.offset >= from && r.offset <= to).map((r) => JSON.stringify(r)));
  const reference = held[0]!;
  held.forEach((records, i) => {
    const n = Math.max(records.length, reference.length);
    for (let k = 0; k < n; k++) {
      if (records[k] !== reference[k]) {
        throw new Error(`logs differ: node ${ids[0]} has ${reference[k] ?? "nothing"}, node ${ids[i]} has ${records[k] ?? "nothing"}`);
      }
    }
  });
  return { from, to, records: reference.length };
}
