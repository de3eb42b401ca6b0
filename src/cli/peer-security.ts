// How a node protects its peer port, from its flags: the peer secret read from
// --peer-secret-file, a look at its own peer certificate, the warning for a cluster whose peers
// talk over a network without a secret or TLS, and the handshake timeout scaled to the node's
// ticks. The transport does the checking; this only prepares what it is given.
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { NodeId } from "../raft/types.ts";
import { certNodeId } from "../transport/peer-tls.ts";
import type { PeerTlsMaterial } from "../transport/peer-tls.ts";
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES } from "../transport/peer-auth.ts";
import { parseAddress } from "../transport/address.ts";
import { StartupError } from "./cli-errors.ts";
import type { NodeConfig } from "./node-config.ts";

type Log = (event: string, fields: Record<string, unknown>) => void;

/**
 * The secret is the file's bytes, less one trailing newline (so `echo … > file` works). Too short
 * to resist guessing, too long to be meant, or unreadable: the node does not start.
 */
export function readPeerSecret(path: string, warn: Log): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new StartupError(`--peer-secret-file: cannot read ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  let end = raw.length;
  if (end > 0 && raw[end - 1] === 0x0a) end--;
  if (end > 0 && raw[end - 1] === 0x0d) end--;
  const secret = raw.slice(0, end);
  if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    throw new StartupError(
      `--peer-secret-file: ${JSON.stringify(path)} holds ${secret.length} bytes; a peer secret must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes (e.g. head -c 32 /dev/urandom | base64 > file)`,
    );
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    warn("peer_secret_file_readable", { file: path, advice: "other users can read the peer secret; chmod 600 it" });
  }
  return secret;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Peers judge this node by its certificate: one that names another node, or that the CA did not
 * sign, is refused by every peer. The node still starts (its REST API and console work, and the
 * operator may be rotating), but says so at once rather than leaving the peers' logs to tell.
 */
export function checkOwnPeerCert(nodeId: NodeId, tls: PeerTlsMaterial, warn: Log): void {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(tls.cert);
    ca = new X509Certificate(tls.ca);
  } catch (e) {
    throw new StartupError(`--peer-tls-cert/--peer-tls-ca: not a readable certificate: ${(e as Error).message}`);
  }
  const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1];
  const named = certNodeId({ subject: { CN: cn }, subjectaltname: cert.subjectAltName ?? "" });
  if (!named.ok || named.certId !== nodeId) {
    const what = named.ok ? `names node ${named.certId}, not node ${nodeId}` : named.reason;
    warn("peer_tls_cert_mismatch", { nodeId, subject: cert.subject, problem: `--peer-tls-cert: ${what}; every peer will refuse this node` });
  }
  if (!cert.verify(ca.publicKey)) {
    warn("peer_tls_cert_untrusted", { subject: cert.subject, issuer: cert.issuer, problem: "--peer-tls-cert is not signed by --peer-tls-ca: every peer will refuse this node" });
  }
}

/** A cluster whose peers are reached over a network and whose peer port takes anyone who knows its cluster id. */
export function warnIfPeerPortOpen(config: NodeConfig, hasSecret: boolean, warn: Log): void {
  if (hasSecret || config.peerTls !== null || !config.peersGiven) return;
  const hosts = [config.listenPeer.host, ...[...config.peers.values()].map((a) => parseAddress(a).host)];
  const exposed = hosts.filter((h) => !isLoopbackHost(h));
  if (exposed.length === 0) return;
  warn("peer_secret_missing", {
    exposed: [...new Set(exposed)],
    advice: "peers are reached over the network without --peer-tls-* or --peer-secret-file: anyone who can reach the peer port and knows the cluster id can join as a peer",
  });
}

/** Bounds of the pre-handshake timeout, whatever the ticks. */
const MIN_HANDSHAKE_TIMEOUT_MS = 2_000;
const MAX_HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * Ten of the longest election timeouts (2 × electionTicks × tickMs), at least 2 s: a real peer
 * finishes its handshake in a round trip or two, and one slower than ten election timeouts could
 * not keep up with elections anyway; a connection that does not finish holds a slot no longer.
 */
export function peerHandshakeTimeoutMs(config: Pick<NodeConfig, "electionTicks" | "tickMs">): number {
  const longestElectionMs = 2 * config.electionTicks * config.tickMs;
  return Math.min(MAX_HANDSHAKE_TIMEOUT_MS, Math.max(MIN_HANDSHAKE_TIMEOUT_MS, 10 * longestElectionMs));
}
