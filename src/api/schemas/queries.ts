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

export const ListBrokersQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(BROKER_STATUSES.map((s) => Type.Literal(s)))),
    all: Type.Optional(BoolParam),
    consistency: Type.Optional(ConsistencyParam),
  },
  strict,
);

export const LogQuery = Type.Object({ from: Type.Optional(Digits), limit: Type.Optional(Digits) }, strict);

/** `since` of the metadata fetches and the watch: an offset, epoch ms or an ISO-8601 time. */
export const SinceParam = Type.String({ minLength: 1, maxLength: 64, pattern: "^[0-9A-Za-z:.+-]+$" });

export const ClientFetchQuery = Type.Object(
  { since: Type.Optional(SinceParam), wait_ms: Type.Optional(Digits) },
  strict,
);

export const WaitQuery = Type.Object({ wait_ms: Type.Optional(Digits) }, strict);

export const EmptyQuery = Type.Object({}, strict);

export const BrokerIdParams = Type.Object({ brokerId: Digits });
export const TopicNameParams = Type.Object({ name: TopicName });
