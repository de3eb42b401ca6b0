// The follower → leader protocol: the leader's handler answers anything, garbage included, with a
// reply; errors come back as the class the leader threw.
import { describe, expect, test } from "bun:test";
import { MetadataError } from "../../src/metadata/errors.ts";
import { decodeForwardReply, encodeForward, errorReply, replyError } from "../../src/metadata/forwarding.ts";
import { ConsensusTimeoutError, NoLeaderError, NotLeaderError } from "../../src/node/contracts.ts";
import { createMetadataService } from "../../src/metadata/service.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { broker, pair, single } from "./service-fixture.ts";

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

describe("forwarding protocol", () => {
  test("the leader's handler answers malformed requests with bad_request and writes nothing", async () => {
    const { handle } = single();
    for (const payload of [enc("not json"), enc({ op: "delete" }), enc({ op: "write", write: { kind: "dropAll" } }), enc({ op: "heartbeat", brokerId: -1 })]) {
      const reply = decodeForwardReply(await handle.forwardToLeader(payload));
      expect(reply).toMatchObject({ ok: false, error: { code: "bad_request" } });
    }
    const bad = decodeForwardReply(await handle.forwardToLeader(enc({ op: "write", write: { kind: "registerBroker", request: { brokerId: "x" } } })));
    expect(bad).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(handle.metrics().raft_proposals_total).toBe(0);
  });

  test("a forwarded write is stamped and applied by the leader, and the reply carries its offset", async () => {
    const { handle, sm } = single();
    const reply = decodeForwardReply(await handle.forwardToLeader(encodeForward({ op: "write", write: { kind: "registerBroker", request: broker(3) } })));
    expect(reply).toMatchObject({ ok: true, offset: 1, records: [{ name: "RegisterBrokerRecord", fields: { brokerId: 3, internalUUID: "n1-id-1" } }] });
    expect(sm.image().broker(3)).toBeDefined();
  });

  test("a node that is no longer leader answers not_leader / no_leader instead of serving", async () => {
    const clock = new ManualClock();
    const sm = new MetadataStateMachine();
    const handle = new LocalConsensus({ stateMachine: sm, clock });
    let handler: ((payload: Uint8Array, from: number) => Promise<Uint8Array>) | undefined;
    const register = handle.onForward.bind(handle);
    handle.onForward = (h) => {
      handler = h;
      register(h);
    };
    createMetadataService({ handle, stateMachine: sm, clock });
    const write = encodeForward({ op: "heartbeat", brokerId: 1 });
    handle.stepDown(4);
    expect(decodeForwardReply(await handler!(write, 2))).toEqual({ ok: false, error: { code: "not_leader", message: "node 1 is not the leader", leader: 4 } });
    handle.stepDown(0);
    expect(decodeForwardReply(await handler!(write, 2))).toMatchObject({ ok: false, error: { code: "no_leader" } });
  });

  test("error classes survive the round trip", () => {
    const cases: [Error, new (...a: never[]) => Error, string][] = [
      [new MetadataError("conflict", "c"), MetadataError, "conflict"],
      [new MetadataError("invalid", "i"), MetadataError, "invalid"],
      [new NotLeaderError(2), NotLeaderError, "not_leader"],
      [new NoLeaderError(), NoLeaderError, "no_leader"],
      [new ConsensusTimeoutError("t"), ConsensusTimeoutError, "timeout"],
    ];
    for (const [error, cls, code] of cases) {
      const reply = errorReply(error);
      if (reply.ok) throw new Error("expected an error reply");
      const back = replyError(reply.error);
      expect(back).toBeInstanceOf(cls);
      expect((back as Error & { code: string }).code).toBe(code);
      expect(back.message).toBe(error.message);
    }
    const internal = errorReply(new TypeError("boom"));
    expect(internal).toEqual({ ok: false, error: { code: "internal", message: "boom" } });
    const back = replyError({ code: "internal", message: "boom" });
    expect(back).not.toBeInstanceOf(MetadataError);
    expect(back.message).toBe("leader failed: boom");
  });

  test("a reply that is not one is an error, not a caller's mistake", () => {
    expect(() => decodeForwardReply(enc({ ok: "yes" }))).toThrow("leader's forward reply");
    expect(() => decodeForwardReply(enc("{"))).toThrow("leader's forward reply");
  });
});

describe("leadership moving under a write", () => {
  test("a node that believed it led, but whose propose is refused as not_leader, forwards the write", async () => {
    const { leader, follower } = pair();
    // A stale view: the follower still thinks it leads when the write arrives.
    follower.handle.isLeader = () => true;
    const record = await follower.service.registerBroker(broker(7));
    expect(record.fields).toMatchObject({ brokerId: 7, internalUUID: "n1-id-1" });
    expect(leader.sm.image().broker(7)).toBeDefined();
    expect(follower.sm.image().broker(7)).toBeDefined();
  });

  test("a forwarded write the leader refused as not_leader (it was handing over) is forwarded once more", async () => {
    const { leader, follower } = pair();
    const propose = leader.handle.propose.bind(leader.handle);
    let refusals = 0;
    leader.handle.propose = (data) => (refusals++ === 0 ? Promise.reject(new NotLeaderError(1)) : propose(data));
    const record = await follower.service.registerBroker(broker(8));
    expect(refusals).toBe(2);
    expect(record.fields.brokerId).toBe(8);
    expect(follower.sm.image().broker(8)).toBeDefined();
  });

  test("a reply carrying a create's frozen records decodes to the same records and fields", async () => {
    const { handle, sm } = single();
    for (const id of [1, 2, 3]) decodeForwardReply(await handle.forwardToLeader(encodeForward({ op: "write", write: { kind: "registerBroker", request: { ...broker(id), rackId: `r${id}` } } })));
    const create = { op: "write", write: { kind: "createTopic", request: { name: "t", partitions: 7, replicationFactor: 2 } } } as const;
    const reply = decodeForwardReply(await handle.forwardToLeader(encodeForward(create)));
    if (!reply.ok) throw new Error(reply.error.message);
    const held = sm.image().topicByName("t");
    expect(reply.records).toEqual(JSON.parse(JSON.stringify([held, ...sm.image().partitionsOf(held?.fields.topicUUID ?? "")])));
    for (const message of [{ ok: true as const, offset: 4, records: reply.records, changed: 2 }, { ok: true as const, offset: 0, records: [] }]) {
      expect(JSON.parse(new TextDecoder().decode(encodeForward(message)))).toEqual(message);
    }
  });
});

