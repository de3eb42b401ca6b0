// Tokens with roles on the REST API, through app.handle: 401 without a known token, 403 with too
// small a role, 2xx with a large enough one, /healthz open; admin changes leave an audit line that
// names the token's holder and never the token.
import { describe, expect, test } from "bun:test";
import { TokenStore } from "../../src/auth/token-store.ts";
import { parseTokenFile } from "../../src/auth/token-file.ts";
import { createApp } from "../../src/api/app.ts";
import { authGuard } from "../../src/api/auth-guard.ts";
import { single } from "../metadata/service-fixture.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { send } from "./support/request.ts";

const FILE = ["# role tokens", "admin-token-0123456789 admin alice", "broker-token-0123456789 broker b1", "reader-token-0123456789 reader dash"].join("\n");

function app(audit: [string, Record<string, unknown>][] = []) {
  const { service, handle } = single();
  return createApp({ service, handle, tokens: new TokenStore(parseTokenFile(FILE, "tokens")), audit: (e, f) => audit.push([e, f]) });
}

const bearer = (role: string) => ({ authorization: `Bearer ${role}-token-0123456789` });
const broker = { brokerId: 1, brokerHost: "h", brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r1" };

describe("tokens with roles", () => {
  test("no token, a malformed header or an unknown token is 401 JSON with WWW-Authenticate", async () => {
    const a = app();
    const cases: Record<string, string>[] = [{}, { authorization: "Basic abc" }, { authorization: "Bearer nope-not-a-known-token" }];
    for (const headers of cases) {
      const r = await send(a, "GET", "/v1/topics", undefined, headers);
      expect(r.status).toBe(401);
      expect(r.body.error).toBe("unauthorized");
      expect(r.headers.get("www-authenticate")).toContain("Bearer");
    }
  });

  test("/healthz stays open", async () => {
    expect((await send(app(), "GET", "/healthz")).status).toBe(200);
  });

  test("each role on a write, a read and a BrokerMgmt fetch", async () => {
    const a = app();
    const expectations: [string, number, number, number][] = [
      // role, topic create (admin), topic list (reader), BrokerMgmt fetch (broker)
      ["reader", 403, 200, 403],
      ["broker", 403, 200, 200],
      ["admin", 201, 200, 200],
    ];
    expect((await send(a, "POST", "/v1/brokers", broker, bearer("admin"))).status).toBe(201);
    for (const [role, write, read, fetch] of expectations) {
      const w = await send(a, "POST", "/v1/topics", { name: `t-${role}` }, bearer(role));
      const r = await send(a, "GET", "/v1/topics", undefined, bearer(role));
      const f = await send(a, "POST", "/v1/broker-mgmt/metadata", { brokerId: 1 }, bearer(role));
      expect({ role, statuses: [w.status, r.status, f.status] }).toEqual({ role, statuses: [write, read, fetch] });
      if (w.status === 403) expect(w.body).toEqual({ error: "forbidden", message: "POST /v1/topics needs the admin role; this token has the reader role".replace("reader", role) });
    }
  });

  test("a refused write writes nothing", async () => {
    const a = app();
    await send(a, "POST", "/v1/topics", { name: "refused" }, bearer("reader"));
    expect((await send(a, "GET", "/v1/topics/refused", undefined, bearer("admin"))).status).toBe(404);
  });

  test("an admin change leaves an audit line with the holder's name, never the token", async () => {
    const audit: [string, Record<string, unknown>][] = [];
    const a = app(audit);
    expect((await send(a, "POST", "/v1/snapshots", undefined, bearer("admin"))).status).toBe(201);
    await send(a, "POST", "/v1/topics", { name: "not-audited" }, bearer("admin"));
    // The audit line is written as the answer is made (http-hooks.ts), with its final status.
    await waitUntil("the audit line", () => audit.length > 0, 2_000);
    expect(audit.length).toBe(1);
    const [event, fields] = audit[0];
    expect(event).toBe("audit");
    expect(fields).toMatchObject({ who: "alice", role: "admin", what: "POST /v1/snapshots", status: 201 });
    expect(JSON.stringify(audit)).not.toContain("admin-token-0123456789");
  });

  test("a refused admin change is audited with the status it was answered, a broker update not at all", async () => {
    const audit: [string, Record<string, unknown>][] = [];
    const a = app(audit);
    expect((await send(a, "POST", "/v1/brokers", broker, bearer("admin"))).status).toBe(201);
    expect((await send(a, "PUT", "/v1/brokers/1", { brokerHost: "h2" }, bearer("admin"))).status).toBe(200);
    expect((await send(a, "DELETE", "/v1/brokers/777", undefined, bearer("admin"))).status).toBe(404);
    expect(audit.map(([, f]) => [f.what, f.status, f.who])).toEqual([["DELETE /v1/brokers/777", 404, "alice"]]);
  });

  test("an audit sink that throws leaves the answer as it was", async () => {
    const { service, handle } = single();
    const logged: string[] = [];
    const a = createApp({
      service,
      handle,
      audit: () => {
        throw new Error("audit sink down");
      },
      log: (event) => logged.push(event),
    });
    expect((await send(a, "POST", "/v1/snapshots")).status).toBe(201);
    expect(logged).toEqual(["answer_listener_failed"]);
  });

  test("without --auth-tokens every route is open as before", async () => {
    const { service, handle } = single();
    const open = createApp({ service, handle, audit: () => {} });
    expect((await send(open, "POST", "/v1/topics", { name: "open" })).status).toBe(201);
  });
});

test("every kind of admin change is audited, by method and path, and no other request", () => {
  const lines: string[] = [];
  const guard = authGuard({ tokens: null, audit: (_event, fields) => lines.push(String(fields.what)), now: () => 0 });
  const audited = [
    "POST /v1/cluster/voters",
    "DELETE /v1/cluster/voters/3",
    "POST /v1/snapshots",
    "DELETE /v1/topics/orders",
    "DELETE /v1/brokers/7",
    "PATCH /unregister_broker/7",
    "PUT /v1/topics/orders/partitions/0/replicas",
    "DELETE /v1/topics/orders/partitions/0/replicas",
    "POST /v1/topics/orders/partitions/0/elect-leader",
    "POST /v1/elect-leaders",
  ];
  const not = [
    "PUT /v1/brokers/7",
    "POST /v1/topics",
    "POST /v1/producers",
    "POST /v1/brokers",
    "POST /v1/broker-mgmt/metadata",
    "GET /v1/snapshots",
    "GET /v1/topics/orders",
    "POST /v1/snapshots/backup",
    "PUT /v1/cluster/voters",
    "PATCH /v1/topics/orders",
    "DELETE /v1/topics/orders/partitions",
    "CONSTRUCTOR /v1/cluster/voters",
  ];
  for (const what of [...audited, ...not]) {
    const [method, path] = what.split(" ");
    guard.audit(new Request(`http://localhost${path}?consistency=stale`, { method }), 200, null);
  }
  expect(lines).toEqual(audited);
});

describe("the token store", () => {
  const file = ["abcdefghijklmnop admin alice", "qrstuvwxyz012345 broker fleet"].join("\n");

  test("finds each listed token's holder and nobody for others; a token twice listed is refused", () => {
    const store = new TokenStore(parseTokenFile(file, "f"));
    expect(store.size).toBe(2);
    expect(store.identify("abcdefghijklmnop")).toEqual({ role: "admin", name: "alice" });
    expect(store.identify("qrstuvwxyz012345")).toEqual({ role: "broker", name: "fleet" });
    for (const guess of ["", "abcdefghijklmno", "abcdefghijklmnopq", "ABCDEFGHIJKLMNOP", "qrstuvwxyz012345 "]) expect(store.identify(guess)).toBeNull();
    const twice = [...parseTokenFile(file, "f"), { ...parseTokenFile(file, "f")[0], name: "shadow" }];
    expect(() => new TokenStore(twice)).toThrow("token of shadow is listed twice");
  });

  test("replace swaps the whole set: an old token is refused at once", () => {
    const store = new TokenStore(parseTokenFile(file, "f"));
    store.replace(parseTokenFile("zyxwvutsrqponmlk admin bob", "f"));
    expect(store.identify("abcdefghijklmnop")).toBeNull();
    expect(store.identify("zyxwvutsrqponmlk")).toEqual({ role: "admin", name: "bob" });
    expect(store.size).toBe(1);
  });
});
