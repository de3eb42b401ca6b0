// The --auth-tokens file: its grammar, the refusals (naming the line, never the token) and the
// role table's decisions for the routes a broker, a reader and an admin use.
import { describe, expect, test } from "bun:test";
import { requiredRole } from "../../src/auth/roles.ts";
import { parseTokenFile, TokenFileError } from "../../src/auth/token-file.ts";
import { TokenStore } from "../../src/auth/token-store.ts";

describe("the token file", () => {
  test("lines of token, role and an optional name; comments and blank lines skipped", () => {
    const entries = parseTokenFile("# ops\n\nabcdefghijklmnop admin alice\r\nqrstuvwxyz012345 reader\n", "f");
    expect(entries).toEqual([
      { token: "abcdefghijklmnop", role: "admin", name: "alice" },
      { token: "qrstuvwxyz012345", role: "reader", name: "token-2" },
    ]);
  });

  test.each([
    ["abcdefghijklmnop", "f:1: expected"],
    ["short admin", "f:1: a token must be 16..1024 characters, this one has 5"],
    ["abcdefghijklmnop root", 'f:1: role must be one of reader, broker, admin, got "root"'],
    ["abcdefghijklmnop admin bad/name", "f:1: a name is"],
    ["abcdefghijklmnop admin a\nabcdefghijklmnop reader b", "f:2: this token is listed twice"],
    ["abcdefghijklmnop admin a extra", "f:1: expected"],
  ])("%j is refused: %s", (text, message) => {
    expect(() => parseTokenFile(text, "f")).toThrow(TokenFileError);
    expect(() => parseTokenFile(text, "f")).toThrow(message);
    try {
      parseTokenFile(text, "f");
    } catch (e) {
      expect((e as Error).message).not.toContain("abcdefghijklmnop");
    }
  });

  test("the store finds the holder of a token and nothing for a near miss; replace swaps the set", () => {
    const store = new TokenStore(parseTokenFile("abcdefghijklmnop admin alice", "f"));
    expect(store.identify("abcdefghijklmnop")).toEqual({ role: "admin", name: "alice" });
    expect(store.identify("abcdefghijklmnoq")).toBeNull();
    expect(store.identify("")).toBeNull();
    store.replace(parseTokenFile("qrstuvwxyz012345 reader bob", "f"));
    expect(store.identify("abcdefghijklmnop")).toBeNull();
    expect(store.identify("qrstuvwxyz012345")).toEqual({ role: "reader", name: "bob" });
  });
});

describe("the role a route needs", () => {
  test.each([
    ["GET", "/healthz", null],
    ["GET", "/v1/topics", "reader"],
    ["GET", "/metrics", "reader"],
    ["POST", "/v1/broker-mgmt/metadata", "broker"],
    ["GET", "/BrokerMgmt", "broker"],
    ["POST", "/v1/producers", "broker"],
    ["POST", "/create_producer/1/0", "broker"],
    ["POST", "/v1/topics/t/partitions/0/isr", "broker"],
    ["POST", "/v1/topics", "admin"],
    ["DELETE", "/v1/cluster/voters/3", "admin"],
    ["POST", "/v1/snapshots", "admin"],
    ["OPTIONS", "/v1/topics", "admin"],
  ])("%s %s needs %p", (method, path, role) => {
    expect(requiredRole(method, path)).toBe(role as never);
  });
});
