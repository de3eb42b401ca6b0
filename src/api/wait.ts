import { MAX_WAIT_MS } from "../metadata/limits.ts";
import { InvalidInputError } from "./api-error.ts";
import { toOptionalInt } from "./params.ts";

/** `wait_ms` may come in the query or (BrokerMgmt) the body, but only once. */
export function waitMsOf(fromQuery: string | undefined, fromBody?: number): number | undefined {
  const queried = toOptionalInt("wait_ms", fromQuery, 0, MAX_WAIT_MS);
  if (queried !== undefined && fromBody !== undefined) {
    throw new InvalidInputError(`wait_ms given twice (query ${queried}, body ${fromBody}); give it once`);
  }
  return queried ?? fromBody;
}
