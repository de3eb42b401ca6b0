// Turns Elysia's schema-validation failure into one line that names the field, the rule and the
// offending value, e.g. `body.brokerId: Expected integer (got "7")`.
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

export function describeValidation(error: ValidationError): string {
  const first = error.valueError;
  if (!first) return `${error.type} is invalid: ${describeValue(error.value)}`;
  const field = first.path === "" ? "" : first.path.replaceAll("/", ".");
  return `${error.type}${field}: ${ruleOf(first.message, first.schema)} (got ${describeValue(first.value)})`;
}
