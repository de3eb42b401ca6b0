// The API over the real metadata service on the in-process single-node consensus double, with a
// manual clock and deterministic ids, plus the fingerprint tests compare to prove "nothing written".
import { createApp } from "../../../src/api/app.ts";
import type { ApiLimits } from "../../../src/api/limits.ts";
import type { TokenStore } from "../../../src/auth/token-store.ts";
import { createMetadataService } from "../../../src/metadata/service.ts";
import { MetadataStateMachine } from "../../../src/metadata/state-machine.ts";
import { LocalConsensus } from "../../support/local-consensus.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { send } from "./request.ts";

/** `own`: the headers of the harness's own requests (seeding), an admin's token on a node with `tokens`. */
export function makeHarness(opts: { limits?: Partial<ApiLimits>; tokens?: TokenStore; own?: Record<string, string> } = {}) {
  const clock = new ManualClock();
  const stateMachine = new MetadataStateMachine();
  const handle = new LocalConsensus({ stateMachine, clock });
  let nextId = 0;
  const newId = () => `00000000-0000-4000-8000-${String(++nextId).padStart(12, "0")}`;
  const service = createMetadataService({ handle, stateMachine, clock, newId, log: () => {} });
  const app = createApp({ service, handle, limits: opts.limits, now: () => clock.now(), log: () => {}, tokens: opts.tokens });
  const own = opts.own ?? {};

  /** Three brokers in three racks and topic t1: enough for random requests to succeed sometimes. */
  async function seed(): Promise<void> {
    for (const id of [1, 2, 3]) {
      const body = { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id}` };
      const answer = await send(app, "POST", "/v1/brokers", body, own);
      if (answer.status !== 201) throw new Error(`seeding broker ${id} failed: ${answer.status} ${answer.text}`);
    }
    const topic = await send(app, "POST", "/v1/topics", { name: "t1" }, own);
    if (topic.status !== 201) throw new Error(`seeding topic t1 failed: ${topic.status} ${topic.text}`);
  }

  /** The Raft log's end and every metadata record: equal before and after means nothing was written. */
  async function fingerprint(): Promise<string> {
    const page = await service.log(0, 1000);
    return JSON.stringify({ raftLastOffset: handle.status().lastOffset, records: page.records });
  }

  return { app, handle, service, clock, stateMachine, seed, fingerprint };
}
