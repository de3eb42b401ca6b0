import { MemoryStorage } from "../../src/storage/memory-storage.ts";
import { conformance } from "./conformance.ts";

conformance("MemoryStorage", {
  open: (opts) => new MemoryStorage(opts),
  // A memory store's durable state is the object itself: a restart finds it unchanged.
  reopen: (store) => store,
  cleanup: () => {},
});
