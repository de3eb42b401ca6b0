// A small datadriven runner in the manner of etcd-io/raft's testdata: a file is a list of cases,
// each a command line, a `----` separator and the output it must produce, cases separated by a
// blank line. `REWRITE=1` writes the outputs the code now produces back into the file, so a change
// in behaviour is reviewed as a diff of text instead of being hidden in end-state assertions.
import { readFileSync, writeFileSync } from "node:fs";

export interface Directive {
  /** 1-based line of the command in its file, for error messages. */
  line: number;
  command: string;
  /** `key=value` arguments; a bare word is a positional argument under its index. */
  args: Map<string, string>;
  positional: string[];
  expected: string;
}

const SEPARATOR = "----";

/** Splits a testdata file into its cases; a case's output ends at the first blank line. */
export function parseCases(text: string, file: string): Directive[] {
  const lines = text.split("\n");
  const cases: Directive[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i].trim() === "" || lines[i].startsWith("#")) {
      i++;
      continue;
    }
    const line = i + 1;
    const words = lines[i].trim().split(/\s+/);
    if (lines[i + 1] !== SEPARATOR) throw new Error(`${file}:${line + 1}: expected "${SEPARATOR}" after "${lines[i]}"`);
    i += 2;
    const out: string[] = [];
    while (i < lines.length && lines[i] !== "") out.push(lines[i++]);
    const args = new Map<string, string>();
    const positional: string[] = [];
    for (const w of words.slice(1)) {
      const eq = w.indexOf("=");
      if (eq > 0) args.set(w.slice(0, eq), w.slice(eq + 1));
      else positional.push(w);
    }
    cases.push({ line, command: words[0], args, positional, expected: out.join("\n") });
  }
  return cases;
}

export interface CaseResult {
  directive: Directive;
  actual: string;
}

/** Runs every case of `file` through `run`; with REWRITE=1 the file is rewritten with the outputs. */
export function runFile(file: string, run: (d: Directive) => string): CaseResult[] {
  const text = readFileSync(file, "utf8");
  const results = parseCases(text, file).map((directive) => ({ directive, actual: run(directive).trimEnd() || "ok" }));
  if (process.env.REWRITE === "1") writeFileSync(file, render(text, results));
  return results;
}

/** The file with each case's output replaced, comments and command lines kept as written. */
function render(text: string, results: CaseResult[]): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let i = 0;
  for (const { directive, actual } of results) {
    while (i < directive.line - 1) out.push(lines[i++]);
    out.push(lines[i], SEPARATOR, ...actual.split("\n"));
    i = directive.line + 1;
    while (i < lines.length && lines[i] !== "") i++;
  }
  while (i < lines.length) out.push(lines[i++]);
  return out.join("\n");
}
