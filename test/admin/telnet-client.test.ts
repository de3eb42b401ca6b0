// The real telnet client (Debian package `telnet`) against the console, typed through tmux.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type ConsoleServer, startConsole } from "../../src/admin/console-server.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { CountingMachine } from "./support/counting-machine.ts";
import { FakeMetadata } from "./support/fake-metadata.ts";
import { Tmux } from "./support/tmux.ts";


// capture-pane drops trailing blanks, so the prompt's final space is not on the screen.
const PROMPT = "yakt[2 leader]>";

let server: ConsoleServer;
let node: LocalConsensus;
const tmux = new Tmux();

beforeAll(async () => {
  node = new LocalConsensus({ stateMachine: new CountingMachine(), nodeId: 2, clusterId: "telnet-cluster" });
  for (let i = 0; i < 3; i++) await node.propose(new Uint8Array([i]));
  server = await startConsole({ handle: node, service: new FakeMetadata(), host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await tmux.kill();
  server.stop();
});

test("telnet: the prompt, status, help and quit", async () => {
  if (!Tmux.available()) throw new Error("this test needs telnet and tmux: run `make test-deps`");
  await tmux.start(`telnet 127.0.0.1 ${server.port}`, "main");
  await tmux.waitFor(PROMPT);

  await tmux.type("status");
  let screen = await tmux.waitFor(PROMPT, 2);
  expect(screen).toMatch(/^node\s+2$/m);
  expect(screen).toMatch(/^cluster id\s+telnet-cluster$/m);
  expect(screen).toMatch(/^role\s+leader$/m);
  expect(screen).toMatch(/^commit offset\s+3$/m);

  await tmux.type("help");
  screen = await tmux.waitFor(PROMPT, 3);
  expect(screen).toMatch(/^transfer-leader <id> \*\s+hand leadership to another voter$/m);
  expect(screen).toMatch(/^add-voter \[--force\] <id>@<host>:<port> \*/m);

  await tmux.type("quit");
  screen = await tmux.waitFor("Connection closed by foreign host.");
  expect(screen).toMatch(/^bye$/m);
}, 40_000);

test("telnet: Ctrl-C closes the session politely", async () => {
  if (!Tmux.available()) throw new Error("this test needs telnet and tmux: run `make test-deps`");
  await tmux.start(`telnet 127.0.0.1 ${server.port}`, "ctrl-c");
  await tmux.waitFor(PROMPT, 1, "ctrl-c");
  await tmux.keys("ctrl-c", "C-c");
  const screen = await tmux.waitFor("Connection closed by foreign host.", 1, "ctrl-c");
  expect(screen).toMatch(/^bye$/m);
}, 40_000);
