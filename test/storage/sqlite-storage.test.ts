import { join } from "node:path";
import type { LogStorage } from "../../src/storage/log-storage.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { conformance } from "./conformance.ts";
import { tempDir } from "./helpers.ts";

let dirs: Array<{ dir: string; cleanup: () => void }> = [];
const opened = new Map<LogStorage, string>();

conformance("SqliteStorage", {
  open: (opts) => {
    const d = tempDir();
    dirs.push(d);
    const path = join(d.dir, "yakt.db");
    const s = SqliteStorage.open(path, opts);
    opened.set(s, path);
    return s;
  },
  reopen: (store, opts) => {
    const path = opened.get(store);
    if (path === undefined) throw new Error("reopen of a store this harness did not open");
    store.close();
    opened.delete(store);
    const s = SqliteStorage.open(path, opts);
    opened.set(s, path);
    return s;
  },
  cleanup: () => {
    for (const s of opened.keys()) s.close();
    opened.clear();
    for (const d of dirs) d.cleanup();
    dirs = [];
  },
});
