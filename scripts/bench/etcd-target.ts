// The etcd side of the benchmark (only when the `etcd` binary is installed): a 3-member cluster on
// loopback, writes as PUT of 200-byte values through its HTTP JSON gateway (/v3/kv/put).
import { type Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts } from "../../test/node/support/free-ports.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { PAYLOAD_CHARS } from "./payload.ts";

export function etcdBinary(): string | null {
  return Bun.which("etcd");
}

export class EtcdTarget {
  private readonly dir = mkdtempSync(join(tmpdir(), "yakt-bench-etcd-"));
  private readonly procs: Subprocess[] = [];
  private clientPorts: number[] = [];
  private readonly value = btoa("v".repeat(PAYLOAD_CHARS));

  constructor(private readonly binary: string) {}

  async start(): Promise<void> {
    const ports = freePorts(6);
    this.clientPorts = ports.slice(0, 3);
    const peerPorts = ports.slice(3);
    const initial = peerPorts.map((p, i) => `m${i}=http://127.0.0.1:${p}`).join(",");
    for (let i = 0; i < 3; i++) {
      const proc = Bun.spawn(
        [
          this.binary,
          ...["--name", `m${i}`, "--data-dir", join(this.dir, `m${i}`)],
          ...["--listen-client-urls", `http://127.0.0.1:${this.clientPorts[i]}`],
          ...["--advertise-client-urls", `http://127.0.0.1:${this.clientPorts[i]}`],
          ...["--listen-peer-urls", `http://127.0.0.1:${peerPorts[i]}`],
          ...["--initial-advertise-peer-urls", `http://127.0.0.1:${peerPorts[i]}`],
          ...["--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", "bench"],
        ],
        { stdout: "ignore", stderr: "ignore", stdin: "ignore" },
      );
      this.procs.push(proc);
    }
    await waitUntil("etcd to accept a put", () => this.write("warmup", 0), 30_000, 100);
  }

  write(run: string, seq: number): Promise<boolean> {
    return this.call(seq, "put", { key: btoa(`${run}-${seq}`), value: this.value });
  }

  /** A put to one of `keys` keys: the state stays the same size (the steady rows). */
  overwrite(seq: number, keys: number): Promise<boolean> {
    return this.call(seq, "put", { key: btoa(`k${seq % keys}`), value: this.value });
  }

  /** A linearizable range read (etcd's default) of one key, on member `seq % 3`. */
  read(seq: number, keys: number): Promise<boolean> {
    return this.call(seq, "range", { key: btoa(`k${seq % keys}`) });
  }

  pids(): number[] {
    return this.procs.map((p) => p.pid);
  }

  private async call(seq: number, op: "put" | "range", body: unknown): Promise<boolean> {
    const port = this.clientPorts[seq % this.clientPorts.length];
    const res = await fetch(`http://127.0.0.1:${port}/v3/kv/${op}`, { method: "POST", body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) }).catch(() => null);
    if (!res) return false;
    await res.arrayBuffer();
    return res.status === 200;
  }

  async stop(): Promise<void> {
    for (const p of this.procs) p.kill("SIGKILL");
    await Promise.all(this.procs.map((p) => p.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
