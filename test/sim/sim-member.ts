// A node of a simulated run, of either kind: the pure core with the simulator's own Ready loop
// (SimNode, the core mode the planted core bugs run in) or the real node runtime (RuntimeNode,
// the default).
import type { RuntimeNode } from "./runtime-node.ts";
import type { SimNode } from "./sim-node.ts";

export type SimMember = SimNode | RuntimeNode;
