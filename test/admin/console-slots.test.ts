// Issue 9 §7: 16 idle sessions locked operators out for 5 minutes. Sessions without rights
// (remote, no `auth`) now close after 60 s idle, a slot is kept for loopback, and a refused peer is
// told why in one line. Remote peers are simulated with the injected trust predicate (every test
// connection really comes from 127.0.0.1), time with the manual clock.
import { afterEach, expect, test } from "bun:test";
import { ConsoleClient } from "./support/console-client.ts";
import { startTestConsole, type TestConsole } from "./support/test-console.ts";

let t: TestConsole | null = null;
const clients: ConsoleClient[] = [];
/** Whether the next connection counts as loopback; read by the console's trust predicate. */
let nextIsLoopback = false;

async function connect(loopback: boolean): Promise<ConsoleClient> {
  if (!t) throw new Error("no console started");
  nextIsLoopback = loopback;
  const client = await t.connect();
  clients.push(client);
  return client;
}

async function refused(loopback: boolean): Promise<string> {
  if (!t) throw new Error("no console started");
  nextIsLoopback = loopback;
  const client = await ConsoleClient.connect(t.server.port);
  clients.push(client);
  await client.waitClosed();
  return client.text;
}

async function start(limits: Record<string, number> = {}, token?: string): Promise<TestConsole> {
  t = await startTestConsole({ limits, token, isTrustedPeer: () => nextIsLoopback });
  return t;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  t?.server.stop();
  t = null;
});

test("remote peers fill all slots but the loopback one; the next remote peer is told why, loopback still gets in", async () => {
  await start({ maxSessions: 4 });
  for (let i = 0; i < 3; i++) await connect(false);
  expect(await refused(false)).toBe(
    "error: all 3 console sessions for remote peers are in use (1 more kept for loopback); sessions idle without auth close after 1 min 0 s; try again later (busy)\r\n",
  );
  const operator = await connect(true);
  expect(await operator.command("snapshots")).toBe("(no snapshots)\r\n");
  // Every slot taken now: anyone else gets the plain refusal.
  expect(await refused(true)).toBe("error: too many console sessions (max 4); try again later (busy)\r\n");
  expect(t?.logs.filter((l) => l.event === "console_session_refused").map((l) => l.fields.trusted)).toEqual([false, true]);
});

test("with the defaults, 16 idle remote sessions are closed after 60 s and the 16th slot is loopback's all along", async () => {
  const srv = await start();
  const idle: ConsoleClient[] = [];
  for (let i = 0; i < 15; i++) idle.push(await connect(false));
  expect(await refused(false)).toContain("all 15 console sessions for remote peers are in use");
  const operator = await connect(true);
  srv.clock.advance(59_999);
  expect(idle.some((c) => c.closed)).toBe(false);
  srv.clock.advance(1);
  for (const c of idle) await c.waitClosed();
  expect(idle[0].text.endsWith("idle for 1 min 0 s without auth; closing\r\n")).toBe(true);
  // The loopback session keeps the full five minutes.
  expect(await operator.command("snapshots")).toBe("(no snapshots)\r\n");
  await ConsoleClient.eventually(() => srv.logs.filter((l) => l.fields.reason === "idle_unauthenticated").length === 15, "15 idle closes");
  // The freed slots take remote peers again.
  const again = await connect(false);
  expect(await again.command("snapshots")).toBe("(no snapshots)\r\n");
});

test("a remote session that gave the token keeps the full idle bound; one that did not, 60 s from its last input", async () => {
  const srv = await start({ idleTimeoutMs: 300_000 }, "s3cret");
  const authed = await connect(false);
  expect(await authed.command("auth s3cret")).toContain("authenticated");
  const anonymous = await connect(false);
  srv.clock.advance(30_000);
  expect(await anonymous.command("status")).toContain("term");
  srv.clock.advance(59_999);
  expect(anonymous.closed).toBe(false);
  srv.clock.advance(1);
  await anonymous.waitClosed();
  expect(authed.closed).toBe(false);
  srv.clock.advance(300_000 - 90_000 - 1);
  expect(authed.closed).toBe(false);
  srv.clock.advance(1);
  await authed.waitClosed();
  expect(authed.text.endsWith("idle for 5 min 0 s; closing\r\n")).toBe(true);
});

test("a reservation larger than the sessions is refused at start", async () => {
  await expect(startTestConsole({ limits: { maxSessions: 2, loopbackReservedSessions: 3 } })).rejects.toThrow(
    "console limit loopbackReservedSessions (3) exceeds maxSessions (2)",
  );
});
