// The consensus contract's conformance suite, run against the real runtime (one node over the
// memory storage and a real transport) and against the LocalConsensus double that the metadata,
// API and console tests use. A case the double cannot pass is skipped by name with the reason.
// Beyond the cases, the double differs by construction, and the upper layers' tests must not
// lean on these: it commits at once (no replication, no fsync), it has no elections (roles are
// set by stepDown/becomeLeader), a follower "replicates" by being pushed the leader's applies,
// its snapshots live in memory, and membership changes only edit its own status.
import { NoLeaderError } from "../../src/node/contracts.ts";
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import { IntervalTicker } from "../../src/node/ticker.ts";
import { MemoryStorage } from "../../src/storage/index.ts";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { runConformance } from "./consensus-conformance.ts";
import { KvStateMachine } from "./support/kv-state-machine.ts";
import { waitUntil } from "./support/wait-until.ts";

runConformance("the real runtime", async () => {
  const machine = new KvStateMachine();
  const handle = new RaftRuntime({
    clusterId: "conformance",
    nodeId: 1,
    storage: new MemoryStorage(),
    stateMachine: machine,
    initialMembership: { voters: [1], learners: [], addresses: { "1": "127.0.0.1:1" } },
    ticker: new IntervalTicker(10),
    random: seededRandom(11),
    transport: (handlers) => new PeerTransport({ clusterId: "conformance", nodeId: 1, listenHost: "127.0.0.1", listenPort: 0, peers: new Map(), ...handlers }),
  });
  await handle.start();
  await waitUntil("self-election", () => handle.isLeader(), 5_000);
  // The no-op of the new term must be applied before the node serves reads of its own.
  await waitUntil("the term's first entry applied", async () => {
    await handle.readBarrier().catch((e) => {
      if (!(e instanceof NoLeaderError)) throw e;
    });
    return handle.appliedIndex() >= handle.status().commitOffset;
  }, 5_000);
  return { handle, machine, stop: () => handle.stop() };
});

runConformance(
  "the LocalConsensus double",
  async () => {
    const machine = new KvStateMachine();
    const handle = new LocalConsensus({ stateMachine: machine });
    return { handle, machine, stop: async () => {} };
  },
  {},
);
