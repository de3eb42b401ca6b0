// Errors of the console. `code` is stable; the message says what was wrong and with which value,
// and is shown to the operator as one `error: ...` line.

export type ConsoleErrorCode =
  | "unknown_command"
  | "bad_argument"
  | "forbidden"
  | "timeout"
  | "busy"
  | "bad_config"
  | "listen_failed";

export class ConsoleError extends Error {
  constructor(
    readonly code: ConsoleErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class UnknownCommandError extends ConsoleError {
  constructor(name: string) {
    super("unknown_command", `unknown command "${name}"; type "help" for the list`);
  }
}

export class ArgumentError extends ConsoleError {
  constructor(message: string) {
    super("bad_argument", message);
  }
}

export class ForbiddenError extends ConsoleError {
  constructor(message: string) {
    super("forbidden", message);
  }
}

export class CommandTimeoutError extends ConsoleError {
  constructor(command: string, ms: number) {
    super("timeout", `"${command}" did not finish within ${ms} ms; it may still complete on the node`);
  }
}

export class BusyError extends ConsoleError {
  constructor(message: string) {
    super("busy", message);
  }
}

export class ConsoleConfigError extends ConsoleError {
  constructor(message: string) {
    super("bad_config", message);
  }
}

export class ListenError extends ConsoleError {
  constructor(host: string, port: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("listen_failed", `cannot listen on ${host}:${port}: ${reason}`);
  }
}
