// The deliberately broken variants the bug-injection tests (and `cli.ts --bug NAME`) run, each as
// config overrides on top of a seed's configuration. Broken cores and the simulator's own Ready
// loop run in core mode (runtime: false); broken runtimes and the faulty disk run the real runtime.
// The read bugs are core bugs run either way: in the real runtime by default, in core mode with --core.
import {
  answerReadsAtOnce,
  askerQuorumAnySizeCore,
  countAskerAsQuorum,
  figure8Core,
  ignoreDirectoryIdCore,
  neverCommitCore,
  readWithoutRoundCore,
} from "./broken-cores.ts";
import {
  ackBeforeCommitRuntime,
  ackBeforeFlushRuntime,
  applyBeforePersistRuntime,
  runtimeWithBrokenCore,
  unfencedForwardedReadsRuntime,
} from "./broken-runtimes.ts";
import type { SimConfig } from "./sim-config.ts";

export const INJECTED_BUGS = {
  /** The leader commits a previous-term entry by counting replicas (Raft figure 8). */
  figure8: { runtime: false, factory: figure8Core, replayFlags: "--bug figure8" },
  /** The disk drops the vote from the hard state. */
  "forget-vote": { diskBugs: { forgetVote: true }, replayFlags: "--bug forget-vote" },
  /** The runtime sends a Ready's messages (acks, votes) before persisting it. */
  "send-before-persist": {
    runtime: false,
    runtimeBugs: { sendBeforePersist: true, readBeforeApplied: false },
    replayFlags: "--bug send-before-persist",
  },
  /** The runtime answers a read at once instead of once it has applied the read index. */
  "read-before-applied": {
    runtime: false,
    runtimeBugs: { sendBeforePersist: false, readBeforeApplied: true },
    replayFlags: "--bug read-before-applied",
  },
  /** A core that counts a wiped node's votes and acks as the member it replaced (directory ids ignored). */
  "ignore-directory-id": { runtime: false, factory: ignoreDirectoryIdCore, replayFlags: "--bug ignore-directory-id" },
  /** A core whose leader never advances its commit: nothing is ever committed. */
  "never-commit": { runtime: false, factory: neverCommitCore, replayFlags: "--bug never-commit" },
  /** A storage that reads entries and snapshots without checking their checksums (the real skipChecksums seam): a corrupt read goes unnoticed. */
  "skip-checksum": { diskBugs: { forgetVote: false, skipChecksum: true }, replayFlags: "--bug skip-checksum" },
  /** The real runtime serving forwarded reads from local state, without the read barrier. */
  "unfenced-forwarded-read": { runtimeFactory: unfencedForwardedReadsRuntime, replayFlags: "--bug unfenced-forwarded-read" },
  /** The real runtime with its persist not awaited: it sends and applies before the write is durable. */
  "apply-before-persist": { runtimeFactory: applyBeforePersistRuntime, replayFlags: "--bug apply-before-persist" },
  /** The real runtime over a storage whose flush answers at once, before the device made the writes durable. */
  "ack-before-flush": { runtimeFactory: ackBeforeFlushRuntime, replayFlags: "--bug ack-before-flush" },
  /** The real runtime answering a proposal once appended on the leader, before it commits. */
  "ack-before-commit": { runtimeFactory: ackBeforeCommitRuntime, replayFlags: "--bug ack-before-commit" },
  /** A leader answering every ReadIndex (its own and forwarded ones) at once with its commit index: no heartbeat round confirms it still leads. */
  "read-without-round": {
    factory: readWithoutRoundCore,
    runtimeFactory: runtimeWithBrokenCore(answerReadsAtOnce),
    replayFlags: "--bug read-without-round",
  },
  /** The asking follower counted as the round's ack whatever the number of voters: with five voters the leader and the asker are no quorum. */
  "asker-quorum-any-size": {
    factory: askerQuorumAnySizeCore,
    runtimeFactory: runtimeWithBrokenCore(countAskerAsQuorum),
    replayFlags: "--bug asker-quorum-any-size",
  },
} satisfies Record<string, Partial<SimConfig>>;

export type InjectedBug = keyof typeof INJECTED_BUGS;

export function isInjectedBug(name: string): name is InjectedBug {
  return Object.hasOwn(INJECTED_BUGS, name);
}
