// Structured logging: one JSON line per event, always carrying the node id, its current term and
// role so a line can be read alone. Never called per entry or per message (hot paths stay quiet).
import type { NodeId, Role } from "../raft/types.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogSink = (line: string) => void;

export interface LogState {
  term: number;
  role: Role;
}

/** Bound on one line so a huge field (e.g. an error with a payload) cannot flood the sink. */
const MAX_LINE_CHARS = 8192;

export class Logger {
  constructor(
    private readonly node: NodeId,
    private readonly sink: LogSink,
    private readonly state: () => LogState,
    private readonly now: () => number = Date.now,
  ) {}

  info(event: string, fields: Record<string, unknown> = {}): void {
    this.write("info", event, fields);
  }

  warn(event: string, fields: Record<string, unknown> = {}): void {
    this.write("warn", event, fields);
  }

  error(event: string, fields: Record<string, unknown> = {}): void {
    this.write("error", event, fields);
  }

  write(level: LogLevel, event: string, fields: Record<string, unknown>): void {
    const { term, role } = this.state();
    const record = { ts: new Date(this.now()).toISOString(), level, event, node: this.node, term, role, ...fields };
    let line: string;
    try {
      line = JSON.stringify(record, errorAware);
    } catch (e) {
      line = JSON.stringify({ ts: record.ts, level, event, node: this.node, term, role, logError: String(e) });
    }
    this.sink(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);
  }
}

/** Errors serialize as {} by default; keep their code and message. */
function errorAware(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export const silentSink: LogSink = () => {};
