// Liveness: the process answers. Also says whether a leader is known, for readiness checks.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";

export function healthRoutes({ handle }: ApiDeps) {
  return new Elysia().get(
    "/healthz",
    () => {
      const leader = handle.leaderId();
      return { status: "ok", nodeId: handle.nodeId, leader, hasLeader: leader !== 0, appliedOffset: handle.appliedIndex() };
    },
    { detail: { tags: ["ops"], summary: "Liveness; hasLeader tells readiness" } },
  );
}
