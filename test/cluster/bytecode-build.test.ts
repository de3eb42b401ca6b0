// `make build` compiles dist/yakt with --bytecode (Makefile): the bundle's modules are embedded as
// CommonJS with their JavaScriptCore bytecode, so a start skips parsing and compiling them. Such an
// embedded module starts with Bun's pragma right after the executable's NUL-padded module table;
// the bare pragma text alone is also in Bun's own runtime, so only the NUL-led form counts.
import { describe, expect, test } from "bun:test";
import { BINARY } from "./support/process-cluster.ts";

const EMBEDDED_BYTECODE_MODULE = Buffer.from("\0// @bun @bytecode @bun-cjs\n");

/** How many times `needle` occurs in `haystack`. */
function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

describe("the built executable", () => {
  test("carries the node and its checkpoint worker as bytecode", async () => {
    const bytes = Buffer.from(await Bun.file(BINARY).arrayBuffer());
    // src/main.ts and src/storage/checkpoint-worker.ts, the two entry points of the build line.
    expect(occurrences(bytes, EMBEDDED_BYTECODE_MODULE)).toBe(2);
  });
});
