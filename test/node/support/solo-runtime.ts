// A one-voter RaftRuntime over a real PeerTransport on an ephemeral loopback port: the smallest
// node the runtime tests start, with the options those tests vary.
import type { StateMachine } from "../../../src/node/contracts.ts";
import { RaftRuntime } from "../../../src/node/raft-runtime.ts";
import type { RuntimeOptions } from "../../../src/node/runtime-options.ts";
import { IntervalTicker } from "../../../src/node/ticker.ts";
import type { LogStorage } from "../../../src/storage/log-storage.ts";
import { PeerTransport } from "../../../src/transport/peer-transport.ts";
import { seededRandom } from "../../support/seeded-random.ts";
import { KvStateMachine } from "./kv-state-machine.ts";

export interface SoloOptions {
  onFatal?: (e: Error) => void;
  logSink?: RuntimeOptions["logSink"];
  /** Called each time the runtime makes its transport (it does so only once it may listen). */
  onTransport?: () => void;
  seed?: number;
  loopLag?: RuntimeOptions["loopLag"];
  /** The state machine it applies to (a KvStateMachine unless given). */
  stateMachine?: StateMachine;
  /** The young-generation collector (none unless given, as in every test). */
  collectYoung?: () => void;
}

export function soloRuntime(storage: LogStorage, opts: SoloOptions = {}): RaftRuntime {
  return new RaftRuntime({
    clusterId: "solo",
    nodeId: 1,
    storage,
    stateMachine: opts.stateMachine ?? new KvStateMachine(),
    initialMembership: { voters: [1], learners: [], addresses: { "1": "127.0.0.1:1" } },
    ticker: new IntervalTicker(10),
    random: seededRandom(opts.seed ?? 7),
    onFatal: opts.onFatal,
    loopLag: opts.loopLag,
    collectYoung: opts.collectYoung,
    ...(opts.logSink ? { logSink: opts.logSink } : {}),
    transport: (handlers) => {
      opts.onTransport?.();
      return new PeerTransport({ clusterId: "solo", nodeId: 1, listenHost: "127.0.0.1", listenPort: 0, peers: new Map(), ...handlers });
    },
  });
}
