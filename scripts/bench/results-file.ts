// bench/RESULTS.md is written by two commands (`make bench` and `make bench-scale`); each owns a
// section between markers and replaces only its own, so one run never erases the other's numbers.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function writeSection(path: string, name: string, text: string): void {
  const begin = `<!-- begin ${name} -->`;
  const end = `<!-- end ${name} -->`;
  const block = `${begin}\n${text.trim()}\n${end}`;
  const old = existsSync(path) ? readFileSync(path, "utf8") : "# YAKt benchmark results\n";
  const from = old.indexOf(begin);
  const to = old.indexOf(end);
  const next = from >= 0 && to > from ? old.slice(0, from) + block + old.slice(to + end.length) : `${old.trimEnd()}\n\n${block}\n`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, next);
}
