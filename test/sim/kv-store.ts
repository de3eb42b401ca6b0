// The small replicated state machine of the simulation: a map from key to the last value put and
// the log index that put it (the index lets the final check tell whether an acknowledged write
// was kept or legitimately overwritten by a later one).

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface KvCommand {
  key: string;
  value: string;
}

export interface KvCell {
  value: string;
  index: number;
}

export function encodeCommand(c: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify([c.key, c.value]));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  const parsed: unknown = JSON.parse(decoder.decode(data));
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== "string" || typeof parsed[1] !== "string") {
    throw new TypeError(`entry data is not a KV command: ${decoder.decode(data).slice(0, 80)}`);
  }
  return { key: parsed[0], value: parsed[1] };
}

export class KvStore {
  private cells = new Map<string, KvCell>();

  apply(index: number, data: Uint8Array): void {
    const c = decodeCommand(data);
    this.cells.set(c.key, { value: c.value, index });
  }

  get(key: string): string | null {
    return this.cells.get(key)?.value ?? null;
  }

  cell(key: string): KvCell | undefined {
    return this.cells.get(key);
  }

  /** Canonical encoding: keys sorted, so equal states encode to equal bytes. */
  snapshot(): Uint8Array {
    const rows = [...this.cells.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return encoder.encode(JSON.stringify(rows));
  }

  restore(data: Uint8Array): void {
    const rows = data.length === 0 ? [] : (JSON.parse(decoder.decode(data)) as [string, KvCell][]);
    this.cells = new Map(rows);
  }

  digest(): string {
    return decoder.decode(this.snapshot());
  }
}
