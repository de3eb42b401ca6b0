// Checks a request's params, query and body against its route's schemas before Elysia does.
// Elysia's own ValidationError renders the whole offending value into its message (pretty-printed
// outside production, with every error listed), so a wide or long body cost the event loop far
// more than parsing it. Checking first with the same TypeBox schemas, compiled once, means Elysia
// only ever validates values that pass, and a refusal costs one compiled check plus a bounded
// message (validation-message.ts).
import { Kind, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { AnyElysia } from "elysia";
import { InvalidInputError } from "./api-error.ts";
import { describeFailure } from "./validation-message.ts";

const PARTS = ["params", "query", "body"] as const;
type Part = (typeof PARTS)[number];
type RouteChecks = Partial<Record<Part, TypeCheck<TSchema>>>;

export type RequestValues = Partial<Record<Part, unknown>>;

function isSchema(value: unknown): value is TSchema {
  return typeof value === "object" && value !== null && Kind in value;
}

function compileRoutes(app: AnyElysia): Map<string, RouteChecks> {
  const table = new Map<string, RouteChecks>();
  for (const route of app.routes) {
    const hooks = (route.hooks ?? {}) as Partial<Record<Part, unknown>>;
    const checks: RouteChecks = {};
    for (const part of PARTS) {
      const schema = hooks[part];
      if (isSchema(schema)) checks[part] = TypeCompiler.Compile(schema);
    }
    table.set(`${route.method} ${route.path}`, checks);
  }
  return table;
}

/**
 * A checker over the finished app's routes (compiled on first use, when every route exists).
 * Throws InvalidInputError, worded as Elysia's validation errors are, for the first part that fails.
 */
export function requestChecker(getApp: () => AnyElysia): (method: string, route: string, values: RequestValues) => void {
  let table: Map<string, RouteChecks> | null = null;
  return (method, route, values) => {
    table ??= compileRoutes(getApp());
    const checks = table.get(`${method} ${route}`);
    if (!checks) return;
    for (const part of PARTS) {
      const check = checks[part];
      if (!check) continue;
      const value = values[part];
      if (check.Check(value)) continue;
      throw new InvalidInputError(describeFailure(part, check.Errors(value).First(), value));
    }
  };
}
