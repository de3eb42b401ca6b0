// What startConsole takes, the limits it enforces and their defaults.
import type { TokenStore } from "../auth/token-store.ts";
import type { Clock } from "../metadata/clock.ts";
import type { MetadataService } from "../metadata/service-types.ts";
import type { ConsensusHandle } from "../node/contracts.ts";
import { ConsoleConfigError } from "./errors.ts";

/** The part of the node the console uses. */
export type ConsoleNode = Pick<
  ConsensusHandle,
  | "nodeId"
  | "clusterId"
  | "status"
  | "snapshotNow"
  | "listSnapshots"
  | "transferLeader"
  | "addVoter"
  | "removeMember"
  | "metrics"
>;

/** The part of the metadata service the console uses (reads only). */
export type ConsoleMetadata = Pick<MetadataService, "listBrokers" | "getBroker" | "leaderCounts" | "listTopics" | "getTopic" | "log">;

export type ConsoleLog = (event: string, fields: Record<string, unknown>) => void;

export interface ConsoleLimits {
  /** Concurrent sessions; one more gets a one-line refusal and is closed. */
  maxSessions: number;
  /** Longest accepted line in bytes; a longer one is discarded with an error. */
  maxLineBytes: number;
  /** Output a session may hold that its client has not read yet; past it the session is dropped. */
  maxQueuedOutputBytes: number;
  /** Sessions kept for loopback peers: remote ones may hold at most maxSessions minus these. */
  loopbackReservedSessions: number;
  /** A session with no input for this long is closed. */
  idleTimeoutMs: number;
  /**
   * The shorter idle bound of a session that holds no rights yet (remote, no `auth`): such
   * sessions cost an attacker nothing, so they may not sit on slots for the full idle bound.
   */
  unauthenticatedIdleTimeoutMs: number;
  /** A command waiting on the node longer than this gets an error (the node may still finish it). */
  commandTimeoutMs: number;
  /** Lines typed ahead while a command runs; more are refused. */
  maxPendingLines: number;
  /** Wrong `auth` tokens before the session is closed. */
  maxAuthFailures: number;
  /** Most records one `log` command shows. */
  maxLogRecords: number;
}

export const DEFAULT_LIMITS: Readonly<ConsoleLimits> = {
  maxSessions: 16,
  loopbackReservedSessions: 1,
  maxLineBytes: 4096,
  maxQueuedOutputBytes: 1 << 20,
  idleTimeoutMs: 5 * 60_000,
  unauthenticatedIdleTimeoutMs: 60_000,
  commandTimeoutMs: 30_000,
  maxPendingLines: 32,
  maxAuthFailures: 3,
  maxLogRecords: 1000,
};

export interface ConsoleOptions {
  handle: ConsoleNode;
  service: ConsoleMetadata;
  host: string;
  /** 0 picks a free port (see the returned port). */
  port: number;
  /** When set, non-loopback sessions may change the cluster after `auth <token>`. */
  token?: string;
  /** --auth-tokens: its admin tokens are accepted by `auth` too. */
  adminTokens?: TokenStore | null;
  /** Insecure settings of this node, shown by `status`. */
  warnings?: readonly string[];
  limits?: Partial<ConsoleLimits>;
  log?: ConsoleLog;
  /** Which peer addresses count as local; loopback by default. Tests inject it. */
  isTrustedPeer?: (address: string) => boolean;
  /** Time for the idle and command timeouts; the real clock by default. */
  clock?: Clock;
}

const MAX_TOKEN_CHARS = 1024;

export function resolveLimits(given: Partial<ConsoleLimits> = {}): ConsoleLimits {
  const limits = { ...DEFAULT_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ConsoleConfigError(`console limit ${name} must be a positive integer, got ${value}`);
    }
  }
  if (limits.loopbackReservedSessions > limits.maxSessions) {
    throw new ConsoleConfigError(
      `console limit loopbackReservedSessions (${limits.loopbackReservedSessions}) exceeds maxSessions (${limits.maxSessions})`,
    );
  }
  return limits;
}

export function checkOptions(opts: ConsoleOptions): void {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new ConsoleConfigError(`console port must be an integer in 0..65535, got ${opts.port}`);
  }
  if (opts.host.trim() === "") throw new ConsoleConfigError(`console host must not be empty, got "${opts.host}"`);
  const token = opts.token;
  if (token !== undefined && (token.length === 0 || token.length > MAX_TOKEN_CHARS || /\s/.test(token))) {
    throw new ConsoleConfigError(
      `console token must be 1..${MAX_TOKEN_CHARS} characters without whitespace, got ${token.length} characters`,
    );
  }
}
