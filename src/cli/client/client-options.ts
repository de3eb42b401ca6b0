// The options every client subcommand shares (--server, --output, and for secured nodes --token,
// --cacert and the client certificate --cert/--key), parsed with the subcommand's own flags and
// positionals.
import { parseArgs } from "node:util";
import { UsageError } from "../cli-errors.ts";
import { integerRange, negativeValuesJoined } from "../int-flag.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:8080";

export type OutputFormat = "table" | "json";

export interface ClientOptions {
  /** Base URL of any node's REST API, without a trailing slash. */
  server: string;
  output: OutputFormat;
  /** Bearer token (--token, else $YAKT_TOKEN); sent once the nodes check tokens. */
  token: string | null;
  /** PEM file of the CA that signed the nodes' certificates (--cacert), for https servers. */
  cacert: string | null;
  /** PEM client certificate and its key (--cert/--key), for nodes that require one (--tls-client-ca). */
  cert: string | null;
  key: string | null;
}

export type FlagTypes = Record<string, { type: "string" | "boolean" }>;

export interface ParsedClientArgs {
  options: ClientOptions;
  positionals: string[];
  flags: Record<string, string | boolean | undefined>;
}

const COMMON_FLAGS = {
  server: { type: "string" },
  output: { type: "string" },
  token: { type: "string" },
  cacert: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
} as const;

/** `extra` names the subcommand's own flags; unknown flags are a UsageError naming `what`. */
export function parseClientArgs(
  what: string,
  args: string[],
  extra: FlagTypes = {},
  env: Record<string, string | undefined> = process.env,
): ParsedClientArgs {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    const options: FlagTypes = { ...COMMON_FLAGS, ...extra };
    parsed = parseArgs({ args: negativeValuesJoined(args, options), options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message.split("\n")[0]} (see yakt --help)`);
  }
  const v = parsed.values;
  return { options: toOptions(v, env), positionals: parsed.positionals, flags: v };
}

function toOptions(v: Record<string, string | boolean | undefined>, env: Record<string, string | undefined>): ClientOptions {
  const server = serverUrl((v.server as string | undefined) ?? (env.YAKT_SERVER || DEFAULT_SERVER));
  const output = (v.output as string | undefined) ?? "table";
  if (output !== "table" && output !== "json") throw new UsageError(`--output: expected table or json, got "${output}"`);
  const token = (v.token as string | undefined) ?? (env.YAKT_TOKEN || null);
  if (token !== null && !/^\S{1,1024}$/.test(token)) throw new UsageError("--token: expected 1..1024 characters without whitespace");
  const [cert, key] = [fileOption(v, "cert"), fileOption(v, "key")];
  if ((cert === null) !== (key === null)) throw new UsageError("--cert and --key go together: give both or neither");
  if (cert !== null && !server.startsWith("https:")) throw new UsageError("--cert/--key need an https:// --server");
  return { server, output, token, cacert: fileOption(v, "cacert"), cert, key };
}

function fileOption(v: Record<string, string | boolean | undefined>, flag: string): string | null {
  const value = v[flag] as string | undefined;
  if (value === undefined) return null;
  if (value.trim() === "") throw new UsageError(`--${flag}: must name a file`);
  return value;
}

function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server: expected a URL such as ${DEFAULT_SERVER}, got "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--server: expected http:// or https://, got "${text}"`);
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** Exactly `count` positionals, or a UsageError showing the usage line. */
export function positionals(what: string, given: string[], names: string[]): string[] {
  if (given.length !== names.length) {
    const shape = names.map((n) => `<${n}>`).join(" ");
    throw new UsageError(`usage: yakt ${what}${shape ? ` ${shape}` : ""} (got ${given.length} argument${given.length === 1 ? "" : "s"})`);
  }
  return given;
}

/** An optional integer flag of a client command, checked against its range. */
export function intOption(flag: string, text: string | boolean | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== "string" || !/^\d{1,15}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${flag}: expected ${integerRange(min, max)}, got "${String(text)}"`);
  }
  return Number(text);
}
