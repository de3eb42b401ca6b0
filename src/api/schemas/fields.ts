// Building blocks of the request schemas: one definition per kind of field, bounded by the
// metadata layer's limits so the API never accepts what the state machine would refuse as absurd.
import { Type } from "@sinclair/typebox";
import {
  MAX_BROKER_ID,
  MAX_HOST_LENGTH,
  MAX_PARTITION_ID,
  MAX_PRODUCER_ID,
  MAX_PROTOCOL_LENGTH,
  MAX_RACK_LENGTH,
  MAX_REPLICAS,
} from "../../metadata/limits.ts";

export const BrokerId = Type.Integer({ minimum: 0, maximum: MAX_BROKER_ID, description: "broker id" });
export const BrokerHost = Type.String({
  minLength: 1,
  maxLength: MAX_HOST_LENGTH,
  pattern: "^[A-Za-z0-9._:\\[\\]-]+$",
  description: "host name or address",
});
/** The ports a broker may listen on, in both forms a request may give one (a string, or a seed route's integer). */
export const MIN_BROKER_PORT = 1;
export const MAX_BROKER_PORT = 65535;
/** 1..65535 in decimal without leading zeros: exactly the strings the integer form renders to. */
const PORT_DIGITS = "^(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$";
/** A TCP port as the spec keeps it: a string of digits, 1..65535 (as BrokerPortNumber). */
export const BrokerPort = Type.String({ pattern: PORT_DIGITS, description: `TCP port ${MIN_BROKER_PORT}..${MAX_BROKER_PORT} as a string without leading zeros, e.g. "9092"` });
/** The same port as an integer (the seed routes take either form). */
export const BrokerPortNumber = Type.Integer({ minimum: MIN_BROKER_PORT, maximum: MAX_BROKER_PORT, description: `TCP port ${MIN_BROKER_PORT}..${MAX_BROKER_PORT}` });
export const SecurityProtocol = Type.String({
  minLength: 1,
  maxLength: MAX_PROTOCOL_LENGTH,
  pattern: "^[A-Za-z0-9_]+$",
  description: "e.g. PLAINTEXT, SSL, SASL_SSL",
});
export const RackId = Type.String({ maxLength: MAX_RACK_LENGTH, pattern: "^[A-Za-z0-9._-]*$", description: "rack name" });
/** Kafka's alphabet and length; the finer rules (".", "..", collisions) are the service's. */
export const TopicName = Type.String({ minLength: 1, maxLength: 249, pattern: "^[a-zA-Z0-9._-]+$" });
export const PartitionId = Type.Integer({ minimum: 0, maximum: MAX_PARTITION_ID });
export const ReplicaList = Type.Array(BrokerId, { maxItems: MAX_REPLICAS });
/** The leader's broker id, kept as a string as the spec has it. */
export const LeaderId = Type.String({ pattern: "^[0-9]{1,10}$", description: "broker id of the leader, as a string" });
export const ProducerId = Type.Integer({ minimum: 0, maximum: MAX_PRODUCER_ID });
/** An offset, epoch milliseconds, or an ISO-8601 time. */
export const Since = Type.Union([
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  Type.String({ minLength: 1, maxLength: 64, pattern: "^[0-9A-Za-z:.+-]+$" }),
]);
/**
 * The body of a write that takes no fields: none, or `{}`. Closed like every other body, so a
 * field sent to it is 422, never silently dropped (docs/api.md's conventions).
 */
export const EmptyBody = Type.Object({}, { additionalProperties: false, description: "no fields: send no body, or {}" });
