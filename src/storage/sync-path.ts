// fsync of a file or directory by its path: what makes a rename, or a file's creation, durable
// (the directory's entry), not only the bytes written through another descriptor.
import { closeSync, fsyncSync, openSync } from "node:fs";

export function syncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
