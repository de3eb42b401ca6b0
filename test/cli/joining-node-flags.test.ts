// A node whose --node-id is not in --peers joins an existing cluster: it has no --peers entry to
// listen on, so it must be given --listen-peer (the address the members will dial). Without it the
// start is refused at once, instead of listening on the one-node default 127.0.0.1:9091 that no
// member dials (add-voter then failed after its timeout with "never contacted"). The flagless
// one-node default and a node listed in --peers keep their peer address as before.
import { expect, test } from "bun:test";
import { UsageError } from "../../src/cli/cli-errors.ts";
import { runConfig } from "./support/run-config.ts";

const PEERS = "1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003";

test("a joining node without --listen-peer is refused, saying to give the address the others dial", () => {
  let error: unknown = null;
  try {
    runConfig(["--node-id", "4", "--peers", PEERS, "--cluster-id", "c"]);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).exitCode).toBe(2);
  expect((error as Error).message).toBe(
    "--listen-peer is needed: node 4 is not in --peers (it joins as a new member), so it has no peer address to listen on; " +
      "give --listen-peer <host:port>, the peer address the other nodes will dial (the one add-voter 4@<host:port> names)",
  );
});

test("a joining node with --listen-peer listens there and keeps --peers as the members to dial", () => {
  const c = runConfig(["--node-id", "4", "--peers", PEERS, "--cluster-id", "c", "--listen-peer", "127.0.0.1:7004"]);
  expect(c.listenPeer).toEqual({ host: "127.0.0.1", port: 7004 });
  expect([...c.peers.keys()]).toEqual([1, 2, 3]);
  expect(c.peersGiven).toBe(true);
});

test("a node in --peers listens on its own entry; the flagless start is still a one-node cluster on 127.0.0.1:9091", () => {
  expect(runConfig(["--node-id", "2", "--peers", PEERS]).listenPeer).toEqual({ host: "127.0.0.1", port: 7002 });
  const flagless = runConfig([]);
  expect(flagless.listenPeer).toEqual({ host: "127.0.0.1", port: 9091 });
  expect([...flagless.peers]).toEqual([[1, "127.0.0.1:9091"]]);
  expect(flagless.peersGiven).toBe(false);
  // A one-node start with another id or its own --listen-peer is not a joiner either.
  expect(runConfig(["--node-id", "5"]).peers.get(5)).toBe("127.0.0.1:9091");
  expect(runConfig(["--listen-peer", "127.0.0.1:7100"]).peers.get(1)).toBe("127.0.0.1:7100");
});
