// Certificates for the TLS tests, made at test time by scripts/make-certs.sh (openssl): a private
// CA, node-N.crt/.key (CN=yakt-node-N) for each node and client.crt/.key, in `out`.
import { resolve } from "node:path";

const SCRIPT = resolve(import.meta.dir, "../../scripts/make-certs.sh");

/** Run make-certs.sh into `out` (an existing CA there is kept, so this re-issues the leaf certificates). */
export function makeCerts(out: string, nodes = 3): void {
  const made = Bun.spawnSync(["bash", SCRIPT, out, String(nodes)], { stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  if (made.exitCode !== 0) throw new Error(`make-certs.sh ${out} ${nodes} failed: ${made.stderr.toString()}`);
}
