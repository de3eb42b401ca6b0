// The nemesis clients' requests and how each answer counts in the history: a 2xx
// settles it; a timeout, a lost connection or a 5xx (no leader, outcome unknown, forward timeout)
// leaves a write indeterminate and a read unanswered; any other answer is a broken request or a
// broken server and fails the run at once.
import type { KvOutput } from "../../sim/history.ts";
import { http, type HttpAnswer } from "./http.ts";
import { brokerBody } from "./metadata-client.ts";
import type { ProcessCluster } from "./process-cluster.ts";
import { brokerKey, TOPIC_PRESENT, topicKey, type HistoryRecorder } from "./nemesis-history.ts";

/** Answers that are not a 2xx but must not fail the run, counted for the report. */
export interface AnswerTally {
  /** 409 "already exists" on a name only that request used: a retried forward applied twice (issue 9 §6). */
  conflictOnFreshName: number;
  /** 500: the server's own fault (not a safety violation, but worth reporting). */
  internalErrors: number;
  /** Status code → count, for every answer. */
  byStatus: Map<number, number>;
}

export function newTally(): AnswerTally {
  return { conflictOnFreshName: 0, internalErrors: 0, byStatus: new Map() };
}

export class NemesisRequests {
  constructor(
    private readonly cluster: ProcessCluster,
    private readonly recorder: HistoryRecorder,
    private readonly tally: AnswerTally,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Register a broker with its first host. "exists" (409) means an earlier attempt whose answer was
   * lost did register it; this attempt took no effect.
   */
  async registerBroker(client: number, node: number, brokerId: number, host: string): Promise<"created" | "exists" | "unknown"> {
    const op = this.recorder.invoke(client, { kind: "put", key: brokerKey(brokerId), value: host });
    const r = await this.send("POST", node, "/v1/brokers", { ...brokerBody(brokerId), brokerHost: host });
    if (r.status === 201) {
      this.recorder.complete(op, null);
      return "created";
    }
    if (r.status === 409) {
      this.recorder.refused(op);
      return "exists";
    }
    this.expectUnsettled(r, `register broker ${brokerId}`);
    this.recorder.unknown(op);
    return "unknown";
  }

  async createTopic(client: number, node: number, name: string): Promise<void> {
    const op = this.recorder.invoke(client, { kind: "put", key: topicKey(name), value: TOPIC_PRESENT });
    const r = await this.send("POST", node, "/v1/topics", { name });
    if (r.status === 201) return this.recorder.complete(op, null);
    if (r.status === 409) this.tally.conflictOnFreshName++;
    else this.expectUnsettled(r, `create topic ${name}`);
    this.recorder.unknown(op);
  }

  async updateBroker(client: number, node: number, brokerId: number, host: string): Promise<void> {
    const op = this.recorder.invoke(client, { kind: "put", key: brokerKey(brokerId), value: host });
    const r = await this.send("PUT", node, `/v1/brokers/${brokerId}`, { brokerHost: host });
    if (r.status === 200) return this.recorder.complete(op, null);
    this.expectUnsettled(r, `update broker ${brokerId}`);
    this.recorder.unknown(op);
  }

  readTopic(client: number, node: number, name: string): Promise<void> {
    return this.read(client, node, topicKey(name), `/v1/topics/${name}`, () => TOPIC_PRESENT);
  }

  readBroker(client: number, node: number, brokerId: number): Promise<void> {
    return this.read(client, node, brokerKey(brokerId), `/v1/brokers/${brokerId}`, hostOf);
  }

  /** A linearizable read of one key: 200 gives `valueOf(body)`, 404 reads as absent (null). */
  private async read(client: number, node: number, key: string, path: string, valueOf: (body: unknown) => KvOutput): Promise<void> {
    const op = this.recorder.invoke(client, { kind: "get", key });
    const r = await this.send("GET", node, path);
    if (r.status === 200) return this.recorder.complete(op, valueOf(r.body));
    if (r.status === 404) return this.recorder.complete(op, null);
    this.expectUnsettled(r, `read ${key}`);
    this.recorder.unknown(op);
  }

  /** One linearizable list read, recorded as a read of every name in `names` (all at its instant). */
  async readTopics(client: number, node: number, names: readonly string[]): Promise<void> {
    const ops = names.map((name) => this.recorder.invoke(client, { kind: "get", key: topicKey(name) }));
    const r = await this.send("GET", node, "/v1/topics");
    if (r.status !== 200) {
      this.expectUnsettled(r, "list topics");
      for (const op of ops) this.recorder.unknown(op);
      return;
    }
    const held = new Set((r.body as { topics: { fields: { name: string } }[] }).topics.map((t) => t.fields.name));
    names.forEach((name, i) => this.recorder.complete(ops[i]!, held.has(name) ? TOPIC_PRESENT : null));
  }

  private async send(method: string, node: number, path: string, body?: unknown): Promise<HttpAnswer> {
    const r = await http(method, this.cluster.url(node, path), body, this.timeoutMs);
    this.tally.byStatus.set(r.status, (this.tally.byStatus.get(r.status) ?? 0) + 1);
    return r;
  }

  /** 0 (no answer) and 5xx leave the outcome open; anything else is a bug the run must not hide. */
  private expectUnsettled(r: HttpAnswer, what: string): void {
    if (r.status === 500) this.tally.internalErrors++;
    if (r.status === 0 || r.status >= 500) return;
    throw new Error(`${what}: unexpected answer ${r.status} ${JSON.stringify(r.body)}`);
  }
}

function hostOf(body: unknown): KvOutput {
  const host = (body as { fields?: { brokerHost?: unknown } } | null)?.fields?.brokerHost;
  if (typeof host !== "string") throw new Error(`a broker read answered 200 without fields.brokerHost: ${JSON.stringify(body)}`);
  return host;
}
