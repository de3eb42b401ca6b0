// The node's security material read from disk: the REST API's TLS certificate, key and client CA,
// and the token file. Read at start (a bad file stops the start with a message naming it) and again
// on SIGHUP (a bad file then keeps the old material and says why, so a typo cannot take a running
// node down or open it up).
import { readFileSync } from "node:fs";
import { parseTokenFile, type TokenEntry } from "../auth/token-file.ts";
import { TokenStore } from "../auth/token-store.ts";
import type { TlsMaterial } from "../api/serve.ts";
import { StartupError } from "./cli-errors.ts";
import type { NodeConfig, TlsFiles } from "./node-config.ts";

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

export function readTls(files: TlsFiles): TlsMaterial {
  const cert = readSmall(files.cert, "--tls-cert");
  const key = readSmall(files.key, "--tls-key");
  if (!cert.includes("-----BEGIN CERTIFICATE-----")) throw new StartupError(`--tls-cert ${files.cert} holds no PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new StartupError(`--tls-key ${files.key} holds no PEM private key`);
  const ca = files.clientCa === null ? null : readSmall(files.clientCa, "--tls-client-ca");
  if (ca !== null && !ca.includes("-----BEGIN CERTIFICATE-----")) throw new StartupError(`--tls-client-ca ${files.clientCa} holds no PEM certificate`);
  return { cert, key, clientCa: ca };
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
  tokens: TokenStore | null;
}

export function readSecurity(config: NodeConfig): SecurityState {
  return {
    tls: config.tls ? readTls(config.tls) : null,
    tokens: config.authTokensFile ? new TokenStore(readTokenEntries(config.authTokensFile)) : null,
  };
}
