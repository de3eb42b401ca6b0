// The operator console over plain TCP (telnet or nc): `startConsole` listens, admits up to
// maxSessions sessions (remote peers up to maxSessions minus the slots kept for loopback, so
// idle remote connections can never lock an operator on the node out) and hands each
// connection's bytes to its ConsoleSession.
import type { Socket, TCPSocketListener } from "bun";
import { systemClock } from "../metadata/clock.ts";
import { COMMANDS } from "./command-table.ts";
import type { CommandContext } from "./command-types.ts";
import { type ConsoleLog, type ConsoleOptions, checkOptions, resolveLimits } from "./console-options.ts";
import { BusyError, ListenError } from "./errors.ts";
import { isLoopbackAddress } from "./peer-address.ts";
import { ConsoleSession, type SessionSocket } from "./session.ts";
import { describeError, formatDuration } from "./text.ts";

export interface ConsoleServer {
  /** The port listened on (the chosen one when started with port 0). */
  readonly port: number;
  /** Says goodbye to every session and stops listening. */
  stop(): void;
}

interface Connection {
  session: ConsoleSession | null;
}

const quiet: ConsoleLog = () => {};

/** Seconds a refused connection may stay half-open after its one line. */
const REFUSED_LINGER_S = 5;

export async function startConsole(opts: ConsoleOptions): Promise<ConsoleServer> {
  checkOptions(opts);
  const limits = resolveLimits(opts.limits);
  const log = opts.log ?? quiet;
  const clock = opts.clock ?? systemClock();
  const trusted = opts.isTrustedPeer ?? isLoopbackAddress;
  /** Each open session, and whether its peer is trusted (loopback). */
  const sessions = new Map<ConsoleSession, boolean>();
  const remoteSessions = () => [...sessions.values()].filter((isTrusted) => !isTrusted).length;

  /** Why this peer gets no session now, or null when it may have one. */
  const refusalFor = (isTrusted: boolean): BusyError | null => {
    if (sessions.size >= limits.maxSessions) {
      return new BusyError(`too many console sessions (max ${limits.maxSessions}); try again later`);
    }
    const remoteMax = limits.maxSessions - limits.loopbackReservedSessions;
    if (!isTrusted && remoteSessions() >= remoteMax) {
      const idle = formatDuration(limits.unauthenticatedIdleTimeoutMs);
      return new BusyError(
        `all ${remoteMax} console sessions for remote peers are in use (${limits.loopbackReservedSessions} more kept for loopback); sessions idle without auth close after ${idle}; try again later`,
      );
    }
    return null;
  };

  const open = (socket: Socket<Connection>) => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const isTrusted = trusted(socket.remoteAddress);
    const refusal = refusalFor(isTrusted);
    if (refusal) {
      log("console_session_refused", { peer, trusted: isTrusted, sessions: sessions.size });
      socket.end(`error: ${describeError(refusal)}\r\n`);
      // Half-open sockets are allowed, so a refused peer that never closes its side is cut off.
      socket.timeout(REFUSED_LINGER_S);
      return;
    }
    const ctx: CommandContext = {
      node: opts.handle,
      metadata: opts.service,
      session: { peer, trusted: isTrusted, authorized: false, authFailures: 0, who: null },
      token: opts.token,
      adminTokens: opts.adminTokens ?? null,
      warnings: opts.warnings ?? [],
      limits,
      clock,
      log,
      commands: COMMANDS,
    };
    const session = new ConsoleSession(asSessionSocket(socket), ctx, (reason) => {
      sessions.delete(session);
      log("console_session_closed", { peer, reason });
    });
    sessions.set(session, isTrusted);
    socket.data.session = session;
    log("console_session_opened", { peer, trusted: ctx.session.trusted });
    session.start();
  };

  // Socket callbacks must never throw: a fault in one session may not reach the others or the node.
  const guard =
    <A extends unknown[]>(what: string, fn: (socket: Socket<Connection>, ...args: A) => void) =>
    (socket: Socket<Connection>, ...args: A) => {
      try {
        fn(socket, ...args);
      } catch (error) {
        log("console_error", { in: what, error: describeError(error) });
        socket.terminate();
      }
    };

  let listener: TCPSocketListener<Connection>;
  try {
    listener = Bun.listen<Connection>({
      hostname: opts.host,
      port: opts.port,
      data: { session: null } as Connection,
      // A client that half-closes after its commands (`echo status | nc -N`) still gets the answers.
      allowHalfOpen: true,
      socket: {
        open: guard("open", (socket) => {
          socket.data = { session: null };
          open(socket);
        }),
        data: guard("data", (socket, chunk: Uint8Array) => socket.data.session?.receive(chunk)),
        drain: guard("drain", (socket) => socket.data.session?.drain()),
        end: guard("end", (socket) => {
          if (socket.data.session) socket.data.session.endOfInput();
          else socket.end();
        }),
        close: guard("close", (socket) => socket.data.session?.closedBySocket()),
        error: guard("error", (socket, error: Error) => {
          log("console_socket_error", { error: describeError(error) });
          socket.data.session?.closedBySocket();
        }),
      },
    });
  } catch (error) {
    throw new ListenError(opts.host, opts.port, error);
  }
  log("console_listening", { host: opts.host, port: listener.port });

  return {
    port: listener.port,
    stop() {
      // The farewell is written first; closing the connections then still delivers what the
      // kernel holds, and no session (nor its idle timer) outlives the console.
      for (const session of [...sessions.keys()]) session.shutdown();
      listener.stop(true);
      log("console_stopped", { port: listener.port });
    },
  };
}

function asSessionSocket(socket: Socket<Connection>): SessionSocket {
  return {
    write: (data) => socket.write(data),
    end: () => {
      socket.end();
    },
    terminate: () => socket.terminate(),
  };
}
