// docs/api.md is the users' API reference: it must describe every route the server has (and no
// route it lacks), and each "Body fields:" line must name exactly the fields of the route's
// request schema in the OpenAPI document, so the reference cannot drift from the code.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { failingService } from "./support/failing-service.ts";
import { send } from "./support/request.ts";

const REFERENCE = resolve(import.meta.dir, "../../docs/api.md");
const HEADING = /^### (GET|POST|PUT|PATCH|DELETE) (\/\S*)$/;

interface DocumentedRoute {
  route: string;
  bodyFields: string[] | null;
}

/** The `### METHOD /path` headings of the reference, each with its "Body fields:" line if any. */
function documentedRoutes(text: string): DocumentedRoute[] {
  const routes: DocumentedRoute[] = [];
  for (const line of text.split("\n")) {
    const heading = HEADING.exec(line);
    if (heading) {
      routes.push({ route: `${heading[1].toLowerCase()} ${heading[2]}`, bodyFields: null });
      continue;
    }
    const current = routes[routes.length - 1];
    if (current && line.startsWith("Body fields:")) current.bodyFields = [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  }
  return routes;
}

async function openApiDocument(): Promise<any> {
  const nullMachine = { apply: () => null, snapshot: () => new Uint8Array(), restore: () => {} };
  const app = createApp({ service: failingService(() => new Error("unused")), handle: new LocalConsensus({ stateMachine: nullMachine }) });
  return (await send(app, "GET", "/openapi/json")).body;
}

/** A body schema's field names; a body of several forms (anyOf) has the fields of all of them. */
function fieldsOf(schema: any): string[] | null {
  if (schema?.properties) return Object.keys(schema.properties);
  if (Array.isArray(schema?.anyOf)) return [...new Set(schema.anyOf.flatMap((m: any) => fieldsOf(m) ?? []))] as string[];
  return null;
}

/** "post /v1/topics/{name}/partitions" → "post /v1/topics/:name/partitions", as the reference writes paths. */
const served = (doc: any): Map<string, any> =>
  new Map(
    Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => [`${method} ${path.replace(/\{([^}]+)\}/g, ":$1")}`, op] as [string, any]),
    ),
  );

test("docs/api.md describes every route the server has, and no other", async () => {
  const documented = documentedRoutes(readFileSync(REFERENCE, "utf8")).map((r) => r.route);
  expect(new Set(documented).size).toBe(documented.length);
  expect([...documented].sort()).toEqual([...served(await openApiDocument()).keys()].sort());
});

test("each documented body names exactly the fields of the route's request schema", async () => {
  const ops = served(await openApiDocument());
  const withBody = documentedRoutes(readFileSync(REFERENCE, "utf8")).filter((r) => r.bodyFields !== null);
  expect(withBody.length).toBeGreaterThan(5);
  for (const { route, bodyFields } of withBody) {
    const schema = ops.get(route)?.requestBody?.content?.["application/json"]?.schema;
    expect({ route, fields: (fieldsOf(schema) ?? []).sort() }).toEqual({ route, fields: [...(bodyFields ?? [])].sort() });
  }
});

test("every route with a JSON request schema has its fields documented", async () => {
  const documented = new Map(documentedRoutes(readFileSync(REFERENCE, "utf8")).map((r) => [r.route, r.bodyFields]));
  for (const [route, op] of served(await openApiDocument())) {
    const schema = op?.requestBody?.content?.["application/json"]?.schema;
    if (fieldsOf(schema)) expect({ route, documented: documented.get(route) !== null }).toEqual({ route, documented: true });
  }
});
