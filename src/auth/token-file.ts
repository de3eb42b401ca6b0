// The `--auth-tokens` file: one `<token> <role> [<name>]` per line; blank lines and lines starting
// with `#` are skipped. The name says who holds the token in audit lines (the token never appears
// in a log or an error). A malformed file is refused whole, naming the line, so a typo cannot
// silently lock out or let in anyone.
import { isRole, ROLES, type Role } from "./roles.ts";

export interface TokenEntry {
  token: string;
  role: Role;
  name: string;
}

/** Shorter tokens are too easy to guess; 16 characters of base64 carry 96 bits. */
export const MIN_TOKEN_CHARS = 16;
export const MAX_TOKEN_CHARS = 1024;
const MAX_NAME_CHARS = 128;
const MAX_ENTRIES = 10_000;
const NAME_PATTERN = /^[A-Za-z0-9._@:-]+$/;

export class TokenFileError extends Error {
  readonly code = "token_file";
}

export function parseTokenFile(text: string, source: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const entry = parseLine(line, `${source}:${i + 1}`, entries.length + 1);
    if (seen.has(entry.token)) throw new TokenFileError(`${source}:${i + 1}: this token is listed twice`);
    seen.add(entry.token);
    entries.push(entry);
    if (entries.length > MAX_ENTRIES) throw new TokenFileError(`${source}: more than ${MAX_ENTRIES} tokens`);
  }
  return entries;
}

function parseLine(line: string, where: string, ordinal: number): TokenEntry {
  const words = line.split(/\s+/);
  if (words.length < 2 || words.length > 3) {
    throw new TokenFileError(`${where}: expected "<token> <role> [<name>]", got ${words.length} words`);
  }
  const [token, role, name = `token-${ordinal}`] = words;
  if (token.length < MIN_TOKEN_CHARS || token.length > MAX_TOKEN_CHARS) {
    throw new TokenFileError(`${where}: a token must be ${MIN_TOKEN_CHARS}..${MAX_TOKEN_CHARS} characters, this one has ${token.length}`);
  }
  if (!isRole(role)) throw new TokenFileError(`${where}: role must be one of ${ROLES.join(", ")}, got "${role.slice(0, 32)}"`);
  if (name.length > MAX_NAME_CHARS || !NAME_PATTERN.test(name)) {
    throw new TokenFileError(`${where}: a name is 1..${MAX_NAME_CHARS} characters of [A-Za-z0-9._@:-], got "${name.slice(0, 32)}"`);
  }
  return { token, role, name };
}
