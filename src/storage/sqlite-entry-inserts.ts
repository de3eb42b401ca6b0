// Appending a run of log entries with few statement executions: a Ready under load carries 10–20
// entries, and one single-row INSERT per entry paid bun:sqlite's per-call cost (binding from JS,
// the step, the changes object) that many times inside every write transaction. Runs are cut into
// multi-row INSERTs of fixed power-of-two sizes, each prepared once per connection, so any run
// takes at most one statement per size plus one per full block of the largest.
import type { Database, Statement } from "bun:sqlite";
import type { Entry } from "../raft/types.ts";
import { entryChecksum } from "./checksum.ts";
import { StorageError } from "./storage-error.ts";

/** Rows per statement, largest first. 32 rows bind 160 parameters, far below SQLite's bound. */
export const INSERT_RUN_SIZES = [32, 16, 8, 4, 2, 1] as const;

/** Values bound per row: idx, term, type, data, checksum. */
const COLUMNS = 5;

type Bound = number | string | Uint8Array;

export class EntryInserts {
  /** One prepared INSERT per run size, in INSERT_RUN_SIZES order. */
  private readonly statements: Statement<void, Bound[]>[];

  constructor(db: Database) {
    this.statements = INSERT_RUN_SIZES.map((rows) =>
      db.prepare<void, Bound[]>(`INSERT INTO entries (idx, term, type, data, checksum) VALUES ${Array(rows).fill("(?, ?, ?, ?, ?)").join(", ")}`),
    );
  }

  /** Inserts `entries` in order (inside the caller's transaction); throws as SQLite does on a duplicate index. */
  insert(entries: readonly Entry[]): void {
    let at = 0;
    for (let s = 0; s < INSERT_RUN_SIZES.length; s++) {
      const rows = INSERT_RUN_SIZES[s];
      while (entries.length - at >= rows) {
        this.statements[s].run(...rowValues(entries, at, rows));
        at += rows;
      }
    }
    if (at !== entries.length) throw new StorageError("internal", `inserted ${at} of ${entries.length} entries`);
  }

  finalize(): void {
    for (const statement of this.statements) statement.finalize();
  }
}

/** The bound values of `rows` entries from `from` on, row after row, each with its checksum. */
function rowValues(entries: readonly Entry[], from: number, rows: number): Bound[] {
  const values: Bound[] = new Array(rows * COLUMNS);
  for (let i = 0; i < rows; i++) {
    const e = entries[from + i];
    const o = i * COLUMNS;
    values[o] = e.index;
    values[o + 1] = e.term;
    values[o + 2] = e.type;
    values[o + 3] = e.data;
    values[o + 4] = entryChecksum(e.index, e.term, e.type, e.data);
  }
  return values;
}
