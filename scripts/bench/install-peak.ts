// A follower's snapshot install at its peak, in-process: its own image (restored from a snapshot,
// as after a restart) and the image decoded from its leader's slightly newer snapshot are both
// alive until the new one replaces the old. Reported: the live heap (after full collections) the
// decoded image adds, sharing what did not change with the old one (what beginRestore does since
// issue 10: every unchanged record, and the partition table and ISR memberships of every topic
// whose partitions all are unchanged) and without sharing (what it did before), for comparison.
// Memory, not speed:
//   bun scripts/bench/install-peak.ts [--partitions 1000000]
import { heapStats } from "bun:jsc";
import { loadavg } from "node:os";
import { encodeCommand } from "../../src/metadata/commands.ts";
import { beginDecode } from "../../src/metadata/image-codec.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { positiveIntFlag } from "./flags.ts";
import { fillImage } from "./scale-image.ts";

/** Live heap after full collections, MiB. */
function liveMiB(): number {
  Bun.gc(true);
  Bun.gc(true);
  return heapStats().heapSize / 2 ** 20;
}

const partitions = positiveIntFlag("--partitions", 1_000_000);
const leader = new MetadataStateMachine();
fillImage(leader, partitions);
const index = leader.appliedIndex();
const follower = new MetadataStateMachine();
follower.restore(index, leader.snapshot());
// The leader moved on a little (one broker changed) and snapshotted: what the follower installs.
leader.apply(index + 1, encodeCommand({ kind: "changeBroker", timestamp: new Date(0).toISOString(), brokerId: 1, change: "update", brokerPort: "9093" }));
const newer = leader.snapshot();
const own = liveMiB();
console.log(`${partitions.toLocaleString("en")} partitions, snapshot ${(newer.length / 2 ** 20).toFixed(1)} MiB, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
for (const share of [true, false]) {
  const decoded = beginDecode(newer, undefined, share ? follower.image() : null).step(Number.MAX_SAFE_INTEGER);
  if (decoded === null || !decoded.ok) throw new Error("the newer snapshot did not decode");
  const added = liveMiB() - own;
  if (decoded.value.image.partitionCount() !== partitions) throw new Error("the decoded image lost partitions");
  console.log(`${share ? "sharing what did not change" : "without sharing"}: ${added.toFixed(0)} MiB live on top of ${own.toFixed(0)} MiB (both images alive)`);
}
