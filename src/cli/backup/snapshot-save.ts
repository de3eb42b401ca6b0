// `yakt snapshot save <file>`: asks a node for a consistent snapshot (POST /v1/snapshots/backup)
// and streams it into <file>.part while checking its size and SHA-256, fsyncs, then renames it
// into place, so <file> is either a whole, verified backup or untouched.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { BACKUP_HEADERS } from "../../api/routes/backup.ts";
import { ClientError } from "../cli-errors.ts";
import type { HttpClient } from "../client/http-client.ts";
import { BACKUP_FORMAT, BACKUP_VERSION, type BackupHeader, checkHeader, encodeHeader } from "./backup-file.ts";

/** A download that receives nothing for this long is abandoned. */
export const STALL_TIMEOUT_MS = 30_000;

export async function saveSnapshot(client: HttpClient, file: string): Promise<BackupHeader> {
  const abort = new AbortController();
  let stall = setTimeout(() => abort.abort(), STALL_TIMEOUT_MS);
  const part = `${file}.part`;
  let fd: number | null = null;
  try {
    const res = await client.stream("POST", "/v1/snapshots/backup", abort.signal);
    const header = headerOf(res, client.server);
    fd = openSync(part, "w", 0o600);
    writeSync(fd, encodeHeader(header));
    const hasher = new Bun.CryptoHasher("sha256");
    let size = 0;
    for await (const chunk of res.body as ReadableStream<Uint8Array>) {
      clearTimeout(stall);
      stall = setTimeout(() => abort.abort(), STALL_TIMEOUT_MS);
      hasher.update(chunk);
      writeSync(fd, chunk);
      size += chunk.byteLength;
    }
    const sha256 = hasher.digest("hex");
    if (size !== header.size || sha256 !== header.sha256) {
      throw new ClientError(`the snapshot from ${client.server} arrived damaged (${size} of ${header.size} bytes, SHA-256 ${sha256}, expected ${header.sha256})`);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(part, file);
    return header;
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(part, { force: true });
    if (e instanceof ClientError) throw e;
    const why = abort.signal.aborted ? `nothing arrived for ${STALL_TIMEOUT_MS} ms` : (e as Error).message;
    throw new ClientError(`snapshot save to ${file} failed: ${why}`);
  } finally {
    clearTimeout(stall);
  }
}

function headerOf(res: Response, server: string): BackupHeader {
  const h = (name: string) => res.headers.get(name) ?? "";
  return checkHeader(
    {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      clusterId: h(BACKUP_HEADERS.clusterId),
      index: Number(h(BACKUP_HEADERS.index)),
      term: Number(h(BACKUP_HEADERS.term)),
      size: Number(h(BACKUP_HEADERS.size)),
      sha256: h(BACKUP_HEADERS.sha256),
      createdAt: new Date().toISOString(),
    },
    `the answer of ${server}`,
  );
}
