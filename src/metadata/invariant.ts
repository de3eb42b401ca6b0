// Internal consistency checks of the metadata layer: a failure here is a bug, never bad input.
export class MetadataInvariantError extends Error {
  readonly code = "invariant";
  constructor(message: string) {
    super(`metadata invariant violated: ${message}`);
    this.name = "MetadataInvariantError";
  }
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new MetadataInvariantError(message());
}
