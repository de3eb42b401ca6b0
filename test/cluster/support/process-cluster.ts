// A cluster of real `dist/yakt` processes on loopback: free ports, one temp data dir per node,
// SIGKILL and restart, bounded waits, and a cleanup that kills every child it started.
import { type Subprocess } from "bun";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePorts } from "../../node/support/free-ports.ts";
import { waitUntil } from "../../node/support/wait-until.ts";
import { http, type HttpClientOptions } from "./http.ts";
import { TcpProxy } from "./tcp-proxy.ts";

/** The binary under test; YAKT_BINARY points elsewhere (e.g. to compare two builds in benchmarks). */
export const BINARY = resolve(process.env.YAKT_BINARY ?? resolve(import.meta.dir, "../../../dist/yakt"));
const CLUSTER_ID = "cluster-test";

interface NodeSpec {
  id: number;
  httpPort: number;
  peerPort: number;
  adminPort: number;
  dataDir: string;
  logFile: string;
}

interface ClusterStatusBody {
  nodeId: number;
  role: string;
  leader: number;
  term: number;
  commitOffset: number;
  appliedOffset: number;
  membership: { voters: number[]; learners: number[] };
}

/** Children of every cluster in this test process, killed at exit even if a test forgot. */
const allChildren = new Set<Subprocess>();
process.on("exit", () => {
  for (const c of allChildren) c.kill("SIGKILL");
});

export class ProcessCluster {
  private readonly dir = mkdtempSync(join(tmpdir(), "yakt-cluster-test-"));
  private readonly specs = new Map<number, NodeSpec>();
  private readonly procs = new Map<number, Subprocess>();
  /** Nodes whose data dir `yakt format` has prepared (a node with --peers never formats itself). */
  private readonly formatted = new Set<number>();
  private starts = 0;
  private readonly scheme: "http" | "https";
  /** Flags of one node only (its own certificate, say). */
  private readonly nodeFlags: (id: number) => string[];
  /** What status() and friends send: a token, a CA, a client certificate. */
  readonly client: HttpClientOptions;
  /** With `proxied`, the link from node `from` to node `to` goes through links.get(`${from}>${to}`). */
  private readonly links = new Map<string, TcpProxy>();

  /**
   * `size` nodes with ids 1..size; the first `voters` of them form the initial cluster (--peers),
   * the rest start as joiners that an operator adds later.
   */
  constructor(
    readonly size: number,
    private readonly extraFlags: string[] = [],
    private readonly voters = size,
    opts: { proxied?: boolean; https?: boolean; client?: HttpClientOptions; nodeFlags?: (id: number) => string[] } = {},
  ) {
    this.nodeFlags = opts.nodeFlags ?? (() => []);
    this.scheme = opts.https ? "https" : "http";
    this.client = opts.client ?? {};
    if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it with make build`);
    const ports = freePorts(size * 3);
    for (let id = 1; id <= size; id++) {
      const [httpPort, peerPort, adminPort] = ports.slice((id - 1) * 3, id * 3);
      const dataDir = join(this.dir, `node-${id}`);
      this.specs.set(id, { id, httpPort, peerPort, adminPort, dataDir, logFile: "" });
    }
    if (opts.proxied) this.startLinks();
  }

  /** The proxy that carries what node `from` sends to node `to` (a cluster made with `proxied`). */
  link(from: number, to: number): TcpProxy {
    const proxy = this.links.get(`${from}>${to}`);
    if (!proxy) throw new Error(`no proxied link ${from}>${to}: make the cluster with { proxied: true }`);
    return proxy;
  }

  /** Every link back up. */
  healAll(): void {
    for (const proxy of this.links.values()) proxy.setMode("up");
  }

  /** Cut (or heal) every link to and from `id`. */
  isolate(id: number, mode: "down" | "up" = "down"): void {
    for (const other of this.ids.filter((i) => i !== id)) {
      this.link(id, other).setMode(mode);
      this.link(other, id).setMode(mode);
    }
  }

  private startLinks(): void {
    for (const from of this.ids)
      for (const to of this.ids.filter((i) => i !== from)) {
        const proxy = new TcpProxy("127.0.0.1", this.spec(to).peerPort);
        proxy.start();
        this.links.set(`${from}>${to}`, proxy);
      }
  }

  get ids(): number[] {
    return [...this.specs.keys()];
  }

  live(): number[] {
    return [...this.procs.keys()];
  }

  url(id: number, path: string): string {
    return `${this.scheme}://127.0.0.1:${this.spec(id).httpPort}${path}`;
  }

  /** Start every node of the initial cluster. */
  startAll(): void {
    for (const id of this.ids.filter((i) => i <= this.voters)) this.start(id);
  }

  /** Where node `id` listens for peers. */
  peerAddress(id: number): string {
    return `127.0.0.1:${this.spec(id).peerPort}`;
  }

  /** The address node `from` dials to reach node `to`: the link's proxy when the cluster is proxied. */
  dialAddress(from: number, to: number): string {
    return this.links.size > 0 && from !== to ? `127.0.0.1:${this.link(from, to).port}` : this.peerAddress(to);
  }

  dataDir(id: number): string {
    return this.spec(id).dataDir;
  }

  adminPort(id: number): number {
    return this.spec(id).adminPort;
  }

  /** `yakt format` the node's data dir (done before its first start); returns what it printed. */
  format(id: number): string {
    const r = Bun.spawnSync([BINARY, "format", "--cluster-id", CLUSTER_ID, "--node-id", String(id), "--data-dir", this.spec(id).dataDir]);
    if (r.exitCode !== 0) throw new Error(`yakt format of node ${id} failed: ${r.stderr.toString()}`);
    this.formatted.add(id);
    return r.stdout.toString();
  }

  start(id: number): void {
    if (this.procs.has(id)) throw new Error(`node ${id} is already running`);
    // Format before the first start, unless the data dir already holds a database (e.g. restored).
    if (!this.formatted.has(id) && !existsSync(join(this.spec(id).dataDir, "yakt.db"))) this.format(id);
    this.formatted.add(id);
    const s = this.spec(id);
    s.logFile = join(this.dir, `node-${id}.${++this.starts}.log`);
    const peers = this.ids
      .filter((i) => i <= this.voters)
      .map((i) => `${i}@${this.dialAddress(id, i)}`)
      .join(",");
    const proc = Bun.spawn(
      [
        BINARY,
        ...["--node-id", String(id), "--peers", peers, "--cluster-id", CLUSTER_ID],
        ...["--listen-http", `127.0.0.1:${s.httpPort}`, "--listen-peer", `127.0.0.1:${s.peerPort}`],
        ...["--listen-admin", `127.0.0.1:${s.adminPort}`, "--data-dir", s.dataDir],
        ...this.extraFlags,
        ...this.nodeFlags(id),
      ],
      { stdout: Bun.file(s.logFile), stderr: Bun.file(`${s.logFile}.err`), stdin: "ignore" },
    );
    this.procs.set(id, proc);
    allChildren.add(proc);
  }

  /** The OS process id of a running node. */
  pid(id: number): number {
    const proc = this.procs.get(id);
    if (!proc) throw new Error(`node ${id} is not running`);
    return proc.pid;
  }

  /** SIGSTOP (pause) or SIGCONT (resume) a running node. */
  signal(id: number, sig: "SIGSTOP" | "SIGCONT"): void {
    process.kill(this.pid(id), sig);
  }

  async kill(id: number): Promise<void> {
    const proc = this.procs.get(id);
    if (!proc) throw new Error(`node ${id} is not running`);
    // SIGKILL ends a stopped (SIGSTOP) process too; one that already exited is only reaped.
    proc.kill("SIGKILL");
    await proc.exited;
    this.procs.delete(id);
    allChildren.delete(proc);
  }

  async status(id: number): Promise<ClusterStatusBody | null> {
    const r = await http("GET", this.url(id, "/v1/cluster"), undefined, 1_000, this.client);
    return r.status === 200 ? (r.body as ClusterStatusBody) : null;
  }

  /** Every live node answers and names the same live leader; returns its id. */
  async waitForLeader(timeoutMs = 15_000): Promise<number> {
    return waitUntil(
      `a leader agreed by live nodes ${this.live().join(",")}`,
      async () => {
        const all = await Promise.all(this.live().map((id) => this.status(id)));
        if (all.some((s) => s === null)) return null;
        const leader = all[0]?.leader ?? 0;
        const agreed = leader !== 0 && this.procs.has(leader) && all.every((s) => s?.leader === leader);
        return agreed ? leader : null;
      },
      timeoutMs,
      25,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\n${this.logTails()}`);
    });
  }

  /** Every live node has applied at least what `index` names. */
  async waitApplied(index: number, timeoutMs = 15_000): Promise<void> {
    await waitUntil(
      `live nodes to apply ${index}`,
      async () => {
        const all = await Promise.all(this.live().map((id) => this.status(id)));
        return all.every((s) => s !== null && s.appliedOffset >= index);
      },
      timeoutMs,
      25,
    );
  }

  /** A node that is expected to stop on its own (e.g. refusing to start): its exit code and stderr. */
  async exited(id: number, timeoutMs = 10_000): Promise<{ code: number; stderr: string }> {
    const proc = this.procs.get(id);
    if (!proc) throw new Error(`node ${id} is not running`);
    const code = await Promise.race([proc.exited, Bun.sleep(timeoutMs).then(() => null)]);
    if (code === null) throw new Error(`node ${id} did not exit within ${timeoutMs} ms`);
    this.procs.delete(id);
    allChildren.delete(proc);
    return { code, stderr: readFileSync(`${this.spec(id).logFile}.err`, "utf8") };
  }

  /** stdout of one node's current run. */
  log(id: number): string {
    const f = this.spec(id).logFile;
    return f && existsSync(f) ? readFileSync(f, "utf8") : "";
  }

  async stopAll(): Promise<void> {
    for (const id of this.live()) await this.kill(id);
    for (const proxy of this.links.values()) proxy.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private logTails(): string {
    return this.ids
      .map((id) => {
        const f = this.spec(id).logFile;
        const err = f && existsSync(`${f}.err`) ? readFileSync(`${f}.err`, "utf8").slice(-500) : "";
        return `--- node ${id}: ${this.log(id).split("\n").slice(-5).join("\n")}\n${err}`;
      })
      .join("\n");
  }

  private spec(id: number): NodeSpec {
    const s = this.specs.get(id);
    if (!s) throw new Error(`no node ${id} in this cluster`);
    return s;
  }
}
