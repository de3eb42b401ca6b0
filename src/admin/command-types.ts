// The shape of a console command and of what it may reach.
import type { TokenStore } from "../auth/token-store.ts";
import type { Clock } from "../metadata/clock.ts";
import type { ConsoleLimits, ConsoleLog, ConsoleMetadata, ConsoleNode } from "./console-options.ts";

/** Per-connection facts and rights. */
export interface SessionState {
  readonly peer: string;
  /** Loopback (or whatever the injected predicate trusts): may change the cluster without a token. */
  readonly trusted: boolean;
  /** Gave the right token with `auth`. */
  authorized: boolean;
  /** Who gave it: the token file's name for the holder, or "admin-token" for --admin-token. */
  who: string | null;
  authFailures: number;
}

export interface CommandContext {
  node: ConsoleNode;
  metadata: ConsoleMetadata;
  session: SessionState;
  token: string | undefined;
  /** Admin tokens of --auth-tokens, also accepted by `auth`. */
  adminTokens: TokenStore | null;
  /** Insecure settings this node started with, shown by `status`. */
  warnings: readonly string[];
  limits: ConsoleLimits;
  clock: Clock;
  log: ConsoleLog;
  /** Every command, for `help`. */
  commands: readonly CommandSpec[];
}

export interface CommandOutput {
  /** Lines without line ends; the session adds CR LF. */
  lines: string[];
  /** Close the session once the lines are out. */
  close?: "quit" | "auth_failed";
}

export interface CommandSpec {
  name: string;
  /** Argument synopsis for help, e.g. "<id>@<host>:<port>"; "" for none. */
  args: string;
  summary: string;
  minArgs: number;
  maxArgs: number;
  /** Changes the cluster: loopback, or a session that gave the token. */
  changesCluster: boolean;
  run(ctx: CommandContext, args: string[]): CommandOutput | Promise<CommandOutput>;
}

export const output = (...lines: string[]): CommandOutput => ({ lines });
