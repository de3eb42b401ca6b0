// Turns Elysia's schema-validation failure into one line that names the field, the rule and the
// offending value, e.g. `body.brokerId: Expected integer (got "7")`.
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { ValidationError } from "elysia";

const MAX_VALUE_CHARS = 80;

export function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length} chars)` : text;
}

/** "Expected union value" says nothing; for an enumeration, name the allowed values instead. */
function ruleOf(message: string, schema: unknown): string {
  const options = (schema as { anyOf?: { const?: unknown; type?: unknown }[] } | undefined)?.anyOf;
  if (!options) return message;
  if (options.every((o) => o.const !== undefined)) return `Expected one of ${options.map((o) => JSON.stringify(o.const)).join(", ")}`;
  return `Expected ${options.map((o) => (o.const !== undefined ? JSON.stringify(o.const) : String(o.type))).join(" or ")}`;
}

/**
 * A value that matches none of a union of object shapes (a body with two forms) is described by
 * the member it came closest to (fewest violations), so the message names the field that is wrong.
 */
function closestMember(schema: unknown, value: unknown): { path: string; message: string; schema: unknown; value: unknown } | null {
  const members = (schema as { anyOf?: TSchema[] } | undefined)?.anyOf;
  if (!members || !members.every((m) => m.type === "object") || typeof value !== "object" || value === null) return null;
  const ranked = members.map((m) => ({ errors: [...Value.Errors(m, value)] })).sort((a, b) => a.errors.length - b.errors.length);
  return ranked[0].errors[0] ?? null;
}

export function describeValidation(error: ValidationError): string {
  const valueError = error.valueError;
  if (!valueError) return `${error.type} is invalid: ${describeValue(error.value)}`;
  const first = (valueError.path === "" && closestMember(valueError.schema, valueError.value)) || valueError;
  const field = first.path === "" ? "" : first.path.replaceAll("/", ".");
  return `${error.type}${field}: ${ruleOf(first.message, first.schema)} (got ${describeValue(first.value)})`;
}
