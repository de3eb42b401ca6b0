// The console over the in-process single-node ConsensusHandle double (test/support/local-consensus.ts):
// what a real node answers, including its refusals.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { type ConsoleServer, startConsole } from "../../src/admin/console-server.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { ConsoleClient } from "./support/console-client.ts";
import { CountingMachine } from "./support/counting-machine.ts";
import { FakeMetadata } from "./support/fake-metadata.ts";

let node: LocalConsensus;
let server: ConsoleServer;
let client: ConsoleClient;

beforeEach(async () => {
  const clock = new ManualClock();
  node = new LocalConsensus({ stateMachine: new CountingMachine(), nodeId: 3, clusterId: "local", clock });
  for (let i = 0; i < 4; i++) await node.propose(new Uint8Array([i]));
  server = await startConsole({ handle: node, service: new FakeMetadata(), host: "127.0.0.1", port: 0, clock });
  client = await ConsoleClient.connect(server.port);
  await client.waitForText("yakt[3 leader]> ");
});

afterEach(() => {
  client.close();
  server.stop();
});

test("status and replication of a one-node cluster", async () => {
  const status = await client.command("status");
  expect(status).toContain("commit offset   4\r\n");
  expect(status).toContain("log offsets     1..4\r\n");
  expect(await client.command("replication")).toBe(
    "NODE  STATUS  LOG END OFFSET  LAG  LAST CONTACT  ADDRESS\r\n   3  Leader               4    0  0 ms ago      127.0.0.1:9093\r\n",
  );
});

test("snapshot compacts the log, snapshots lists it, metrics count it", async () => {
  expect(await client.command("snapshot")).toBe("snapshot taken at offset 4 (term 1, voters 3)\r\n");
  expect(await client.command("snapshots")).toBe("OFFSET  TERM  VOTERS  LEARNERS\r\n     4     1  3       -\r\n");
  expect(await client.command("status")).toContain("log offsets     empty (next 5)\r\n");
  expect(await client.command("metrics raft_snapshots")).toBe("NAME                  VALUE\r\nraft_snapshots_total      1\r\n");
});

test("the node's refusals of membership changes come back as one error line", async () => {
  expect(await client.command("transfer-leader 3")).toBe("node 3 is already the leader\r\n");
  expect(await client.command("add-voter 4@127.0.0.1:9094")).toBe(
    "error: cannot add voter 4 at 127.0.0.1:9094: this local cluster has a fixed single node (membership)\r\n",
  );
  expect(await client.command("remove-voter 3")).toBe(
    "error: cannot remove member 3: this local cluster has a fixed single node (membership)\r\n",
  );
  expect(await client.command("status")).toContain("role            leader");
});

test("the prompt shows the new role after the node steps down", async () => {
  node.stepDown();
  await client.command("");
  expect(client.text.endsWith("yakt[3 follower]> ")).toBe(true);
});
