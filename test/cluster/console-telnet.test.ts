// The real telnet client on the leader's console of three dist/yakt processes: `status` shows the
// leader, `transfer-leader` hands leadership to a follower (seen over HTTP on every node and on
// the console itself), and `quit` ends telnet.
import { afterAll, expect, test } from "bun:test";
import { waitUntil } from "../node/support/wait-until.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { pairs, TelnetConsole } from "./support/telnet-console.ts";

const cluster = new ProcessCluster(3);
const telnet = new TelnetConsole("leader-console");

afterAll(async () => {
  await telnet.close();
  await cluster.stopAll();
});

test("telnet on the leader's console: status, transfer-leader to a follower, quit", async () => {
  if (!TelnetConsole.available()) throw new Error("this test needs telnet and tmux: run `make test-deps`");
  cluster.startAll();
  const leader = await cluster.waitForLeader();
  const term = (await cluster.status(leader))?.term;
  const target = cluster.ids.find((id) => id !== leader) as number;

  expect(await telnet.open(cluster.adminPort(leader))).toEqual({ nodeId: leader, role: "leader" });
  const before = pairs((await telnet.command("status")).output);
  expect(before.get("node")).toBe(String(leader));
  expect(before.get("role")).toBe("leader");
  expect(before.get("leader")).toBe(String(leader));
  expect(before.get("term")).toBe(String(term));
  expect(before.get("voters")).toContain(String(target));

  const moved = await telnet.command(`transfer-leader ${target}`);
  expect(moved.output.join("\n")).toContain(`leadership transferred to node ${target}`);

  await waitUntil(
    `every node to name node ${target} leader over GET /v1/cluster`,
    async () => {
      const all = await Promise.all(cluster.ids.map((id) => cluster.status(id)));
      return all.every((s) => s?.leader === target && s.term > (term ?? 0));
    },
    15_000,
    25,
  );
  expect((await cluster.status(target))?.role).toBe("leader");

  const after = await waitUntil(
    `the console of node ${leader} to report follower of ${target}`,
    async () => {
      const { output, prompt } = await telnet.command("status");
      const s = pairs(output);
      return prompt.role === "follower" && s.get("role") === "follower" && s.get("leader") === String(target) ? s : null;
    },
    15_000,
    250,
  );
  expect(Number(after.get("term"))).toBeGreaterThan(term ?? 0);

  const bye = await telnet.typeUntil("quit", "Connection closed by foreign host.");
  expect(bye).toMatch(/^bye$/m);
  await waitUntil("telnet to exit", () => telnet.exited(), 10_000, 50);
}, 60_000);
