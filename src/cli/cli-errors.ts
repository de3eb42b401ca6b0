// Errors that end the process before or during start-up. Each carries the exit code the process
// leaves with: 2 for a bad command line, 1 for a node that cannot start as asked.

export class UsageError extends Error {
  readonly code = "usage";
  readonly exitCode = 2;
}

export class StartupError extends Error {
  readonly code = "startup";
  readonly exitCode = 1;
}

/** A client command (`yakt topics …`, `yakt snapshot save …`) failed: server unreachable, 4xx/5xx, bad file. */
export class ClientError extends Error {
  readonly code = "client";
  readonly exitCode = 1;
}
