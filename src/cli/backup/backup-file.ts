// The backup file of `yakt snapshot save` / `restore`: one JSON header line, then the state
// machine's snapshot bytes. The header carries the snapshot's index and term, its size and the
// SHA-256 the node computed; both sides check size and checksum while streaming the bytes.
import { ClientError } from "../cli-errors.ts";

export const BACKUP_FORMAT = "yakt-backup";
export const BACKUP_VERSION = 1;
/** A header longer than this is not ours. */
const MAX_HEADER_BYTES = 64 * 1024;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  /** The cluster the backup was taken from (restore gives the new cluster its own id). */
  clusterId: string;
  index: number;
  term: number;
  size: number;
  sha256: string;
  createdAt: string;
}

export function encodeHeader(header: BackupHeader): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(header)}\n`);
}

export function checkHeader(value: unknown, file: string): BackupHeader {
  const h = value as Partial<BackupHeader> | null;
  if (h === null || typeof h !== "object" || h.format !== BACKUP_FORMAT) throw new ClientError(`${file} is not a YAKt backup (no ${BACKUP_FORMAT} header)`);
  if (h.version !== BACKUP_VERSION) throw new ClientError(`${file} is backup version ${String(h.version)}; this build reads version ${BACKUP_VERSION}`);
  const ints = [h.index, h.term, h.size];
  if (!ints.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) || (h.index as number) < 1) {
    throw new ClientError(`${file}: the header's index, term or size is not a valid count`);
  }
  if (typeof h.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(h.sha256)) throw new ClientError(`${file}: the header's sha256 is not a SHA-256 in hex`);
  if (typeof h.clusterId !== "string") throw new ClientError(`${file}: the header names no cluster id`);
  return h as BackupHeader;
}

/** Reads the header and the bytes after it, checking their size and SHA-256 as they stream in. */
export async function readBackup(file: string): Promise<{ header: BackupHeader; data: Uint8Array }> {
  const blob = Bun.file(file);
  if (!(await blob.exists())) throw new ClientError(`no backup file ${file}`);
  const head = new Uint8Array(await blob.slice(0, MAX_HEADER_BYTES).arrayBuffer());
  const newline = head.indexOf(10);
  if (newline < 0) throw new ClientError(`${file} is not a YAKt backup (no header line in its first ${MAX_HEADER_BYTES} bytes)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(head.subarray(0, newline)));
  } catch {
    throw new ClientError(`${file} is not a YAKt backup (its header is not JSON)`);
  }
  const header = checkHeader(parsed, file);
  const body = blob.slice(newline + 1);
  if (body.size !== header.size) throw new ClientError(`${file} holds ${body.size} snapshot bytes, its header says ${header.size}: truncated or damaged`);
  const hasher = new Bun.CryptoHasher("sha256");
  const data = new Uint8Array(header.size);
  let at = 0;
  for await (const chunk of body.stream()) {
    hasher.update(chunk);
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  const sha256 = hasher.digest("hex");
  if (sha256 !== header.sha256) throw new ClientError(`${file}: checksum mismatch (SHA-256 ${sha256}, header says ${header.sha256}): the file is damaged`);
  return { header, data };
}
