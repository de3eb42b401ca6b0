// The build a benchmark's cluster runs, switched between starts: the nodes run the binary behind a
// link in the temp dir, pointed at the build whose turn it is, so two builds take turns on the same
// data dir and compare back to back in the same conditions. Made before the cluster module is
// imported: test/cluster/support/process-cluster.ts reads YAKT_BINARY once, when it loads.
import { rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** `--builds a,b`: the builds to compare, as absolute paths; dist/yakt alone without the flag. */
export function buildsFlag(): string[] {
  const at = process.argv.indexOf("--builds");
  return (at < 0 ? "dist/yakt" : (process.argv[at + 1] ?? "")).split(",").map((b) => resolve(b));
}

export interface BuildLink {
  /** Points the link at `build`: the next start of a node runs it. */
  pointAt(build: string): void;
  remove(): void;
}

/** A link named after the script and this process, pointed at `first`, and YAKT_BINARY set to it. */
export function buildLink(script: string, first: string): BuildLink {
  const link = join(tmpdir(), `yakt-${script}-${process.pid}`);
  const pointAt = (build: string) => {
    rmSync(link, { force: true });
    symlinkSync(build, link);
  };
  pointAt(first);
  process.env.YAKT_BINARY = link;
  return { pointAt, remove: () => rmSync(link, { force: true }) };
}
