// What a steady-row request costs one node over real sockets, without Raft traffic: a one-node
// cluster of the given build, 100 brokers, then 64 clients sending the steady rows' write (a
// 200-character host update, PUT /v1/brokers/:brokerId) and then their read (a linearizable GET of
// the broker), each for SECONDS after a 2-s warm-up; the node's CPU per answered request from
// /proc. With no followers, the HTTP layer's part of a request is a larger share than on a
// cluster's leader, so two builds compare more clearly (run them alternately, under nice):
//   bun run scripts/bench/one-node-cost.ts <yakt binary> [--seconds 8] [--auth-tokens] [--poll]
// --auth-tokens starts the node with a token file and sends every request with the token of the
// smallest role it needs; --poll adds a third row: a broker's BrokerMgmt poll (no wait_ms) since
// the node's offset after the warm-up, so each answer is an empty diff and a heartbeat.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePorts } from "../../test/node/support/free-ports.ts";
import { processCpuMs } from "./cpu.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: "string", default: "8" }, "auth-tokens": { type: "boolean", default: false }, poll: { type: "boolean", default: false } },
});
const binary = positionals[0];
const seconds = Number(values.seconds);
if (binary === undefined || !(seconds > 0)) throw new Error("usage: one-node-cost.ts <yakt binary> [--seconds N], N > 0");
const CLIENTS = 64;
const BROKERS = 100;
const FIRST_BROKER = 1000;
const WARMUP_MS = 2_000;

const dir = mkdtempSync(join(tmpdir(), "yakt-one-node-"));
const [httpPort, peerPort, adminPort] = freePorts(3);
const url = (path: string) => `http://127.0.0.1:${httpPort}${path}`;
const TOKENS = { admin: "bench-admin-token-0123456789", broker: "bench-broker-token-0123456789" };
const tokenFile = `${dir}.tokens`;
writeFileSync(tokenFile, `${TOKENS.admin} admin bench\n${TOKENS.broker} broker fleet\nbench-reader-token-0123456789 reader dash\n`);
/** The headers of a request needing `role`: its token on a node with --auth-tokens. */
const auth = (role: keyof typeof TOKENS): Record<string, string> => (values["auth-tokens"] ? { authorization: `Bearer ${TOKENS[role]}` } : {});
const JSON_BODY = { "content-type": "application/json" };

function start(): Bun.Subprocess {
  const format = Bun.spawnSync([binary, "format", "--cluster-id", "one", "--node-id", "1", "--data-dir", dir]);
  if (format.exitCode !== 0) throw new Error(`yakt format failed: ${format.stderr.toString()}`);
  const flags = ["--node-id", "1", "--cluster-id", "one", "--peers", `1@127.0.0.1:${peerPort}`, "--data-dir", dir];
  if (values["auth-tokens"]) flags.push("--auth-tokens", tokenFile);
  return Bun.spawn([binary, ...flags, "--listen-http", `127.0.0.1:${httpPort}`, "--listen-admin", `127.0.0.1:${adminPort}`], { stdout: "ignore", stderr: "ignore" });
}

/** `request` until it answers `status`, at most `tries` times 50 ms apart. */
async function until(what: string, status: number, request: () => Promise<Response>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const response = await request().catch(() => null);
    await response?.text();
    if (response?.status === status) return;
    await Bun.sleep(50);
  }
  throw new Error(`${what} did not answer ${status}`);
}

const put = (seq: number) =>
  fetch(url(`/v1/brokers/${FIRST_BROKER + (seq % BROKERS)}`), { method: "PUT", headers: { ...JSON_BODY, ...auth("admin") }, body: `{"brokerHost":"h${seq}.${"x".repeat(190)}"}` });
const get = (seq: number) => fetch(url(`/v1/brokers/${FIRST_BROKER + (seq % BROKERS)}`), { headers: auth("broker") });
/** The offset the polls ask since: the node's, read after the polls' warm-up (when every broker is ALIVE). */
let since = 0;
const poll = (seq: number) =>
  fetch(url("/v1/broker-mgmt/metadata"), { method: "POST", headers: { ...JSON_BODY, ...auth("broker") }, body: `{"brokerId":${FIRST_BROKER + (seq % BROKERS)},"since":${since}}` });

/** CLIENTS loops of `send` for `ms`: the requests answered 200. */
async function load(send: (seq: number) => Promise<Response>, ms: number): Promise<number> {
  let ok = 0;
  let seq = 0;
  const end = performance.now() + ms;
  const client = async () => {
    while (performance.now() < end) {
      const response = await send(seq++);
      await response.text();
      if (response.status === 200) ok++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return ok;
}

const node = start();
try {
  await until("the node", 200, () => fetch(url("/healthz")));
  for (let i = 0; i < BROKERS; i++) {
    const body = JSON.stringify({ brokerId: FIRST_BROKER + i, brokerHost: "h", brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r" });
    await until(`broker ${FIRST_BROKER + i}`, 201, () => fetch(url("/v1/brokers"), { method: "POST", headers: { ...JSON_BODY, ...auth("admin") }, body }));
  }
  const rows: [string, (seq: number) => Promise<Response>][] = [["PUT", put], ["GET", get], ...(values.poll ? [["POLL", poll] as [string, typeof poll]] : [])];
  for (const [name, send] of rows) {
    await load(send, WARMUP_MS);
    if (send === poll) since = ((await (await poll(0)).json()) as { offset: number }).offset;
    const cpu0 = processCpuMs(node.pid);
    const load0 = loadavg()[0];
    const ok = await load(send, seconds * 1000);
    const cpuMs = processCpuMs(node.pid) - cpu0;
    console.log(`${binary} ${name}: ${(ok / seconds).toFixed(0)}/s, node CPU ${((cpuMs * 1000) / Math.max(1, ok)).toFixed(1)} µs/request, load ${load0.toFixed(1)}→${loadavg()[0].toFixed(1)}`);
  }
} finally {
  node.kill();
  await node.exited;
  rmSync(dir, { recursive: true, force: true });
  rmSync(tokenFile, { force: true });
}
