// Which methods a path is served with, for answering a method the path lacks with 405 and an
// `Allow` header (RFC 9110 §15.5.6) instead of a 404: OPTIONS, TRACE or PATCH on /v1/topics names
// an existing resource. A path no route matches stays 404.
import type { AnyElysia } from "elysia";
import { ApiError } from "./api-error.ts";

interface RoutePattern {
  pattern: RegExp;
  methods: Set<string>;
}

/** A route path as a whole-path pattern: each `:param` is one non-empty segment. */
function patternOf(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}/?$`);
}

function compile(app: AnyElysia): RoutePattern[] {
  const byPath = new Map<string, Set<string>>();
  for (const route of app.routes) {
    const methods = byPath.get(route.path) ?? new Set<string>();
    methods.add(route.method.toUpperCase());
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({ pattern: patternOf(path), methods }));
}

export class MethodNotAllowedError extends ApiError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super("method_not_allowed", 405, `${method} is not served on ${path}; it takes ${allowed.join(", ")}`, { allow: allowed.join(", ") });
  }
}

/** The methods served on `path` (sorted; HEAD beside GET), or [] when no route matches it. */
export function allowedMethods(getApp: () => AnyElysia): (path: string) => string[] {
  let table: RoutePattern[] | null = null;
  return (path) => {
    table ??= compile(getApp());
    const methods = new Set<string>();
    for (const route of table) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}
