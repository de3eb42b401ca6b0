// Warnings for a node reachable from other machines without protection: it still starts (an
// operator may have a firewall or a private network we cannot see), but says so at start-up and in
// the console's `status`, naming the listener and what is missing: the REST API, the console and
// the peer port.
import { isLoopbackAddress } from "../admin/peer-address.ts";
import type { NodeConfig } from "./node-config.ts";

const isLocal = (host: string) => host === "localhost" || isLoopbackAddress(host);

export function exposureWarnings(config: NodeConfig): string[] {
  const warnings: string[] = [];
  const http = `${config.listenHttp.host}:${config.listenHttp.port}`;
  if (!isLocal(config.listenHttp.host)) {
    const missing = [config.tls ? null : "TLS (--tls-cert/--tls-key)", config.authTokensFile ? null : "tokens (--auth-tokens)"].filter(Boolean);
    if (missing.length > 0) warnings.push(`REST API on ${http} is reachable from other machines without ${missing.join(" and without ")}`);
  }
  if (!isLocal(config.listenAdmin.host) && config.adminToken === null && config.authTokensFile === null) {
    warnings.push(`console on ${config.listenAdmin.host}:${config.listenAdmin.port} is reachable from other machines; without a token remote sessions are read-only`);
  }
  const peer = config.listenPeer;
  if (!isLocal(peer.host) && config.peerTls === null && config.peerSecretFile === null) {
    warnings.push(
      `peer port on ${peer.host}:${peer.port} is reachable from other machines without peer TLS (--peer-tls-cert/--peer-tls-key/--peer-tls-ca) or a peer secret (--peer-secret-file): anyone who knows the cluster id can join as a peer`,
    );
  }
  return warnings;
}
