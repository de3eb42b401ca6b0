// The repository stands on its own: every relative link in README.md, docs/ and bench/ names a
// file that is in the repository (a page moved or renamed without its links fails here).
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

/** The Markdown files users read: the README and every page under docs/ and bench/. */
function pages(): string[] {
  const under = (dir: string) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith(".md"))
      .map((f) => join(dir, f));
  return ["README.md", ...under("docs"), ...under("bench")];
}

/** Relative link targets of a Markdown text (inline links and images), without their #fragment. */
function relativeTargets(text: string): string[] {
  const targets: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
    targets.push(target.split("#")[0]);
  }
  return targets;
}

describe("documentation links", () => {
  test("relativeTargets finds inline links and images, not URLs or anchors", () => {
    const text = 'See [a](docs/a.md#x), ![p](plot.svg "t"), [w](https://x.org/y), [s](#here) and [m](mailto:a@b).';
    expect(relativeTargets(text)).toEqual(["docs/a.md", "plot.svg"]);
  });

  for (const page of pages()) {
    test(`${page}: every relative link names a file in the repository`, () => {
      const missing = relativeTargets(readFileSync(join(ROOT, page), "utf8")).filter((t) => !existsSync(resolve(ROOT, dirname(page), t)));
      expect(missing).toEqual([]);
    });
  }
});
