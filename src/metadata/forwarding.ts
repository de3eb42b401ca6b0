// The JSON protocol between a follower's service and the leader's: a follower forwards writes and
// broker heartbeats (only the leader stamps times and ids and runs liveness), plain heartbeats in
// batches (heartbeat-batch.ts); the leader answers with the result or an error code that the
// follower turns back into the same error class, in a batch one per broker.
import { type Static, Type } from "@sinclair/typebox";
import { ConsensusTimeoutError, NoLeaderError, NotLeaderError } from "../node/contracts.ts";
import { parseJson, schemaProblem } from "./commands.ts";
import { MetadataError, isMetadataErrorCode } from "./errors.ts";
import { MAX_HEARTBEAT_BATCH } from "./heartbeat-batch.ts";
import { MAX_FORWARD_BYTES } from "./limits.ts";
import { recordsJson } from "./record-json.ts";
import { MetadataRecord } from "./records.ts";
import { WRITE_KINDS, type WriteRequest } from "./write-requests.ts";

const ForwardRequestSchema = Type.Union([
  Type.Object({ op: Type.Literal("write"), write: Type.Object({ kind: Type.Union(WRITE_KINDS.map((k) => Type.Literal(k))) }) }),
  Type.Object({ op: Type.Literal("heartbeat"), brokerId: Type.Integer({ minimum: 0 }), wantShutdown: Type.Optional(Type.Boolean()) }),
  Type.Object({ op: Type.Literal("heartbeats"), brokerIds: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: MAX_HEARTBEAT_BATCH }) }),
  Type.Object({ op: Type.Literal("electLeaders") }),
]);
export type ForwardRequest =
  | { op: "write"; write: WriteRequest }
  | { op: "heartbeat"; brokerId: number; wantShutdown?: boolean }
  | { op: "heartbeats"; brokerIds: number[] }
  | { op: "electLeaders" };

const ReplyError = Type.Object({ code: Type.String(), message: Type.String(), leader: Type.Optional(Type.Integer()) });

const ForwardReplySchema = Type.Union([
  Type.Object({
    ok: Type.Literal(true),
    offset: Type.Integer({ minimum: 0 }),
    records: Type.Array(MetadataRecord),
    /** A controller pass (preferred election of all): partitions changed and entries it took. */
    changed: Type.Optional(Type.Integer({ minimum: 0 })),
    batches: Type.Optional(Type.Integer({ minimum: 0 })),
    /** A batch of heartbeats: each broker's offset (its status change, 0 for none) or error. */
    heartbeats: Type.Optional(
      Type.Array(Type.Object({ brokerId: Type.Integer({ minimum: 0 }), offset: Type.Optional(Type.Integer({ minimum: 0 })), error: Type.Optional(ReplyError) }), {
        maxItems: MAX_HEARTBEAT_BATCH,
      }),
    ),
  }),
  Type.Object({ ok: Type.Literal(false), error: ReplyError }),
]);
export type ForwardReply = Static<typeof ForwardReplySchema>;

const encoder = new TextEncoder();

/**
 * A request or reply as UTF-8 JSON. A reply's records (a create's 100 partitions) are written by
 * record-json.ts, after the other keys: JSON.stringify of frozen records is ~4× slower.
 */
export function encodeForward(message: ForwardRequest | ForwardReply): Uint8Array {
  if (!("records" in message) || message.records.length === 0) return encoder.encode(JSON.stringify(message));
  const { records, ...rest } = message;
  return encoder.encode(`${JSON.stringify(rest).slice(0, -1)},"records":${recordsJson(records)}}`);
}

/** Leader side: a malformed request is answered as bad_request. */
export function decodeForwardRequest(data: Uint8Array): ForwardRequest {
  const parsed = parseJson(data, MAX_FORWARD_BYTES);
  if (!parsed.ok) throw new MetadataError("bad_request", `forwarded request: ${parsed.message}`);
  const problem = schemaProblem(ForwardRequestSchema, parsed.value);
  if (problem) throw new MetadataError("bad_request", `forwarded request: ${problem}`);
  return parsed.value as ForwardRequest;
}

/** Follower side: a reply that is not one is the leader's fault, not the caller's. */
export function decodeForwardReply(data: Uint8Array): ForwardReply {
  const parsed = parseJson(data, MAX_FORWARD_BYTES);
  if (!parsed.ok) throw new Error(`leader's forward reply: ${parsed.message}`);
  const problem = schemaProblem(ForwardReplySchema, parsed.value);
  if (problem) throw new Error(`leader's forward reply: ${problem}`);
  return parsed.value as ForwardReply;
}

/** An error thrown on the leader, as a reply. */
export function errorReply(error: unknown): ForwardReply {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof MetadataError) return { ok: false, error: { code: error.code, message } };
  if (error instanceof NotLeaderError) return { ok: false, error: { code: "not_leader", message, leader: error.leader } };
  if (error instanceof NoLeaderError) return { ok: false, error: { code: "no_leader", message } };
  if (error instanceof ConsensusTimeoutError) return { ok: false, error: { code: "timeout", message } };
  return { ok: false, error: { code: "internal", message } };
}

/** The reply's error as the class the leader threw. */
export function replyError(error: { code: string; message: string; leader?: number }): Error {
  if (isMetadataErrorCode(error.code)) return new MetadataError(error.code, error.message);
  if (error.code === "not_leader") return new NotLeaderError(error.leader ?? 0, error.message);
  if (error.code === "no_leader") return new NoLeaderError(error.message);
  if (error.code === "timeout") return new ConsensusTimeoutError(error.message);
  return new Error(`leader failed: ${error.message}`);
}
