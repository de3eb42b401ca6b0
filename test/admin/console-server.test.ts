import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { notFound } from "../../src/metadata/errors.ts";
import { NoLeaderError } from "../../src/node/contracts.ts";
import { ConsoleClient } from "./support/console-client.ts";
import { startTestConsole, type TestConsole } from "./support/test-console.ts";

let t: TestConsole;
let client: ConsoleClient;

beforeEach(async () => {
  t = await startTestConsole();
  client = await t.connect();
});

afterEach(() => {
  client.close();
  t.server.stop();
});

describe("session basics", () => {
  test("greets with the node and cluster, then prompts with node id and role", () => {
    expect(client.text).toBe('YAKt console: node 1 of cluster test-cluster. Type "help" for the commands.\r\nyakt[1 leader]> ');
  });

  test("every output line ends with CR LF", async () => {
    await client.command("help");
    await client.command("replication");
    await client.command("nonsense");
    const text = client.text;
    expect(text.split("\n").length).toBeGreaterThan(20);
    expect(text.replaceAll("\r\n", "")).not.toContain("\n");
    expect(text.replaceAll("\r\n", "")).not.toContain("\r");
  });

  test("the prompt follows the node's role", async () => {
    t.node.current.role = "follower";
    t.node.current.leader = 2;
    await client.command("");
    expect(client.text.endsWith("yakt[1 follower]> ")).toBe(true);
  });

  test("an empty line just prompts again", async () => {
    expect(await client.command("   ")).toBe("");
  });

  test("quit and exit say bye and close the connection", async () => {
    client.send("quit\r\n");
    await client.waitClosed();
    expect(client.text.endsWith("bye\r\n")).toBe(true);
    const other = await t.connect();
    other.send("EXIT\n");
    await other.waitClosed();
    expect(other.text.endsWith("bye\r\n")).toBe(true);
  });

  test("Ctrl-C closes politely, and so does telnet's IAC IP", async () => {
    client.send(Uint8Array.of(0x03));
    await client.waitClosed();
    expect(client.text.endsWith("bye\r\n")).toBe(true);
    const other = await t.connect();
    other.send(Uint8Array.of(255, 244));
    await other.waitClosed();
    expect(other.text.endsWith("bye\r\n")).toBe(true);
    const closes = () => t.logs.filter((l) => l.event === "console_session_closed");
    await ConsoleClient.eventually(() => closes().length === 2, "both close logs");
    expect(closes().map((l) => l.fields.reason)).toEqual([
      "interrupt_ctrl-c",
      "interrupt_telnet-ip",
    ]);
  });
});

describe("wire handling", () => {
  test("option requests are refused on the wire", async () => {
    const before = client.bytes.length;
    client.send(Uint8Array.of(255, 253, 1, 255, 251, 24));
    await client.waitFor(() => client.bytes.length >= before + 6, "refusals");
    expect([...client.bytes.subarray(before, before + 6)]).toEqual([255, 252, 1, 255, 254, 24]);
  });

  test("telnet's interrupt with DO TIMING-MARK gets WONT TIMING-MARK before the goodbye", async () => {
    const before = client.bytes.length;
    client.send(Uint8Array.of(255, 244, 255, 253, 6));
    await client.waitClosed();
    expect([...client.bytes.subarray(before)]).toEqual([255, 252, 6, ...new TextEncoder().encode("\r\nbye\r\n")]);
  });

  test("a command split across packets runs once it is whole", async () => {
    const start = client.text.length;
    client.send("sta");
    client.send("tu");
    client.send("s\r");
    client.send("\n");
    await client.waitFor((text) => text.indexOf("]> ", start) >= 0, "prompt");
    expect(client.text.slice(start)).toContain("cluster id      test-cluster");
  });

  test("several commands in one packet run in order, each with its own prompt", async () => {
    const start = client.text.length;
    client.send("topics\r\nsnapshots\nbogus\r\0");
    await client.waitFor((text) => text.slice(start).split("]> ").length === 4, "three prompts");
    const parts = client.text.slice(start).split("yakt[1 leader]> ");
    expect(parts[0]).toContain("orders");
    expect(parts[1]).toBe("(no snapshots)\r\n");
    expect(parts[2]).toStartWith('error: unknown command "bogus"');
  });

  test("an overlong line gets one error and the session goes on", async () => {
    const out = await client.command("x".repeat(5000));
    expect(out).toBe("error: line longer than 4096 bytes discarded (bad_argument)\r\n");
    expect(await client.command("snapshots")).toBe("(no snapshots)\r\n");
  });
});

describe("quorum commands", () => {
  test("status shows node, role, leader, term, offsets and cluster id", async () => {
    expect(await client.command("status")).toBe(
      [
        "node            1",
        "cluster id      test-cluster",
        "role            leader",
        "leader          1",
        "term            3",
        "commit offset   42",
        "applied offset  41",
        "log offsets     5..42",
        "directory id    5f0c6a52-3d7e-4c1b-9f6e-2a8d1b7c4e90",
        "voters          1, 2, 3",
        "learners        4",
        "",
      ].join("\r\n"),
    );
  });

  test("replication shows each voter and observer like kafka-metadata-quorum", async () => {
    expect(await client.command("replication")).toBe(
      [
        "NODE  STATUS    LOG END OFFSET  LAG  LAST CONTACT   ADDRESS",
        "   1  Leader                42    0  0 ms ago       127.0.0.1:9091",
        "   2  Follower              40    2  120 ms ago     127.0.0.1:9092",
        "   3  Follower              12   30  1 min 5 s ago  127.0.0.1:9093",
        "   4  Observer              42    0  80 ms ago      127.0.0.1:9094",
        "",
      ].join("\r\n"),
    );
  });

  test("replication on a follower says that only the leader knows every member", async () => {
    t.node.current.role = "follower";
    t.node.current.leader = 2;
    t.node.current.members = [{ id: 1, address: "127.0.0.1:9091", voter: true, logEndOffset: 40, lag: 0, lastContactMs: null, promotion: null, directoryId: "" }];
    const out = await client.command("replication");
    expect(out).toContain("   1  Follower              40    0  unknown");
    expect(out).toContain("(node 1 is not the leader: only the leader knows every member; leader: 2)");
  });

  test("members lists voters and learners with addresses and directory ids", async () => {
    const out = await client.command("members");
    expect(out.split("\r\n")).toEqual([
      "NODE  KIND     ADDRESS         DIRECTORY ID                          LAG  NOTE",
      "   1  voter    127.0.0.1:9091  5f0c6a52-3d7e-4c1b-9f6e-2a8d1b7c4e90    0  leader, this node",
      "   2  voter    127.0.0.1:9092  dir-2                                   2",
      "   3  voter    127.0.0.1:9093  dir-3                                  30",
      "   4  learner  127.0.0.1:9094  (not bound yet)                         0  caught up",
      "",
    ]);
  });

  test("members shows a learner's lag and why it is not a voter yet; a follower says where that is known", async () => {
    t.node.current.members[3] = { ...t.node.current.members[3], lag: 1234, promotion: "catching up: 1234 entries behind" };
    expect(await client.command("members")).toContain("   4  learner  127.0.0.1:9094  (not bound yet)                       1234  catching up: 1234 entries behind");
    t.node.current.role = "follower";
    t.node.current.leader = 2;
    const out = await client.command("members");
    expect(out).toContain("   4  learner  127.0.0.1:9094  (not bound yet)                         ?\r\n");
    expect(out).toContain("(lag and promotion progress are known on the leader, node 2)");
  });

  test("members says when this node's data dir is not the one the membership names (wiped and formatted anew)", async () => {
    t.node.current.directoryId = "fresh-dir";
    const out = await client.command("members");
    expect(out).toContain("this node, NOT this data dir (fresh-dir): remove-voter 1, then add-voter it again");
  });
});

describe("metadata commands", () => {
  test("brokers lists the ones not CLOSED with the partitions each leads; 'all' and a status filter", async () => {
    const active = await client.command("brokers");
    expect(active.split("\r\n")).toEqual([
      "ID  STATUS  HOST           PORT  PROTOCOL   RACK    EPOCH  LEADS",
      " 1  ALIVE   kafka-1.local  9092  PLAINTEXT  rack-1      0      1",
      "",
    ]);
    expect(await client.command("brokers all")).toContain(" 2  CLOSED  kafka-2.local");
    expect(await client.command("brokers closed")).not.toContain("ALIVE");
    expect(await client.command("brokers fenced")).toBe("(no brokers)\r\n");
    expect(t.metadata.consistencies.every((c) => c === "stale")).toBe(true);
  });

  test("brokers shows a fenced broker, leading nothing after failover", async () => {
    const fenced = { ...t.metadata.brokers[0], fields: { ...t.metadata.brokers[0].fields, brokerId: 3, brokerStatus: "FENCED" as const } };
    t.metadata.brokers.push(fenced);
    try {
      expect(await client.command("brokers")).toContain(" 3  FENCED  kafka-1.local  9092  PLAINTEXT  rack-1      0      0");
    } finally {
      t.metadata.brokers.pop();
    }
  });

  test("broker <id> shows one registration", async () => {
    const out = await client.command("broker 1");
    expect(out).toContain("broker id      1");
    expect(out).toContain("internal uuid  uuid-broker-1");
    expect(out).toContain("changed at     offset 6, 2026-11-24T00:00:06.000Z");
  });

  test("topics and topic <name> with its partitions in order", async () => {
    expect(await client.command("topics")).toBe(
      "NAME    TOPIC UUID         OFFSET  CREATED\r\norders  uuid-topic-orders       8  2026-11-24T00:00:08.000Z\r\n",
    );
    const out = await client.command("topic orders");
    expect(out.split("\r\n")).toEqual([
      "topic       orders",
      "topic uuid  uuid-topic-orders",
      "created at  offset 8, 2026-11-24T00:00:08.000Z",
      "partitions  2",
      "",
      "PARTITION  LEADER  REPLICAS  ISR   ADDING  REMOVING  LEADER EPOCH  EPOCH",
      "        0  1       1, 2      1, 2  -       -                    0      0",
      "        1  2       2, 1      2, 1  -       -                    0      0",
      "",
    ]);
  });

  test("log pages through the records with compact fields", async () => {
    const out = await client.command("log 8 2");
    expect(out.split("\r\n")).toEqual([
      "OFFSET  TIMESTAMP                 RECORD           FIELDS",
      "     8  2026-11-24T00:00:08.000Z  TopicRecord      topicUUID=uuid-topic-orders name=orders",
      "     9  2026-11-24T00:00:09.000Z  PartitionRecord  partitionId=0 topicUUID=uuid-topic-orders replicas=[1,2] ISR=[1,2] removingReplicas=[] addingReplicas=[] leader=1 partitionEpoch=0 leaderEpoch=0",
      "(2 records; log holds offsets 5..42)",
      "",
    ]);
    expect(await client.command("log")).toBe("(no records from offset 23; log holds offsets 5..42)\r\n");
    expect(await client.command("log 100")).toBe("(no records from offset 100; log holds offsets 5..42)\r\n");
  });

  test("a value with terminal escapes is shown harmlessly", async () => {
    t.metadata.brokers[0].fields.brokerHost = "evil\u001b[2J\r\nhost";
    const out = await client.command("broker 1");
    expect(out).toContain("host           evil?[2J??host\r\n");
    expect(out).not.toContain("\u001b");
  });
});

describe("snapshot and metrics commands", () => {
  test("snapshot takes one and snapshots lists it", async () => {
    expect(await client.command("snapshot")).toBe("snapshot taken at offset 41 (term 3, voters 1, 2, 3)\r\n");
    expect(await client.command("snapshots")).toBe("OFFSET  TERM  VOTERS   LEARNERS\r\n    41     3  1, 2, 3  4\r\n");
  });

  test("metrics lists name and value, sorted, with an optional prefix", async () => {
    expect(await client.command("metrics")).toBe(
      "NAME                VALUE\r\nconsole_test_gauge      7\r\nraft_commit_index      42\r\nraft_term               3\r\n",
    );
    expect(await client.command("metrics raft_t")).toBe("NAME       VALUE\r\nraft_term      3\r\n");
    expect(await client.command("metrics zzz")).toBe('(no metrics starting with "zzz")\r\n');
  });
});

describe("membership commands", () => {
  test("transfer-leader hands leadership to a voter", async () => {
    expect(await client.command("transfer-leader 2")).toBe("leadership transferred to node 2; leader is now 2 (term 4)\r\n");
    expect(t.node.calls).toEqual([{ op: "transferLeader", args: [2] }]);
    expect(client.text.endsWith("yakt[1 follower]> ")).toBe(true);
  });

  test("add-voter parses id, host and port", async () => {
    expect(await client.command("add-voter 5@Node-5.local:9095")).toBe(
      "node 5 caught up as a learner and was promoted to voter at node-5.local:9095; voters: 1, 2, 3, 5\r\n",
    );
    expect(await client.command("add-voter 6@[::1]:9096")).toContain("promoted to voter at [::1]:9096");
    expect(await client.command("add-voter --force 7@h:9097")).toContain("promoted to voter at h:9097");
    expect(await client.command("add-voter 8@h:9098 --force")).toContain("promoted to voter at h:9098");
    expect(t.node.calls.map((c) => c.args)).toEqual([
      [5, "node-5.local:9095", false],
      [6, "[::1]:9096", false],
      [7, "h:9097", true],
      [8, "h:9098", true],
    ]);
  });

  test("remove-voter removes a voter, forced or not", async () => {
    expect(await client.command("remove-voter 3")).toBe("node 3 removed; voters: 1, 2; learners: 4\r\n");
    expect(await client.command("remove-voter --force 2")).toBe("node 2 removed; voters: 1; learners: 4\r\n");
    expect(t.node.calls.map((c) => c.args)).toEqual([[3], [2, "force"]]);
  });

  test("the node's refusal of a member is one error line with its code", async () => {
    expect(await client.command("add-voter 2@h:9")).toBe("error: node 2 is already a voter (member_exists)\r\n");
  });

  test("each change is logged with the peer who asked", async () => {
    await client.command("remove-voter 3");
    const audit = t.logs.find((l) => l.event === "console_command");
    expect(audit?.fields).toMatchObject({ command: "remove-voter", args: ["3"], outcome: "done" });
    expect(String(audit?.fields.peer)).toStartWith("127.0.0.1:");
  });
});

describe("errors keep the session going", () => {
  test.each([
    ["frobnicate", 'error: unknown command "frobnicate"; type "help" for the list (unknown_command)'],
    ["broker", 'error: "broker" takes 1 argument(s), got 0; usage: broker <id> (bad_argument)'],
    ["status now", 'error: "status" takes 0 argument(s), got 1; usage: status (bad_argument)'],
    ["log 1 2 3", 'error: "log" takes 0 to 2 argument(s), got 3; usage: log [from] [count] (bad_argument)'],
    ["broker x1", 'error: broker id must be a positive integer, got "x1" (bad_argument)'],
    ["broker 0", 'error: broker id must be a positive integer, got "0" (bad_argument)'],
    ["log 0", 'error: from must be an integer from 1 to 9007199254740991, got "0" (bad_argument)'],
    ["log 1 5000", 'error: count must be an integer from 1 to 1000, got "5000" (bad_argument)'],
    ["brokers dead", 'error: broker filter must be "all" or one of INIT, ALIVE, FENCED, UNFENCED, CLOSED, got "dead" (bad_argument)'],
    ["topic a/b", 'error: topic name must be 1-249 characters of [a-zA-Z0-9._-], got "a/b" (bad_argument)'],
    ["transfer-leader 9", "error: node 9 is not a voter (voters: 1, 2, 3) (bad_argument)"],
    ["add-voter 5", 'error: member must look like <id>@<host>:<port>, got "5" (bad_argument)'],
    ["add-voter 5@h:0", 'error: port must be an integer from 1 to 65535, got "0" in "h:0" (bad_argument)'],
    ["add-voter 5@bad_host:9", 'error: host "bad_host" is not a host name (labels of letters, digits and inner hyphens), an IPv4 address or [IPv6] in "bad_host:9" (bad_argument)'],
    ["add-voter 4@256.256.256.256:1", 'error: host "256.256.256.256" is not an IPv4 address (four numbers 0-255) in "256.256.256.256:1" (bad_argument)'],
    ["add-voter --fast 4@h:1", 'error: add-voter knows only --force, got "--fast" (bad_argument)'],
    ["add-voter --force", "error: add-voter takes one member and optionally --force, got 1 argument(s) (bad_argument)"],
    ["remove-voter 4 5", "error: remove-voter takes one member and optionally --force, got 2 argument(s) (bad_argument)"],
    ["remove-voter x", 'error: node id must be an integer from 1 to 2147483647, got "x" (bad_argument)'],
    ["help nope", 'error: no command "nope" to explain; type "help" for the list (bad_argument)'],
    // Arguments are echoed in at most 60 characters, however long the line (issue 9 §2).
    [`help ${"x".repeat(3000)}`, `error: no command "${"x".repeat(59)}…" to explain; type "help" for the list (bad_argument)`],
    [`${"y".repeat(3000)}`, `error: unknown command "${"y".repeat(59)}…"; type "help" for the list (unknown_command)`],
    ["broker 99", "error: no broker with id 99 (not_found)"],
    ["topic missing", 'error: no topic named "missing" (not_found)'],
  ])("%s", async (line, expected) => {
    expect(await client.command(line)).toBe(`${expected}\r\n`);
    expect(t.node.calls).toEqual([]);
    expect(await client.command("snapshots")).toBe("(no snapshots)\r\n");
  });

  test("a rejected promise from the node is one error line; the other session is untouched", async () => {
    const other = await t.connect();
    t.node.nextResult = () => Promise.reject(new NoLeaderError());
    expect(await client.command("transfer-leader 3")).toBe("error: the cluster has no leader right now; retry shortly (no_leader)\r\n");
    expect(await client.command("remove-voter 1")).toBe("error: refusing to remove node 1: it is the leader (membership)\r\n");
    t.metadata.failWith = notFound("image unavailable");
    expect(await client.command("topics")).toBe("error: image unavailable (not_found)\r\n");
    t.metadata.failWith = null;
    expect(await other.command("topics")).toContain("orders");
    expect(await client.command("status")).toContain("role            leader");
    other.close();
  });

  test("a command the node never answers times out on the console clock", async () => {
    t.node.nextResult = () => new Promise<void>(() => {});
    const start = client.text.length;
    client.send("transfer-leader 2\r\n");
    await ConsoleClient.eventually(() => t.clock.pending() >= 2, "arming the command timer");
    t.clock.advance(30_000);
    await client.waitFor((text) => text.indexOf("]> ", start) >= 0, "prompt");
    expect(client.text.slice(start)).toStartWith(
      'error: "transfer-leader" did not finish within 30000 ms; it may still complete on the node (timeout)\r\n',
    );
  });
});

describe("help", () => {
  test("lists every command with its arguments and marks cluster changes", async () => {
    const out = await client.command("help");
    for (const synopsis of [
      "status",
      "replication",
      "brokers [all|<status>]",
      "broker <id>",
      "topics",
      "topic <name>",
      "log [from] [count]",
      "snapshot *",
      "snapshots",
      "transfer-leader <id> *",
      "members",
      "add-voter [--force] <id>@<host>:<port> *",
      "remove-voter [--force] <id> *",
      "metrics [prefix]",
      "auth <token>",
      "quit",
      "exit",
      "help [command]",
    ]) {
      expect(out).toMatch(new RegExp(`\\r\\n${synopsis.replace(/[[\]|*]/g, "\\$&")}\\s{2,}\\S`));
    }
    expect(out).toContain("* changes the cluster: allowed from loopback, or after auth <token>");
  });

  test("help <command> explains one", async () => {
    expect(await client.command("help add-voter")).toBe(
      "usage: add-voter [--force] <id>@<host>:<port>\r\nadd a node as a learner, promote it to voter once caught up (--force: even if few voters are reachable) (changes the cluster)\r\n",
    );
  });
});
