import { MemoryStorage } from "../../src/storage/memory-storage.ts";
import type { LogStorage, StorageOptions } from "../../src/storage/log-storage.ts";
import { checksumConformance, type DamageTarget } from "./checksum-conformance.ts";
import { conformance } from "./conformance.ts";

/** The held state, reached behind the class's back the way a stray write would. */
interface Inside {
  opts: { skipChecksums: boolean };
  entries: Array<{ index: number; data: Uint8Array }>;
  snapshots: Array<{ snapshot: { data: Uint8Array } }>;
}

/** A memory store's durable state is the object itself: a restart finds it unchanged (only the seam can differ). */
function restarted(store: LogStorage, opts?: StorageOptions): LogStorage {
  if (opts?.skipChecksums !== undefined) (store as unknown as Inside).opts.skipChecksums = opts.skipChecksums;
  return store;
}

function damage(store: LogStorage, target: DamageTarget, opts?: StorageOptions): LogStorage {
  const inside = store as unknown as Inside;
  const bytes = target.kind === "entry" ? inside.entries.find((e) => e.index === target.index)?.data : inside.snapshots[0]?.snapshot.data;
  if (bytes === undefined || bytes.length === 0) throw new Error(`nothing to damage at ${JSON.stringify(target)}`);
  bytes[bytes.length - 1] ^= 0x01;
  return restarted(store, opts);
}

const harness = { open: (opts?: StorageOptions) => new MemoryStorage(opts), reopen: restarted, cleanup: () => {} };
conformance("MemoryStorage", harness);
checksumConformance("MemoryStorage", { ...harness, damage });
