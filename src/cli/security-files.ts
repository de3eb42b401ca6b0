// The node's security material read from disk: the REST API's TLS certificate, key and client CA,
// the peer transport's certificate, key and CA, and the token file. Read at start (a bad file stops the start with a message naming it) and again
// on SIGHUP (a bad file then keeps the old material and says why, so a typo cannot take a running
// node down or open it up).
import { readFileSync } from "node:fs";
import { parseTokenFile, type TokenEntry } from "../auth/token-file.ts";
import { TokenStore } from "../auth/token-store.ts";
import type { TlsMaterial } from "../api/serve.ts";
import { StartupError } from "./cli-errors.ts";
import type { PeerTlsMaterial } from "../transport/peer-tls.ts";
import type { NodeConfig, PeerTlsFiles, TlsFiles } from "./node-config.ts";

/** A PEM file is small; a larger one is a wrong path (a log, a database), not a certificate. */
const MAX_PEM_BYTES = 1 << 20;

function readSmall(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new StartupError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  if (text.length > MAX_PEM_BYTES) throw new StartupError(`${what} ${path} is over ${MAX_PEM_BYTES} bytes`);
  return text;
}

const PEM_HEADER = { certificate: /-----BEGIN CERTIFICATE-----/, "private key": /-----BEGIN [A-Z ]*PRIVATE KEY-----/ };

/** The PEM text of a flag's file; one without a header of its kind is a wrong file, refused by name. */
function readPem(path: string, flag: string, kind: keyof typeof PEM_HEADER): string {
  const text = readSmall(path, flag);
  if (!PEM_HEADER[kind].test(text)) throw new StartupError(`${flag} ${path} holds no PEM ${kind}`);
  return text;
}

export function readTls(files: TlsFiles): TlsMaterial {
  const cert = readPem(files.cert, "--tls-cert", "certificate");
  const key = readPem(files.key, "--tls-key", "private key");
  const ca = files.clientCa === null ? null : readPem(files.clientCa, "--tls-client-ca", "certificate");
  return { cert, key, clientCa: ca };
}

export function readPeerTls(files: PeerTlsFiles): PeerTlsMaterial {
  return {
    cert: readPem(files.cert, "--peer-tls-cert", "certificate"),
    key: readPem(files.key, "--peer-tls-key", "private key"),
    ca: readPem(files.ca, "--peer-tls-ca", "certificate"),
  };
}

export function readTokenEntries(path: string): TokenEntry[] {
  try {
    return parseTokenFile(readSmall(path, "--auth-tokens"), path);
  } catch (e) {
    throw e instanceof StartupError ? e : new StartupError((e as Error).message);
  }
}

export interface SecurityState {
  tls: TlsMaterial | null;
  peerTls: PeerTlsMaterial | null;
  tokens: TokenStore | null;
}

export function readSecurity(config: NodeConfig): SecurityState {
  return {
    tls: config.tls ? readTls(config.tls) : null,
    peerTls: config.peerTls ? readPeerTls(config.peerTls) : null,
    tokens: config.authTokensFile ? new TokenStore(readTokenEntries(config.authTokensFile)) : null,
  };
}
