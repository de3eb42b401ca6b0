// Where the path of a request's URL starts, and the path itself as Elysia routes it: raw (no
// percent-decoding, no dot segments resolved), without the query. Every reader of a path in the
// API (the token guard and audit, the 405 check, the fast routes) reads it here, so they agree;
// a URL whose authority Elysia would misread never gets this far (http-hooks.ts, plainTarget).

/** Index of the "/" that starts the path of an absolute URL. */
export function pathStart(url: string): number {
  return url.indexOf("/", url.indexOf("//") + 2);
}

export function pathOf(url: string): string {
  const start = pathStart(url);
  const end = url.indexOf("?", start);
  return url.slice(start, end < 0 ? undefined : end);
}
