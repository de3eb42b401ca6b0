// Nodes first started with different --peers are two clusters, whatever their cluster id says: the
// handshake compares the voters each was first started with and refuses the link both ways, so
// neither takes the other's leader, votes or entries. A side that does not know its own (a joiner,
// a store first started before founders were kept) is not compared.
import { describe, expect, test } from "bun:test";
import { answerHello, checkAck, dialerHello } from "../../src/transport/handshake.ts";
import { decodeHello, foundersMismatch } from "../../src/transport/handshake-codec.ts";

const node = (nodeId: number, founders: number[]) => ({ nodeId, clusterId: "c", secret: null, advertised: () => `127.0.0.1:${9000 + nodeId}`, founders });
const body = (frame: Uint8Array) => frame.subarray(5);

/** The listener's answer to the dialer's Hello, and the dialer's verdict on an ack. */
function shake(dialer: ReturnType<typeof node>, listener: ReturnType<typeof node>) {
  const { frame, nonce } = dialerHello(dialer);
  const answer = answerHello(listener, decodeHello(body(frame)), () => true, null);
  return { answer, dialerVerdict: answer.kind === "ack" ? checkAck(dialer, listener.nodeId, nonce, decodeHello(body(answer.ack))).mismatch : null };
}

describe("founding voters in the handshake", () => {
  test("the same founders: acked and trusted", () => {
    const { answer, dialerVerdict } = shake(node(1, [1, 2, 3]), node(3, [1, 2, 3]));
    expect(answer.kind).toBe("ack");
    expect(dialerVerdict).toBeNull();
  });

  test("other founders: the listener refuses, naming both sets and what to do", () => {
    const { answer } = shake(node(1, [1, 2, 3]), node(3, [3]));
    if (answer.kind !== "refuse") throw new Error("expected a refusal");
    expect(answer.reason).toContain("node 1 was first started with voters [1,2,3], node 3 with [3]: two clusters");
    expect(answer.reason).toContain("Reformat the node whose first --peers were wrong");
  });

  test("the dialer refuses an ack whose founders differ (a listener of an older rule acks anyone)", () => {
    const dialer = node(3, [3]);
    const { nonce } = dialerHello(dialer);
    const { frame } = dialerHello(node(1, [1, 2, 3])); // the ack's body has the Hello's layout
    const ack = decodeHello(body(frame));
    expect(checkAck(dialer, 1, nonce, ack).mismatch).toContain("node 1 was first started with voters [1,2,3], node 3 with [3]");
  });

  test("a side that does not know its founders is not compared", () => {
    for (const [a, b] of [[[], [1, 2, 3]], [[1, 2, 3], []], [[], []]]) {
      const { answer, dialerVerdict } = shake(node(4, a), node(1, b));
      expect(answer.kind).toBe("ack");
      expect(dialerVerdict).toBeNull();
    }
  });

  test("sets are compared as given, ascending (the transport sorts them)", () => {
    expect(foundersMismatch([1, 2], 1, [1, 2], 2)).toBeNull();
    expect(foundersMismatch([1, 2], 1, [1, 2, 3], 3)).toContain("[1,2,3]");
    expect(foundersMismatch([1, 3], 1, [1, 2], 2)).not.toBeNull();
  });
});
