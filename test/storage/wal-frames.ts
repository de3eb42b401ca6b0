// Reads a SQLite WAL file as the pages each commit wrote, and names the b-tree each page belongs to,
// so a test can say what one persist costs on disk (frames are what a commit write()s and what the
// flush then makes durable). Format: https://www.sqlite.org/fileformat2.html#walformat — a 32-byte
// header (page size at 8, salts at 16 and 20), then frames of a 24-byte header (page number at 0,
// the database size after a commit at 4, 0 for the commit's other frames; the salts again at 8 and
// 12) and one page each. Frames whose salts differ are left over from before the WAL started over.
import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

/** The page size the WAL's header names (the database's). */
export function walPageSize(dbPath: string): number {
  const wal = readFileSync(`${dbPath}-wal`);
  if (wal.length < WAL_HEADER_BYTES) throw new Error(`${dbPath}-wal has no header (${wal.length} bytes)`);
  return wal.readUInt32BE(8);
}

/** The page numbers each commit in the WAL wrote, oldest commit first (a commit's unfinished tail is left out). */
export function walCommits(dbPath: string): number[][] {
  const wal = readFileSync(`${dbPath}-wal`);
  if (wal.length < WAL_HEADER_BYTES) return [];
  const pageSize = walPageSize(dbPath);
  const salts = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  const commits: number[][] = [];
  let pending: number[] = [];
  for (let at = WAL_HEADER_BYTES; at + FRAME_HEADER_BYTES + pageSize <= wal.length; at += FRAME_HEADER_BYTES + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salts[0] || wal.readUInt32BE(at + 12) !== salts[1]) break;
    pending.push(wal.readUInt32BE(at));
    if (wal.readUInt32BE(at + 4) !== 0) {
      commits.push(pending);
      pending = [];
    }
  }
  return commits;
}

/** Which table or index each page of the database belongs to now (SQLite's dbstat; page 1 is sqlite_schema). */
export function pageOwners(dbPath: string): Map<number, string> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db.query<{ name: string; pageno: number }, []>("SELECT name, pageno FROM dbstat").all();
    return new Map(rows.map((r) => [r.pageno, r.name]));
  } finally {
    db.close();
  }
}
