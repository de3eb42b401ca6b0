// POST /v1/snapshots/backup: a consistent snapshot of the live cluster for `yakt snapshot save`.
// After a read barrier the node snapshots its state machine (writes go on meanwhile: the encoder
// works on a captured image) unless its latest snapshot already covers the barrier, then streams
// that snapshot's bytes with its index, term and SHA-256 in headers.
import { Elysia } from "elysia";
import type { ConsensusHandle } from "../../node/contracts.ts";
import type { SnapshotMeta } from "../../raft/types.ts";
import type { ApiDeps } from "../deps.ts";
import { refuseIdempotencyKey } from "../idempotency.ts";
import { EmptyBody } from "../schemas/fields.ts";
import { EmptyQuery } from "../schemas/queries.ts";

/** Why the backup takes no key: what a retry does instead. */
const BACKUP_UNKEYED = "a backup reads the cluster and writes nothing replicated, so there is no first answer to repeat; a retry streams a snapshot covering every write committed before it";

/** Bytes handed to the socket per pull, so a large snapshot goes out as the client reads it. */
const SLICE_BYTES = 256 * 1024;

export const BACKUP_HEADERS = {
  index: "x-yakt-snapshot-index",
  term: "x-yakt-snapshot-term",
  sha256: "x-yakt-snapshot-sha256",
  /** The byte count (content-length may be dropped when the body is streamed). */
  size: "x-yakt-snapshot-bytes",
  clusterId: "x-yakt-cluster-id",
} as const;

export function backupRoutes({ handle }: ApiDeps) {
  return new Elysia().post(
    "/v1/snapshots/backup",
    async ({ request }) => {
      refuseIdempotencyKey(request, "POST /v1/snapshots/backup", BACKUP_UNKEYED);
      const { meta, data } = await freshSnapshot(handle);
      const sha256 = new Bun.CryptoHasher("sha256").update(data).digest("hex");
      return new Response(slices(data), {
        headers: {
          "content-type": "application/octet-stream",
          [BACKUP_HEADERS.size]: String(data.byteLength),
          [BACKUP_HEADERS.index]: String(meta.index),
          [BACKUP_HEADERS.term]: String(meta.term),
          [BACKUP_HEADERS.sha256]: sha256,
          [BACKUP_HEADERS.clusterId]: handle.clusterId,
        },
      });
    },
    {
      body: EmptyBody,
      query: EmptyQuery,
      detail: { tags: ["snapshots"], summary: "A snapshot covering every write committed before the call, streamed (octet-stream, SHA-256 in a header); takes no Idempotency-Key" },
    },
  );
}

async function freshSnapshot(handle: ConsensusHandle): Promise<{ meta: SnapshotMeta; data: Uint8Array }> {
  await handle.readBarrier();
  const needed = handle.appliedIndex();
  for (let attempt = 0; attempt < 2; attempt++) {
    const latest = handle.latestSnapshot();
    if (latest && latest.meta.index >= needed) return latest;
    // A snapshot already running is joined; it may predate the barrier, so one more round then.
    await handle.snapshotNow();
  }
  const latest = handle.latestSnapshot();
  if (!latest || latest.meta.index < needed) throw new Error(`node ${handle.nodeId} could not snapshot up to index ${needed}`);
  return latest;
}

function slices(data: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      controller.enqueue(data.subarray(offset, offset + SLICE_BYTES));
      offset += SLICE_BYTES;
      if (offset >= data.byteLength) controller.close();
    },
  });
}
