// Internal consistency checks: a failure here is a bug in the transport, never bad input.
export class InvariantError extends Error {
  readonly code = "invariant";
  constructor(message: string) {
    super(`transport invariant violated: ${message}`);
    this.name = "InvariantError";
  }
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new InvariantError(message());
}
