// The tokens a node accepts, looked up in constant time: the given token and every known one are
// hashed to the same length and all of them are compared (no early exit), so neither the answer's
// timing nor its absence tells how close a guess was. `replace` swaps the whole set at once (SIGHUP).
import { createHash, timingSafeEqual } from "node:crypto";
import type { Role } from "./roles.ts";
import type { TokenEntry } from "./token-file.ts";

export interface Caller {
  role: Role;
  name: string;
}

interface Known {
  digest: Buffer;
  caller: Caller;
}

const digest = (token: string) => createHash("sha256").update(token, "utf8").digest();

export class TokenStore {
  private known: Known[] = [];

  constructor(entries: TokenEntry[]) {
    this.replace(entries);
  }

  replace(entries: TokenEntry[]): void {
    this.known = entries.map((e) => ({ digest: digest(e.token), caller: { role: e.role, name: e.name } }));
  }

  get size(): number {
    return this.known.length;
  }

  /** Who holds `token`, or null. Compares against every known token whatever matches. */
  identify(token: string): Caller | null {
    const given = digest(token);
    let found: Caller | null = null;
    for (const k of this.known) if (timingSafeEqual(k.digest, given) && found === null) found = k.caller;
    return found;
  }
}
