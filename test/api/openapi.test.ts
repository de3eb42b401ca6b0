// The OpenAPI document covers every route with its schemas, and the page works offline.
import { expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { failingService } from "./support/failing-service.ts";
import { send } from "./support/request.ts";

const nullMachine = { apply: () => null, snapshot: () => new Uint8Array(), restore: () => {} };
const app = () => createApp({ service: failingService(() => new Error("unused")), handle: new LocalConsensus({ stateMachine: nullMachine }) });

const EXPECTED: [string, string][] = [
  ["post", "/v1/brokers"],
  ["get", "/v1/brokers"],
  ["get", "/v1/brokers/{brokerId}"],
  ["put", "/v1/brokers/{brokerId}"],
  ["delete", "/v1/brokers/{brokerId}"],
  ["post", "/v1/topics"],
  ["get", "/v1/topics"],
  ["get", "/v1/topics/{name}"],
  ["post", "/v1/topics/{name}/partitions"],
  ["delete", "/v1/topics/{name}"],
  ["post", "/v1/topics/{name}/partitions/{id}/isr"],
  ["put", "/v1/topics/{name}/partitions/{id}/replicas"],
  ["delete", "/v1/topics/{name}/partitions/{id}/replicas"],
  ["post", "/v1/topics/{name}/partitions/{id}/elect-leader"],
  ["post", "/v1/elect-leaders"],
  ["post", "/v1/producers"],
  ["post", "/v1/broker-mgmt/metadata"],
  ["get", "/v1/client-mgmt/metadata"],
  ["get", "/v1/cluster"],
  ["post", "/v1/cluster/voters"],
  ["delete", "/v1/cluster/voters/{id}"],
  ["get", "/v1/log"],
  ["post", "/v1/snapshots"],
  ["get", "/v1/snapshots"],
  ["get", "/v1/snapshots/latest"],
  ["get", "/metrics"],
  ["get", "/healthz"],
  ["post", "/register_broker"],
  ["get", "/get_all_active_brokers"],
  ["get", "/get_broker_by_id/{id}"],
  ["post", "/create_topic"],
  ["get", "/get_topic_by_name/{name}"],
  ["post", "/create_partition"],
  ["post", "/create_producer/{broker_id}/{broker_epoch}"],
  ["put", "/update_broker/{id}"],
  ["patch", "/unregister_broker/{id}"],
  ["get", "/BrokerMgmt"],
  ["post", "/BrokerMgmt"],
  ["get", "/ClientMgmt"],
  ["get", "/status"],
  ["get", "/ui"],
  ["get", "/v1/watch"],
  ["post", "/v1/snapshots/backup"],
];

test("GET /openapi/json is an OpenAPI 3 document of every route", async () => {
  const answer = await send(app(), "GET", "/openapi/json");
  expect(answer.status).toBe(200);
  const doc = answer.body;
  expect(doc.openapi).toMatch(/^3\./);
  const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
  expect(listed.sort()).toEqual(EXPECTED.map(([m, p]) => `${m} ${p}`).sort());
  expect(answer.text).not.toMatch(/https?:\/\//);
});

test("request bodies are described as JSON with their schema, extra fields refused", async () => {
  const doc = (await send(app(), "GET", "/openapi/json")).body;
  const schema = doc.paths["/v1/brokers"].post.requestBody.content["application/json"].schema;
  expect(schema.required).toEqual(["brokerId", "brokerHost", "brokerPort", "securityProtocol", "rackId"]);
  expect(schema.additionalProperties).toBe(false);
  const isr = doc.paths["/v1/topics/{name}/partitions/{id}/isr"].post.requestBody.content["application/json"].schema;
  expect(isr.required).toEqual(["brokerId", "partitionEpoch", "ISR"]);
  const reassign = doc.paths["/v1/topics/{name}/partitions/{id}/replicas"].put.requestBody.content["application/json"].schema;
  expect(reassign.required).toEqual(["replicas"]);
  expect(schema.properties.brokerId.type).toBe("integer");
});

test("GET /openapi is a self-contained page: no external script, style or CDN", async () => {
  const answer = await send(app(), "GET", "/openapi");
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toContain("text/html");
  expect(answer.text).toContain("/openapi/json");
  expect(answer.text).not.toMatch(/<script[^>]+src=/);
  expect(answer.text).not.toMatch(/<link[^>]+href=/);
  expect(answer.text).not.toMatch(/https?:\/\//);
});
