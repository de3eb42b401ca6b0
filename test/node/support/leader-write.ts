// One key-value write through whoever leads a RuntimeCluster, retried (bounded) while leadership
// moves, as a client would.
import { NoLeaderError, NotLeaderError } from "../../../src/node/contracts.ts";
import { kvCommand } from "./kv-state-machine.ts";
import type { RuntimeCluster } from "./runtime-cluster.ts";
import { waitUntil } from "./wait-until.ts";

/** Writes `value` under `key`; the index it was committed at. */
export async function writeThroughLeader(c: RuntimeCluster, key: string, value: string): Promise<number> {
  return waitUntil(`write ${key}=${value.length > 40 ? `(${value.length} chars)` : value} acknowledged`, async () => {
    const leader = await c.waitForLeader();
    try {
      return (await leader.runtime.propose(kvCommand(key, value))).index;
    } catch (e) {
      if (e instanceof NoLeaderError || e instanceof NotLeaderError) return null;
      throw e;
    }
  });
}
