import { afterEach, describe, expect, test } from "bun:test";
import { startConsole } from "../../src/admin/console-server.ts";
import { ConsoleClient } from "./support/console-client.ts";
import { FakeMetadata } from "./support/fake-metadata.ts";
import { FakeNode } from "./support/fake-node.ts";
import { startTestConsole, type TestConsole } from "./support/test-console.ts";

let t: TestConsole | null = null;
const clients: ConsoleClient[] = [];

const connect = async (): Promise<ConsoleClient> => {
  if (!t) throw new Error("no console started");
  const client = await t.connect();
  clients.push(client);
  return client;
};

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  t?.server.stop();
  t = null;
});

describe("max sessions", () => {
  test("an extra connection gets one line and is closed; a freed slot is usable again", async () => {
    t = await startTestConsole({ limits: { maxSessions: 2 } });
    const first = await connect();
    await connect();
    const extra = await ConsoleClient.connect(t.server.port);
    clients.push(extra);
    await extra.waitClosed();
    expect(extra.text).toBe("error: too many console sessions (max 2); try again later (busy)\r\n");
    first.send("quit\r\n");
    await first.waitClosed();
    await ConsoleClient.eventually(() => t?.logs.some((l) => l.event === "console_session_closed") ?? false, "the first session's close");
    const again = await connect();
    expect(await again.command("snapshots")).toBe("(no snapshots)\r\n");
  });
});

describe("idle timeout", () => {
  test("a session without input for the idle bound is told and closed", async () => {
    t = await startTestConsole({ limits: { idleTimeoutMs: 60_000 } });
    const client = await connect();
    t.clock.advance(59_999);
    expect(await client.command("status")).toContain("term");
    // Input re-arms the timer, so the full bound counts again from the last command.
    t.clock.advance(59_999);
    expect(client.closed).toBe(false);
    t.clock.advance(1);
    await client.waitClosed();
    expect(client.text.endsWith("idle for 1 min 0 s; closing\r\n")).toBe(true);
    await ConsoleClient.eventually(() => t?.logs.some((l) => l.event === "console_session_closed") ?? false, "the close log");
    expect(t.logs.find((l) => l.event === "console_session_closed")?.fields.reason).toBe("idle");
  });

  test("the default bound is five minutes", async () => {
    t = await startTestConsole();
    const client = await connect();
    t.clock.advance(5 * 60_000 - 1);
    expect(await client.command("snapshots")).toBe("(no snapshots)\r\n");
    t.clock.advance(5 * 60_000);
    await client.waitClosed();
    expect(client.text).toContain("idle for 5 min 0 s; closing");
  });
});

describe("typed-ahead lines", () => {
  test("lines beyond the pending bound are refused while a command runs", async () => {
    t = await startTestConsole({ limits: { maxPendingLines: 2 } });
    const client = await connect();
    let release = () => {};
    t.node.nextResult = () => new Promise<void>((resolve) => (release = resolve));
    const start = client.text.length;
    client.send("transfer-leader 2\r\n");
    await ConsoleClient.eventually(() => t?.node.calls.length === 1, "the transfer to start");
    client.send("snapshots\r\nsnapshots\r\nsnapshots\r\nsnapshots\r\n");
    await client.waitForText("lines dropped");
    release();
    await client.waitFor((text) => text.slice(start).split("]> ").length === 4, "three prompts");
    const out = client.text.slice(start);
    expect(out).toStartWith("error: more than 2 commands typed ahead; lines dropped (busy)\r\n");
    expect(out.split("typed ahead")).toHaveLength(2);
    expect(out.split("(no snapshots)")).toHaveLength(3);
  });
});

describe("half-closed input", () => {
  test("a client that sends FIN after its commands still gets every answer, then the close", async () => {
    t = await startTestConsole();
    const client = await connect();
    let release = () => {};
    t.node.nextResult = () => new Promise<void>((resolve) => (release = resolve));
    client.send("transfer-leader 2\r\nsnapshots\r\n");
    client.endInput();
    await ConsoleClient.eventually(() => t?.node.calls.length === 1, "the transfer to start");
    release();
    await client.waitClosed();
    expect(client.text).toContain("leadership transferred to node 2");
    expect(client.text.endsWith("(no snapshots)\r\nyakt[1 follower]> ")).toBe(true);
    await ConsoleClient.eventually(() => t?.logs.some((l) => l.event === "console_session_closed") ?? false, "the close log");
    expect(t.logs.find((l) => l.event === "console_session_closed")?.fields.reason).toBe("peer_ended");
  });

  test("an idle client that sends FIN is closed at once", async () => {
    t = await startTestConsole();
    const client = await connect();
    client.endInput();
    await client.waitClosed();
  });
});

describe("start-up checks", () => {
  const base = { handle: new FakeNode(), service: new FakeMetadata(), host: "127.0.0.1", port: 0 };

  test("bad limits, ports and tokens are refused with their value", async () => {
    await expect(startConsole({ ...base, limits: { maxSessions: 0 } })).rejects.toThrow("console limit maxSessions must be a positive integer, got 0");
    await expect(startConsole({ ...base, port: 70000 })).rejects.toThrow("console port must be an integer in 0..65535, got 70000");
    await expect(startConsole({ ...base, token: "has space" })).rejects.toThrow("console token must be 1..1024 characters without whitespace");
  });

  test("a port in use fails loudly", async () => {
    t = await startTestConsole();
    await expect(startConsole({ ...base, port: t.server.port })).rejects.toMatchObject({ code: "listen_failed" });
  });

  test("stop says goodbye to open sessions and closes them", async () => {
    t = await startTestConsole();
    const client = await connect();
    const clock = t.clock;
    t.server.stop();
    await client.waitClosed();
    expect(client.text.endsWith("console is shutting down; bye\r\n")).toBe(true);
    await ConsoleClient.eventually(() => clock.pending() === 0, "the sessions' timers to be cleared");
    t = null;
  });
});
