// The token side of the fast routes' conformance suite (test/api/fast-routes.test.ts): the token
// file of a node with --auth-tokens, a case given the token of the smallest role its route needs,
// and the refusals — no token, a malformed Authorization header, an unknown token, too small a
// role — each with a good body and with bad ones, so the order of the checks shows: a declared
// length past the bound is refused before the token (the app's hooks run first), every other
// fault of the body or the path only after it.
import { BROKER_MGMT_PATH } from "../../../src/api/routes/broker-mgmt-fast.ts";
import { BROKER_PATH } from "../../../src/api/routes/brokers.ts";
import { PRODUCERS_PATH } from "../../../src/api/routes/producers.ts";
import { TOPIC_PATH, TOPICS_PATH } from "../../../src/api/routes/topics.ts";
import { requiredRole, type Role } from "../../../src/auth/roles.ts";
import { parseTokenFile } from "../../../src/auth/token-file.ts";
import { TokenStore } from "../../../src/auth/token-store.ts";
import { type Case, casesOf, chunkedHuge } from "./fast-route-case.ts";

const TOKEN_FILE = ["admin-token-0123456789 admin alice", "broker-token-0123456789 broker b1", "reader-token-0123456789 reader dash"].join("\n");

export const tokenStore = () => new TokenStore(parseTokenFile(TOKEN_FILE, "tokens"));

export const bearer = (role: Role): Record<string, string> => ({ authorization: `Bearer ${role}-token-0123456789` });

/** The case with the token of the smallest role its method and path need (none for an open route). */
export function withRightToken(c: Case): Case {
  const path = c.path.split("?")[0];
  const role = requiredRole(c.method, path);
  return role === null ? c : { ...c, headers: { ...bearer(role), ...c.headers } };
}

interface Credential {
  name: string;
  headers: Record<string, string>;
  status: 401 | 403;
}

const STRANGERS: Credential[] = [
  { name: "no token", headers: {}, status: 401 },
  { name: "a Basic header", headers: { authorization: "Basic YWxpY2U6c2VjcmV0" }, status: 401 },
  { name: "Bearer with no token", headers: { authorization: "Bearer " }, status: 401 },
  { name: "a lower-case bearer", headers: { authorization: "bearer admin-token-0123456789" }, status: 401 },
  { name: "an unknown token", headers: { authorization: "Bearer nope-not-a-known-token" }, status: 401 },
];

const tooSmall = (...roles: Role[]): Credential[] => roles.map((role) => ({ name: `a ${role} token`, headers: bearer(role), status: 403 }));

/** A route's refusals: each credential with each body; `param` is a path whose parameter is bad ("" for a template without one). */
function refusalsOf(label: string, method: string, path: string, route: string, valid: string | undefined, param: string, credentials: Credential[]): Case[] {
  const c = casesOf(label, method, path, route);
  const cases: Case[] = [];
  for (const who of credentials) {
    const error = who.status === 401 ? "unauthorized" : "forbidden";
    const refused = (name: string, rest: Partial<Case>) => cases.push(c(`${who.name}, ${name}`, { status: who.status, error, ...rest, headers: { ...who.headers, ...rest.headers } }));
    refused("a good request", { body: valid });
    if (param !== "") refused("a bad path parameter", { path: param, body: valid });
    if (valid === undefined) continue;
    refused("malformed JSON", { body: valid.slice(0, -1) });
    refused("a property the schema does not know", { body: `${valid.slice(0, -1)},"extra":true}` });
    refused("a chunked body past the bound (drained)", { body: chunkedHuge });
    refused("a Content-Type that is not JSON", { body: valid, headers: { "content-type": "text/plain" } });
    // The app's hooks check the declared length before the guard checks the token.
    refused("a declared length past the bound (refused first)", { body: valid, headers: { "content-length": String(2 * 1024 * 1024) }, status: 413, error: "payload_too_large" });
    refused("a query string (handed on to Elysia)", { path: `${path}?dry=1`, body: valid });
  }
  return cases;
}

/** Every fast route refusing every credential short of its role, with good and bad bodies. */
export const AUTH_REFUSALS: Case[] = [
  ...refusalsOf("update", "PUT", "/v1/brokers/1", BROKER_PATH, '{"brokerHost":"auth.example"}', "/v1/brokers/abc", [...STRANGERS, ...tooSmall("reader", "broker")]),
  ...refusalsOf("create topic", "POST", "/v1/topics", TOPICS_PATH, '{"name":"auth-t"}', "", [...STRANGERS, ...tooSmall("reader", "broker")]),
  ...refusalsOf("producer", "POST", "/v1/producers", PRODUCERS_PATH, '{"brokerId":1}', "", [...STRANGERS, ...tooSmall("reader")]),
  ...refusalsOf("poll", "POST", BROKER_MGMT_PATH, BROKER_MGMT_PATH, '{"brokerId":1,"since":1}', "", [...STRANGERS, ...tooSmall("reader")]),
  ...refusalsOf("read broker", "GET", "/v1/brokers/1", BROKER_PATH, undefined, "/v1/brokers/abc", STRANGERS),
  ...refusalsOf("read topic", "GET", "/v1/topics/t1", TOPIC_PATH, undefined, "/v1/topics/a$b", STRANGERS),
];

/** A role larger than the route needs is allowed as the smallest one is. */
export const LARGER_ROLES: Case[] = [
  { name: "producer: an admin token", method: "POST", path: "/v1/producers", route: PRODUCERS_PATH, body: '{"brokerId":2}', headers: bearer("admin"), status: 201 },
  { name: "poll: an admin token", method: "POST", path: BROKER_MGMT_PATH, route: BROKER_MGMT_PATH, body: '{"brokerId":2,"since":1}', headers: bearer("admin"), status: 200 },
  { name: "read broker: a broker token", method: "GET", path: "/v1/brokers/2", route: BROKER_PATH, headers: bearer("broker"), status: 200 },
  { name: "read topic: an admin token", method: "GET", path: "/v1/topics/t1", route: TOPIC_PATH, headers: bearer("admin"), status: 200 },
];
