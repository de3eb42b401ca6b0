// Query strings are small and unambiguous: a bounded number of parameters, each given once.
// (Elysia would silently keep one of two values for the same name.)
import { InvalidInputError } from "./api-error.ts";

export const MAX_QUERY_PARAMS = 16;

export function checkQuery(url: string): void {
  const at = url.indexOf("?");
  if (at < 0) return;
  const seen = new Set<string>();
  for (const name of new URLSearchParams(url.slice(at + 1)).keys()) {
    if (seen.has(name)) throw new InvalidInputError(`query parameter ${JSON.stringify(name.slice(0, 64))} is given more than once`);
    seen.add(name);
    if (seen.size > MAX_QUERY_PARAMS) throw new InvalidInputError(`at most ${MAX_QUERY_PARAMS} query parameters are accepted`);
  }
}
