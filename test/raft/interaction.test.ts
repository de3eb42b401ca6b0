// Golden interaction transcripts (etcd-io/raft's testdata): every message of each scenario in
// test/raft/testdata/*.txt must be exactly what the core sends today. `REWRITE=1 bun test
// test/raft/interaction.test.ts` rewrites the files; review the change as a diff.
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { runFile } from "./interaction/datadriven.ts";
import { InteractionEnv } from "./interaction/interaction-env.ts";

const DIR = join(import.meta.dir, "testdata");

describe("interaction transcripts", () => {
  for (const name of readdirSync(DIR).filter((f) => f.endsWith(".txt")).sort()) {
    test(name, () => {
      const env = new InteractionEnv();
      for (const { directive, actual } of runFile(join(DIR, name), (d) => env.handle(d))) {
        expect(`${name}:${directive.line} ${directive.command}\n${actual}`).toBe(`${name}:${directive.line} ${directive.command}\n${directive.expected}`);
      }
    });
  }
});
