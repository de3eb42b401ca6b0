import { afterEach, describe, expect, test } from "bun:test";
import { TokenStore } from "../../src/auth/token-store.ts";
import { parseTokenFile } from "../../src/auth/token-file.ts";
import { ConsoleClient } from "./support/console-client.ts";
import { startTestConsole, type TestConsole } from "./support/test-console.ts";

let t: TestConsole;
const clients: ConsoleClient[] = [];

const connect = async (): Promise<ConsoleClient> => {
  const client = await t.connect();
  clients.push(client);
  return client;
};

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  t.server.stop();
});

const REMOTE = () => false;

describe("cluster-changing commands from a remote peer", () => {
  test("without a configured token they are refused, and nothing reaches the node", async () => {
    t = await startTestConsole({ isTrustedPeer: REMOTE });
    const client = await connect();
    for (const line of ["snapshot", "transfer-leader 2", "add-voter 5@h:9", "remove-voter 3"]) {
      const name = line.split(" ")[0];
      expect(await client.command(line)).toBe(`error: "${name}" changes the cluster and is allowed only from loopback on this console (forbidden)\r\n`);
    }
    expect(await client.command("auth secret")).toBe(
      "error: this console was started without a token; cluster changes are allowed from loopback only (forbidden)\r\n",
    );
    expect(t.node.calls).toEqual([]);
    expect(t.logs.filter((l) => l.event === "console_command").map((l) => l.fields.command)).toEqual([
      "snapshot",
      "transfer-leader",
      "add-voter",
      "remove-voter",
    ]);
  });

  test("read-only commands stay open to a remote peer", async () => {
    t = await startTestConsole({ isTrustedPeer: REMOTE });
    const client = await connect();
    expect(await client.command("status")).toContain("role            leader");
    expect(await client.command("snapshots")).toBe("(no snapshots)\r\n");
  });

  test("with a token they need auth first; a wrong token is refused; the right one unlocks the session only", async () => {
    t = await startTestConsole({ isTrustedPeer: REMOTE, token: "s3cret-token" });
    const client = await connect();
    expect(await client.command("snapshot")).toBe('error: "snapshot" changes the cluster; give the console token first with "auth <token>" (forbidden)\r\n');
    expect(await client.command("auth wrong")).toBe("error: wrong token (attempt 1 of 3) (forbidden)\r\n");
    expect(await client.command("auth s3cret-token")).toBe("authenticated: cluster-changing commands are allowed in this session\r\n");
    expect(await client.command("snapshot")).toBe("snapshot taken at offset 41 (term 3, voters 1, 2, 3)\r\n");
    const other = await connect();
    expect(await other.command("remove-voter 3")).toContain("(forbidden)");
    expect(t.node.calls.map((c) => c.op)).toEqual(["snapshotNow"]);
  });

  test("too many wrong tokens close the session", async () => {
    t = await startTestConsole({ isTrustedPeer: REMOTE, token: "s3cret-token", limits: { maxAuthFailures: 2 } });
    const client = await connect();
    expect(await client.command("auth a")).toBe("error: wrong token (attempt 1 of 2) (forbidden)\r\n");
    client.send("auth b\r\n");
    await client.waitClosed();
    expect(client.text.endsWith("error: wrong token, 2 failed attempts; closing (forbidden)\r\n")).toBe(true);
    expect(t.logs.filter((l) => l.event === "console_auth_failed")).toHaveLength(2);
    await ConsoleClient.eventually(() => t.logs.some((l) => l.event === "console_session_closed"), "the close log");
    expect(t.logs.find((l) => l.event === "console_session_closed")?.fields.reason).toBe("auth_failed");
  });
});

describe("cluster-changing commands from loopback", () => {
  test("are allowed without a token (the default predicate trusts 127.0.0.1)", async () => {
    t = await startTestConsole({ token: "s3cret-token" });
    const client = await connect();
    expect(await client.command("snapshot")).toBe("snapshot taken at offset 41 (term 3, voters 1, 2, 3)\r\n");
    expect(t.logs.find((l) => l.event === "console_session_opened")?.fields.trusted).toBe(true);
  });

  test("the predicate sees the peer's address", async () => {
    const seen: string[] = [];
    t = await startTestConsole({
      isTrustedPeer: (address) => {
        seen.push(address);
        return false;
      },
    });
    await connect();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/127\.0\.0\.1$/);
  });
});

describe("admin tokens of --auth-tokens on the console", () => {
  const tokens = () =>
    new TokenStore(parseTokenFile("admin-token-00000000001 admin alice\nreader-token-0000000001 reader dash", "tokens"));

  test("an admin token unlocks the session and the audit line names its holder; a reader token does not", async () => {
    t = await startTestConsole({ isTrustedPeer: REMOTE, adminTokens: tokens() });
    const client = await connect();
    expect(await client.command("auth reader-token-0000000001")).toBe("error: wrong token (attempt 1 of 3) (forbidden)\r\n");
    expect(await client.command("auth admin-token-00000000001")).toBe("authenticated: cluster-changing commands are allowed in this session\r\n");
    expect(await client.command("snapshot")).toContain("snapshot taken");
    const audit = t.logs.filter((l) => l.event === "console_command");
    expect(audit.map((l) => l.fields.who)).toEqual(["alice"]);
    expect(JSON.stringify(t.logs)).not.toContain("admin-token-00000000001");
  });

  test("status shows the node's insecure-listener warnings", async () => {
    t = await startTestConsole({ warnings: ["REST API on 0.0.0.0:8080 is reachable from other machines without TLS"] });
    const client = await connect();
    expect(await client.command("status")).toContain("warning         REST API on 0.0.0.0:8080 is reachable from other machines without TLS");
  });
});
