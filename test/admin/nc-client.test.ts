// netcat (bare LF line ends, no telnet negotiation) against the console, with a scripted stdin.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { ConsoleServer } from "../../src/admin/console-server.ts";
import { startTestConsole } from "./support/test-console.ts";

let server: ConsoleServer;

beforeAll(async () => {
  server = (await startTestConsole()).server;
});

afterAll(() => server.stop());

test("nc: commands on LF-terminated lines, answers in CR LF, quit closes", async () => {
  if (Bun.which("nc") === null) throw new Error("this test needs nc: run `make test-deps`");
  const proc = Bun.spawn(["nc", "127.0.0.1", String(server.port)], { stdin: "pipe", stdout: "pipe", timeout: 10_000 });
  proc.stdin.write("status\ntopics\nquit\n");
  await proc.stdin.end();
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code).toBe(0);
  expect(out).toContain("role            leader\r\n");
  expect(out).toContain("orders  uuid-topic-orders");
  expect(out.endsWith("yakt[1 leader]> bye\r\n")).toBe(true);
  expect(out.replaceAll("\r\n", "")).not.toContain("\n");
});
