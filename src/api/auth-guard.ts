// Bearer tokens with roles on every route (`--auth-tokens`): no token or an unknown one is 401,
// too small a role is 403, both as JSON errors and before any work is done; /healthz stays open.
// Changes only an admin may make to the cluster's shape leave an audit line naming who made them.
// One check serves both paths a request can take: Elysia's onRequest hook and the fast routes
// ahead of it (fast-route.ts), so both refuse alike and the audit line finds the same caller.
import { Elysia } from "elysia";
import { allows, requiredRole } from "../auth/roles.ts";
import type { Caller, TokenStore } from "../auth/token-store.ts";
import { ForbiddenError, UnauthorizedError } from "./api-error.ts";
import type { ApiLogger } from "./http-hooks.ts";
import { pathOf } from "./request-path.ts";

export interface AuthGuardOptions {
  /** null: no --auth-tokens, every caller may do everything (the loopback default). */
  tokens: TokenStore | null;
  /** Where audit lines go (the node's log). */
  audit: ApiLogger;
  now?: () => number;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,1024})$/;

/**
 * Admin changes worth an audit line, by method (paths): membership, snapshots, deletions,
 * leadership moves. By method so that the writes of every second (a broker update, a topic, a
 * producer id) test a pattern or three, not every one.
 */
const AUDITED: ReadonlyMap<string, readonly RegExp[]> = new Map([
  ["POST", [/^\/v1\/cluster\//, /^\/v1\/snapshots$/, /^\/v1\/(topics\/[^/]+\/partitions\/[^/]+\/elect-leader|elect-leaders)$/]],
  ["DELETE", [/^\/v1\/cluster\//, /^\/v1\/(topics|brokers)\/[^/]+$/, /^\/v1\/topics\/[^/]+\/partitions\/[^/]+\/replicas$/]],
  ["PUT", [/^\/v1\/topics\/[^/]+\/partitions\/[^/]+\/replicas$/]],
  ["PATCH", [/^\/unregister_broker\/[^/]+$/]],
]);

function authenticate(tokens: TokenStore, header: string | null): Caller {
  if (header === null) throw new UnauthorizedError("this node requires a token: send Authorization: Bearer <token>");
  const match = BEARER.exec(header);
  if (!match) throw new UnauthorizedError("the Authorization header must be Bearer <token>");
  const caller = tokens.identify(match[1]);
  if (!caller) throw new UnauthorizedError("the token is not known to this node");
  return caller;
}

/** Where a request was answered from, for the audit line (Elysia's server, absent under app.handle). */
export type AnswerServer = { requestIP(request: Request): { address: string } | null } | null | undefined;

/** Throws UnauthorizedError or ForbiddenError for a request its token does not allow; remembers the caller for the audit line. */
export type RequestCheck = (request: Request) => void;

export interface AuthGuard {
  /** The plugin: checks the token of every request (nothing at all without --auth-tokens). */
  plugin: Elysia<"", any>;
  /** The plugin's check, for the routes served ahead of Elysia; null without --auth-tokens (every request allowed). */
  check: RequestCheck | null;
  /**
   * Called once per answered request with its final status (http-hooks.ts, where every answer is
   * counted): writes the audit line of an admin change. Not an onAfterResponse hook: Elysia runs
   * those in a setImmediate closure per request, a few µs of every write's CPU.
   */
  audit(request: Request, status: number, server: AnswerServer): void;
}

function requestCheck(tokens: TokenStore, callers: WeakMap<Request, Caller>): RequestCheck {
  return (request) => {
    const path = pathOf(request.url);
    const needed = requiredRole(request.method, path);
    if (needed === null) return;
    const caller = authenticate(tokens, request.headers.get("authorization"));
    if (!allows(caller.role, needed)) throw new ForbiddenError(needed, caller.role, `${request.method} ${path}`);
    callers.set(request, caller);
  };
}

export function authGuard({ tokens, audit, now = Date.now }: AuthGuardOptions): AuthGuard {
  const callers = new WeakMap<Request, Caller>();
  const plugin = new Elysia({ name: "yakt-auth-guard" });
  const check = tokens === null ? null : requestCheck(tokens, callers);
  if (check !== null) plugin.onRequest(({ request }) => check(request));
  return {
    plugin,
    check,
    audit(request, status, server) {
      // Reads are never audited: the hot path pays one look-up, not a URL and the patterns.
      const patterns = AUDITED.get(request.method);
      if (patterns === undefined) return;
      const path = pathOf(request.url);
      if (!patterns.some((r) => r.test(path))) return;
      const what = `${request.method} ${path}`;
      const caller = callers.get(request);
      const from = server?.requestIP(request)?.address ?? "unknown";
      const who = caller ? caller.name : "anonymous";
      audit("audit", { who, role: caller?.role ?? "admin", from, what, status, at: new Date(now()).toISOString() });
    },
  };
}
