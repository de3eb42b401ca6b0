// Whether a --data-dir path can be a data dir at all: a file, a dangling symbolic link or a path
// under a file is refused by name before anything is created, by a start and `yakt format` alike.
import { lstatSync, readlinkSync, type Stats, statSync } from "node:fs";
import { dirname } from "node:path";
import { StartupError } from "./cli-errors.ts";

/**
 * A data dir that is not a directory and cannot become one (a file, a dangling symbolic link, a
 * path under a file) is refused before anything is created, by start and `yakt format` alike.
 */
export function requireDirectory(dataDir: string): void {
  const problem = notADirectory(dataDir);
  if (problem !== null) throw new StartupError(`data dir ${dataDir} ${problem}; --data-dir must name a directory, or a path where one can be created`);
}

/** Why `path` cannot be used as a directory, or null (a directory, or creatable, or unknown: the open will say). */
function notADirectory(path: string): string | null {
  const own = pathKind(path);
  if (own !== "missing") return own === "directory" || own === "unknown" ? null : own;
  // Missing: the nearest ancestor that exists must be a directory, or mkdir fails.
  for (let parent = dirname(path); ; parent = dirname(parent)) {
    const kind = pathKind(parent);
    if (kind === "directory" || kind === "unknown") return null;
    if (kind !== "missing") return `cannot be created: ${parent} ${kind}`;
    if (dirname(parent) === parent) return null;
  }
}

/** "directory", "missing", "unknown" (e.g. no permission to look), or what is wrong with it. */
function pathKind(path: string): string {
  let link: Stats;
  try {
    link = lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "missing" : "unknown";
  }
  if (link.isDirectory()) return "directory";
  if (!link.isSymbolicLink()) return `exists and is not a directory (it is ${fileKind(link)})`;
  let target: Stats;
  try {
    target = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") return "unknown";
    return `is a symbolic link to "${readlinkSync(path)}", which does not exist`;
  }
  if (target.isDirectory()) return "directory";
  return `is a symbolic link to "${readlinkSync(path)}", which is not a directory (it is ${fileKind(target)})`;
}

function fileKind(s: Stats): string {
  if (s.isFile()) return "a regular file";
  if (s.isFIFO()) return "a FIFO";
  if (s.isSocket()) return "a socket";
  if (s.isCharacterDevice() || s.isBlockDevice()) return "a device";
  return "not a directory";
}
