import type { Consistency } from "../metadata/service-types.ts";

/** `?consistency=` → the service's option; absent means linearizable (API.md). */
export function consistencyOf(query: { consistency?: Consistency }): Consistency {
  return query.consistency ?? "linearizable";
}
