// Query strings. Integers are digit strings here and converted with a named range check
// (params.ts); everything else is an enumeration, and unknown parameters are refused.
import { Type } from "@sinclair/typebox";
import { BROKER_STATUSES } from "../../metadata/records.ts";
import { DIGITS_PATTERN } from "../params.ts";
import { TopicName } from "./fields.ts";

export const Digits = Type.String({ pattern: DIGITS_PATTERN });
export const ConsistencyParam = Type.Union([Type.Literal("linearizable"), Type.Literal("stale")], {
  description: "linearizable (default): read through the leader; stale: this node's state at once",
});
export const BoolParam = Type.Union([Type.Literal("true"), Type.Literal("false")]);
const strict = { additionalProperties: false } as const;

export const ConsistencyQuery = Type.Object({ consistency: Type.Optional(ConsistencyParam) }, strict);

/**
 * Routes that always answer from this node (its quorum view, its snapshots, its applied log)
 * accept `consistency=stale`, so a client may add it to every read; `linearizable` would be a
 * promise they do not keep, and is refused.
 */
export const StaleParam = Type.Literal("stale", { description: "this route always answers from this node's own state" });
export const LocalReadQuery = Type.Object({ consistency: Type.Optional(StaleParam) }, strict);

export const ListBrokersQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(BROKER_STATUSES.map((s) => Type.Literal(s)))),
    all: Type.Optional(BoolParam),
    consistency: Type.Optional(ConsistencyParam),
  },
  strict,
);

export const LogQuery = Type.Object({ from: Type.Optional(Digits), limit: Type.Optional(Digits), consistency: Type.Optional(StaleParam) }, strict);

/** `since` of the metadata fetches and the watch: an offset, epoch ms or an ISO-8601 time. */
export const SinceParam = Type.String({ minLength: 1, maxLength: 64, pattern: "^[0-9A-Za-z:.+-]+$" });

/** The paged form of a snapshot answer (image-pages.ts): `limit` starts it, `cursor` goes on. */
const PagingParams = {
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$", description: "opaque: the `next` of the previous page" })),
  limit: Type.Optional(Type.String({ pattern: DIGITS_PATTERN, description: "records per page; asks for the paged form of a snapshot answer" })),
};

const ClientFetchParams = { since: Type.Optional(SinceParam), wait_ms: Type.Optional(Digits), consistency: Type.Optional(ConsistencyParam) };
export const ClientFetchQuery = Type.Object(ClientFetchParams, strict);
export const PagedClientFetchQuery = Type.Object({ ...ClientFetchParams, ...PagingParams }, strict);

export const BrokerFetchQuery = Type.Object({ wait_ms: Type.Optional(Digits), consistency: Type.Optional(ConsistencyParam), ...PagingParams }, strict);

export const WaitQuery = Type.Object({ wait_ms: Type.Optional(Digits) }, strict);

export const EmptyQuery = Type.Object({}, strict);

export const BrokerIdParams = Type.Object({ brokerId: Digits });
export const TopicNameParams = Type.Object({ name: TopicName });
