// A seeded node (brokers 1–3, topics t1 and victim) listening on loopback, for tests that speak raw
// HTTP to it (request targets, Host headers): its fault log and audit lines kept, and a check of
// whether a topic exists read in process. The caller stops it (`app.stop(true)`).
import { expect } from "bun:test";
import { createApp, type YaktApp } from "../../../src/api/app.ts";
import { serveApi } from "../../../src/api/serve.ts";
import { makeHarness } from "./harness.ts";
import { send } from "./request.ts";

export async function seededListener() {
  const h = makeHarness();
  const logs: string[] = [];
  const audits: string[] = [];
  const app = createApp({
    service: h.service,
    handle: h.handle,
    now: () => h.clock.now(),
    log: (event, fields) => logs.push(JSON.stringify({ event, ...fields })),
    audit: (_event, { what, status }) => audits.push(`${what} ${status}`),
  });
  for (const id of [1, 2, 3]) {
    const answer = await send(app, "POST", "/v1/brokers", { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id}` });
    expect(answer.status).toBe(201);
  }
  for (const name of ["t1", "victim"]) expect((await send(app, "POST", "/v1/topics", { name })).status).toBe(201);
  const served: YaktApp = serveApi(app, { hostname: "127.0.0.1", port: 0 });
  const port = served.server?.port;
  if (!port) throw new Error("the API did not report its port");
  const topicExists = async (name: string) => (await send(app, "GET", `/v1/topics/${name}?consistency=stale`)).status === 200;
  return { h, app, served, port, logs, audits, topicExists, normal: `127.0.0.1:${port}` };
}
