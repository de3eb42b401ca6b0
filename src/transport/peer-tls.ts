// Mutual TLS on the peer port: the Bun `tls` options of both roles, and the node id a peer's
// certificate names. Every peer certificate is checked against the cluster's CA on both sides, and
// names the node that holds it as CN=yakt-node-<id> (or a SAN URI:yakt:node:<id>); the handshake
// (handshake.ts) then insists that the id a peer claims is the one its certificate names.
import type { NodeId } from "../raft/types.ts";

/** PEM text of this node's certificate and key, and of the CA every peer certificate must chain to. */
export interface PeerTlsMaterial {
  cert: string;
  key: string;
  ca: string;
}

/**
 * Holds the material new connections use. SIGHUP swaps `material`; established connections keep
 * the session they negotiated.
 */
export interface PeerTlsState {
  material: PeerTlsMaterial;
}

/**
 * Bun reports the TLS outcome through `handshake(socket, success, authorizationError)`; with
 * Bun 1.4.4 a server may see success=true *and* an authorizationError (a client certificate from
 * another CA), so the transport judges both itself (tlsOutcome) and never relies on these options
 * to refuse. The listener asks for a certificate but leaves the verdict to the transport
 * (rejectUnauthorized: false): Bun would otherwise cut the session before the transport could send
 * the refused node a refusal saying why (the CA check itself is the same either way; the verdict is
 * read from authorizationError, and nothing the dialer sends is read before it).
 */
export function listenerTlsOptions(m: PeerTlsMaterial) {
  return { cert: m.cert, key: m.key, ca: m.ca, requestCert: true, rejectUnauthorized: false };
}

export function dialerTlsOptions(m: PeerTlsMaterial) {
  return { cert: m.cert, key: m.key, ca: m.ca, rejectUnauthorized: true };
}

/** What a finished TLS handshake proved: a usable session whose peer certificate names `certId`. */
export type TlsOutcome = { ok: true; certId: NodeId } | { ok: false; reason: string };

const CN_PATTERN = /^yakt-node-([1-9][0-9]{0,9})$/;
const SAN_PATTERN = /(?:^|,\s*)URI:yakt:node:([1-9][0-9]{0,9})(?=,|$)/g;
const MAX_NODE_ID = 0xffff_ffff;

interface PeerCertificate {
  subject?: { CN?: unknown };
  subjectaltname?: unknown;
}

/** The outcome of one TLS handshake, judged by this side: the CA verdict first, then the identity. */
export function tlsOutcome(success: boolean, authorizationError: Error | null | undefined, cert: PeerCertificate | null | undefined): TlsOutcome {
  if (authorizationError) return { ok: false, reason: `the peer's certificate is not trusted: ${authorizationError.message}` };
  if (!success) return { ok: false, reason: "the TLS handshake failed" };
  return certNodeId(cert);
}

/** The one node id a certificate names; a certificate naming none, or two different ones, names none. */
export function certNodeId(cert: PeerCertificate | null | undefined): TlsOutcome {
  if (!cert || typeof cert !== "object") return { ok: false, reason: "the peer presented no certificate" };
  const ids = new Set<number>();
  const cn = typeof cert.subject?.CN === "string" ? cert.subject.CN : "";
  const fromCn = CN_PATTERN.exec(cn);
  if (fromCn) ids.add(Number(fromCn[1]));
  const san = typeof cert.subjectaltname === "string" ? cert.subjectaltname : "";
  for (const m of san.matchAll(SAN_PATTERN)) ids.add(Number(m[1]));
  const valid = [...ids].filter((id) => id <= MAX_NODE_ID);
  if (valid.length === 1) return { ok: true, certId: valid[0] as NodeId };
  if (valid.length === 0) {
    return { ok: false, reason: `the peer's certificate (CN=${JSON.stringify(cn)}) names no node: expected CN=yakt-node-<id> or SAN URI:yakt:node:<id>` };
  }
  return { ok: false, reason: `the peer's certificate names several nodes (${valid.join(", ")})` };
}
