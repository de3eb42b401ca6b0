import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";
import { TopicBodies } from "../../src/api/topic-bodies.ts";
import { topicJson } from "../../src/api/record-answer.ts";
import { encodeJson } from "../../src/api/json-answer.ts";
const h = makeHarness();
for (let id = 1; id <= 30; id++) await send(h.app, "POST", "/v1/brokers", { brokerId: id, brokerHost: `b${id}.scale`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack${id % 6}` });
const N = 2000;
for (let i = 0; i < N; i++) await send(h.app, "POST", "/v1/topics", { name: `s${i}`, partitions: 100, replicationFactor: 3 });
const req = new Request("http://x/v1/topics/s0", { headers: { "accept-encoding": "gzip, deflate, br, zstd" } });
const time = (label: string, f: (i: number) => void) => {
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) f(i);
    console.log(label, r, (((performance.now() - t0) * 1000) / N).toFixed(1), "µs");
  }
};
const views = Array.from({ length: N }, (_, i) => null as any);
time("getTopic(stale)", (i) => { void h.service.getTopic(`s${i}`, "stale").then((v) => (views[i] = v)); });
await Bun.sleep(10);
time("topicJson", (i) => topicJson(views[i]));
const texts = views.map((v) => topicJson(v));
time("zstd", (i) => encodeJson(texts[i], "zstd"));
time("gzip", (i) => encodeJson(texts[i], "gzip"));
time("blob", (i) => new Blob([texts[i]]));
for (let r = 0; r < 3; r++) { const tb = new TopicBodies(16 << 20); const t0 = performance.now(); for (let i = 0; i < N; i++) tb.answer(views[i], req); const t1 = performance.now(); for (let i = 0; i < N; i++) tb.answer(views[i], req); const t2 = performance.now(); console.log("bodies miss", ((t1 - t0) * 1000 / N).toFixed(1), "hit", ((t2 - t1) * 1000 / N).toFixed(1)); }
console.log("text bytes", texts[0].length);
