// Turns a schema-validation failure into one line that names the field, the rule and the
// offending value, e.g. `body.brokerId: Expected integer (got "7")`. The value is shown through
// the bounded preview: the message never grows with the value, however large or deep it is.
import type { TSchema } from "@sinclair/typebox";
import type { ValueError } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";
import type { ValidationError } from "elysia";
import { PREVIEW_CHARS, preview } from "../metadata/preview.ts";

export function describeValue(value: unknown): string {
  return value === undefined ? "missing" : preview(value);
}

/** "Expected union value" says nothing; for an enumeration, name the allowed values instead (and why, for a described literal). */
function ruleOf(message: string, schema: unknown): string {
  const literal = schema as { const?: unknown; description?: unknown } | undefined;
  if (literal?.const !== undefined && typeof literal.description === "string") return `Expected ${preview(literal.const)}: ${literal.description}`;
  const options = (schema as { anyOf?: { const?: unknown; type?: unknown }[] } | undefined)?.anyOf;
  if (!options) return message;
  if (options.every((o) => o.const !== undefined)) return `Expected one of ${options.map((o) => preview(o.const)).join(", ")}`;
  return `Expected ${options.map((o) => (o.const !== undefined ? preview(o.const) : String(o.type))).join(" or ")}`;
}

/** Errors counted per union member when ranking them: enough to rank, bounded for a wide body. */
const MAX_ERRORS_RANKED = 64;

function errorsOf(schema: TSchema, value: unknown): ValueError[] {
  const errors: ValueError[] = [];
  for (const e of Value.Errors(schema, value)) if (errors.push(e) >= MAX_ERRORS_RANKED) break;
  return errors;
}

/**
 * A value that matches none of a union of object shapes (a body with two forms) is described by
 * the member it came closest to (fewest violations), so the message names the field that is wrong.
 */
function closestMember(schema: unknown, value: unknown): ValueError | null {
  const members = (schema as { anyOf?: TSchema[] } | undefined)?.anyOf;
  if (!members || !members.every((m) => m.type === "object") || typeof value !== "object" || value === null) return null;
  const ranked = members.map((m) => errorsOf(m, value)).sort((a, b) => a.length - b.length);
  return ranked[0][0] ?? null;
}

/** `type` is the request part ("body", "query", "params"); `first` the first error found in it. */
export function describeFailure(type: string, found: ValueError | undefined, value: unknown): string {
  if (!found) return `${type} is invalid: ${describeValue(value)}`;
  const first = (found.path === "" && closestMember(found.schema, found.value)) || found;
  // The path holds the caller's own key names (a query key may be kilobytes long): bounded too.
  const path = first.path.length > PREVIEW_CHARS ? `${first.path.slice(0, PREVIEW_CHARS)}…` : first.path;
  const field = path === "" ? "" : path.replaceAll("/", ".");
  return `${type}${field}: ${ruleOf(first.message, first.schema)} (got ${describeValue(first.value)})`;
}

export function describeValidation(error: ValidationError): string {
  return describeFailure(error.type, error.valueError, error.value);
}
