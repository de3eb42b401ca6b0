// The OpenAPI 3.1 document of every route, generated from the route schemas, and an offline page.
import { toOpenAPISchema } from "@elysiajs/openapi/openapi";
import { type AnyElysia, Elysia } from "elysia";
import { OPENAPI_PAGE } from "../openapi-page.ts";

const OWN_PATHS = ["/openapi", "/openapi/json"];
type Operation = { requestBody?: { content?: Record<string, unknown> } };
type Paths = Record<string, Record<string, Operation> | undefined>;

/** A TypeBox schema as plain JSON Schema (TypeBox's symbol keys dropped). */
const plain = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema));

/**
 * The generator cannot see that our own body parser (http-hooks) takes JSON, and leaves every
 * request body without a media type; fill in application/json with the route's body schema.
 */
function describeJsonBodies(app: AnyElysia, paths: Paths): void {
  for (const route of app.routes) {
    const body = (route.hooks as { body?: unknown } | undefined)?.body;
    if (typeof body !== "object" || body === null) continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const operation = paths[path]?.[route.method.toLowerCase()];
    if (operation?.requestBody) operation.requestBody.content = { "application/json": { schema: plain(body) } };
  }
}

export function buildOpenApiDocument(app: AnyElysia): Record<string, unknown> {
  const { paths, components } = toOpenAPISchema(app, { paths: OWN_PATHS }, undefined, undefined, "3.1.0");
  describeJsonBodies(app, paths as Paths);
  return {
    openapi: "3.1.0",
    info: { title: "YAKt", version: "1.0.0", description: "Replicated metadata service (KRaft-like)" },
    paths,
    components,
  };
}

/** `getApp` gives the finished app: the document covers routes added after this module. */
export function openApiRoutes(getApp: () => AnyElysia) {
  let cached: Record<string, unknown> | null = null;
  return new Elysia()
    .get("/openapi/json", () => (cached ??= buildOpenApiDocument(getApp())), { detail: { hide: true } })
    .get(
      "/openapi",
      () => new Response(OPENAPI_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }),
      { detail: { hide: true } },
    );
}
