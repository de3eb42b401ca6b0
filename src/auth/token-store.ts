// The tokens a node accepts, looked up by their SHA-256 digest: the given token is hashed and its
// digest found in a map, then compared with the known digest in constant time. The look-up's
// timing depends on the digest only, which tells nothing of how close a guess was (finding a token
// from its digest is a preimage of SHA-256), and it costs the same with 3 tokens as with 10,000 (a
// fleet that gives each broker its own token paid ~27 µs per request with 1,000 when every known
// digest was compared). `replace` swaps the whole set at once (SIGHUP).
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
  /** Hex digest → the token's holder. */
  private known = new Map<string, Known>();

  constructor(entries: TokenEntry[]) {
    this.replace(entries);
  }

  replace(entries: TokenEntry[]): void {
    const known = new Map<string, Known>();
    for (const e of entries) {
      const d = digest(e.token);
      const key = d.toString("hex");
      // The token file refuses a token listed twice (token-file.ts); two holders of one token would make its role ambiguous.
      if (known.has(key)) throw new Error(`token of ${e.name} is listed twice`);
      known.set(key, { digest: d, caller: { role: e.role, name: e.name } });
    }
    this.known = known;
  }

  get size(): number {
    return this.known.size;
  }

  /** Who holds `token`, or null. */
  identify(token: string): Caller | null {
    const given = digest(token);
    const k = this.known.get(given.toString("hex"));
    return k !== undefined && timingSafeEqual(k.digest, given) ? k.caller : null;
  }
}
