// The console over the real metadata service (createMetadataService) and state machine, on the
// LocalConsensus double: what an operator sees after brokers register and a topic is created.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { type ConsoleServer, startConsole } from "../../src/admin/console-server.ts";
import { type MetadataServiceHandle, createMetadataService } from "../../src/metadata/service.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { ConsoleClient } from "./support/console-client.ts";

let service: MetadataServiceHandle;
let server: ConsoleServer;
let client: ConsoleClient;

const registration = (brokerId: number, rackId: string) => ({
  brokerId,
  brokerHost: `kafka-${brokerId}.local`,
  brokerPort: "9092",
  securityProtocol: "PLAINTEXT",
  rackId,
});

beforeEach(async () => {
  const clock = new ManualClock();
  const stateMachine = new MetadataStateMachine();
  const handle = new LocalConsensus({ stateMachine, clock, nodeId: 1, clusterId: "real" });
  let ids = 0;
  service = createMetadataService({ handle, stateMachine, clock, newId: () => `id-${++ids}`, log: () => {} });
  await service.registerBroker(registration(1, "r1"));
  await service.registerBroker(registration(2, "r2"));
  await service.createTopic({ name: "orders", partitions: 2, replicationFactor: 2 });
  server = await startConsole({ handle, service, host: "127.0.0.1", port: 0, clock });
  client = await ConsoleClient.connect(server.port);
  await client.waitForText("yakt[1 leader]> ");
});

afterEach(() => {
  client.close();
  server.stop();
  service.stop();
});

test("brokers and broker <id> show the registrations", async () => {
  const brokers = await client.command("brokers");
  expect(brokers).toMatch(/^ID\s+STATUS\s+HOST\s+PORT\s+PROTOCOL\s+RACK\s+EPOCH\s+LEADS\r\n/);
  expect(brokers).toMatch(/ 1 {2}\w+\s+kafka-1\.local {2}9092 {2}PLAINTEXT {2}r1\s+0\s+\d+\r\n/);
  expect(brokers).toMatch(/ 2 {2}\w+\s+kafka-2\.local {2}9092 {2}PLAINTEXT {2}r2\s+0\s+\d+\r\n/);
  const one = await client.command("broker 2");
  expect(one).toContain("host           kafka-2.local\r\n");
  expect(one).toContain("rack           r2\r\n");
  expect(await client.command("broker 7")).toStartWith("error: ");
  expect(await client.command("broker 7")).toEndWith("(not_found)\r\n");
});

test("topics and topic <name> show the placed partitions", async () => {
  expect(await client.command("topics")).toMatch(/^NAME\s+TOPIC UUID\s+OFFSET\s+CREATED\r\norders\s+id-\d+\s+\d+\s+\d{4}-/);
  const topic = await client.command("topic orders");
  expect(topic).toContain("partitions  2\r\n");
  expect(topic).toMatch(/\r\n {8}0 {2}[12]\s+[12], [12]\s+[12], [12]\s+-\s+-\s+0\s+0\r\n/);
  expect(topic).toMatch(/\r\n {8}1 {2}[12]\s+[12], [12]\s+[12], [12]\s+-\s+-\s+0\s+0\r\n/);
  expect(await client.command("topic nope")).toEndWith("(not_found)\r\n");
});

test("log shows the records in offset order", async () => {
  const log = await client.command("log 1 50");
  const names = [...log.matchAll(/ (RegisterBrokerRecord|TopicRecord|PartitionRecord) /g)].map((m) => m[1]);
  expect(names).toEqual(["RegisterBrokerRecord", "RegisterBrokerRecord", "TopicRecord", "PartitionRecord", "PartitionRecord"]);
  expect(log).toContain("brokerHost=kafka-1.local");
});

test("snapshot of the real state machine", async () => {
  expect(await client.command("snapshot")).toMatch(/^snapshot taken at offset \d+ \(term 1, voters 1\)\r\n$/);
  expect(await client.command("snapshots")).toMatch(/^OFFSET {2}TERM {2}VOTERS {2}LEARNERS\r\n\s+\d+ {5}1 {2}1 {7}-\r\n$/);
});
