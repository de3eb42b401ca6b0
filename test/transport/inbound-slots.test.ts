// Who keeps an inbound slot: the eviction order among connections still in their handshake, the
// per-address share, handshaken peers that are never evicted, and idle connections kept while they
// settle (the loop turns before their first read).
import { describe, expect, test } from "bun:test";
import { InboundSlots, SETTLE_TURNS, type SlotHolder, TLS_SETTLE_TURNS } from "../../src/transport/inbound-slots.ts";

class Holder implements SlotHolder {
  evicted = false;
  tlsPending = false;
  constructor(
    readonly name: string,
    readonly remoteHost: string,
    public phase: "waiting" | "proving" | "handshaken" = "waiting",
    public bytesReceived = 0,
  ) {}
  evict(): void {
    this.evicted = true;
  }
}

function admit(slots: InboundSlots<Holder>, h: Holder): boolean {
  if (!slots.admit(h.remoteHost)) return false;
  slots.add(h);
  return true;
}

/** Let the loop turn `turns` times (by default until every plain connection added so far has settled). */
function settle(slots: InboundSlots<Holder>, turns = SETTLE_TURNS): void {
  for (let i = 0; i < turns; i++) slots.nextTurn();
}

const limits = { maxInboundConnections: 6, maxPendingHandshakes: 4, maxPendingPerAddress: 3 };

describe("inbound slots", () => {
  test("an address past its share evicts its own oldest idle connection, not another address's", () => {
    const slots = new InboundSlots<Holder>(limits);
    const other = new Holder("other", "10.0.0.2");
    const talking = new Holder("talking", "10.0.0.1", "waiting", 5);
    const idle1 = new Holder("idle1", "10.0.0.1");
    const idle2 = new Holder("idle2", "10.0.0.1");
    for (const h of [other, talking, idle1, idle2]) expect(admit(slots, h)).toBe(true);
    settle(slots);
    expect(admit(slots, new Holder("new", "10.0.0.1"))).toBe(true);
    expect([other, talking, idle1, idle2].filter((h) => h.evicted).map((h) => h.name)).toEqual(["idle1"]);
  });

  test("the pool full, the oldest idle of any address goes first, then waiting, then proving", () => {
    const slots = new InboundSlots<Holder>({ ...limits, maxPendingPerAddress: 4 });
    const names = () => slots.all().map((h) => h.name);
    for (const h of [new Holder("proving", "a", "proving"), new Holder("sending", "b", "waiting", 3), new Holder("idle", "c")]) admit(slots, h);
    settle(slots);
    admit(slots, new Holder("n1", "d", "waiting", 1));
    admit(slots, new Holder("n2", "e", "waiting", 1));
    expect(names()).toEqual(["proving", "sending", "n1", "n2"]);
    admit(slots, new Holder("n3", "f", "proving"));
    expect(names()).toEqual(["proving", "n1", "n2", "n3"]);
    slots.all().forEach((h) => (h.phase = "proving"));
    admit(slots, new Holder("n4", "g"));
    expect(names()).toEqual(["n1", "n2", "n3", "n4"]);
  });

  test("handshaken peers are never evicted; with every slot handshaken a newcomer is refused", () => {
    const slots = new InboundSlots<Holder>(limits);
    const peers = Array.from({ length: 6 }, (_, i) => new Holder(`peer${i}`, "10.0.0.1", "handshaken"));
    for (const p of peers) expect(admit(slots, p)).toBe(true);
    expect(admit(slots, new Holder("late", "10.0.0.9"))).toBe(false);
    expect(peers.some((p) => p.evicted)).toBe(false);
    slots.release(peers[0]!);
    expect(admit(slots, new Holder("late", "10.0.0.9"))).toBe(true);
  });

  test("an idle connection is not evicted while it settles: the newcomer is turned away, and admitted a turn later", () => {
    const slots = new InboundSlots<Holder>(limits);
    const idle = [new Holder("idle1", "10.0.0.1"), new Holder("idle2", "10.0.0.1"), new Holder("idle3", "10.0.0.1")];
    for (const h of idle) expect(admit(slots, h)).toBe(true);
    for (let turn = 1; turn < SETTLE_TURNS; turn++) {
      expect(slots.nextTurn()).toBe(true);
      expect(admit(slots, new Holder(`early${turn}`, "10.0.0.1"))).toBe(false);
    }
    expect(idle.some((h) => h.evicted)).toBe(false);
    expect(slots.nextTurn()).toBe(false);
    expect(admit(slots, new Holder("late", "10.0.0.1"))).toBe(true);
    expect(idle.map((h) => h.evicted)).toEqual([true, false, false]);
  });

  test("a settling idle connection shields talking ones too: the newcomer is turned away rather than evict them", () => {
    const slots = new InboundSlots<Holder>(limits);
    const talking = new Holder("talking", "10.0.0.1", "waiting", 7);
    const proving = new Holder("proving", "10.0.0.1", "proving");
    admit(slots, talking);
    admit(slots, proving);
    settle(slots);
    admit(slots, new Holder("fresh", "10.0.0.1"));
    expect(admit(slots, new Holder("newcomer", "10.0.0.1"))).toBe(false);
    expect(talking.evicted || proving.evicted).toBe(false);
    settle(slots);
    expect(admit(slots, new Holder("newcomer", "10.0.0.1"))).toBe(true);
    expect(slots.all().map((h) => h.name)).toEqual(["talking", "proving", "newcomer"]);
  });

  test("with no idle connection the oldest talking one goes at once, settled or not", () => {
    const slots = new InboundSlots<Holder>(limits);
    const sending = [1, 2, 3].map((i) => new Holder(`sending${i}`, "10.0.0.1", "waiting", i));
    for (const h of sending) admit(slots, h);
    expect(admit(slots, new Holder("newcomer", "10.0.0.1", "waiting", 1))).toBe(true);
    expect(sending.map((h) => h.evicted)).toEqual([true, false, false]);
  });

  test("the turns are counted only while something settles", () => {
    const slots = new InboundSlots<Holder>(limits);
    expect(slots.nextTurn()).toBe(false);
    admit(slots, new Holder("one", "10.0.0.1"));
    const ticks: boolean[] = [];
    for (let i = 0; i < SETTLE_TURNS + 1; i++) ticks.push(slots.nextTurn());
    expect(ticks).toEqual([...Array<boolean>(SETTLE_TURNS - 1).fill(true), false, false]);
  });

  test("a connection in its TLS handshake settles longer, and settles again once the handshake is over", () => {
    const slots = new InboundSlots<Holder>({ ...limits, maxPendingPerAddress: 1 });
    const tls = new Holder("tls", "10.0.0.1");
    tls.tlsPending = true;
    admit(slots, tls);
    settle(slots, TLS_SETTLE_TURNS - 1);
    expect(admit(slots, new Holder("early", "10.0.0.1"))).toBe(false);
    tls.tlsPending = false;
    slots.tlsDone(tls);
    expect(slots.nextTurn()).toBe(true);
    expect(admit(slots, new Holder("still early", "10.0.0.1"))).toBe(false);
    settle(slots, SETTLE_TURNS - 1);
    expect(admit(slots, new Holder("late", "10.0.0.1"))).toBe(true);
    expect(tls.evicted).toBe(true);
  });

  test("a TLS connection that never finishes its handshake is evictable after its longer window", () => {
    const slots = new InboundSlots<Holder>({ ...limits, maxPendingPerAddress: 1 });
    const tls = new Holder("tls", "10.0.0.1");
    tls.tlsPending = true;
    admit(slots, tls);
    const ticks: boolean[] = [];
    for (let i = 0; i < TLS_SETTLE_TURNS; i++) ticks.push(slots.nextTurn());
    expect(ticks).toEqual([...Array<boolean>(TLS_SETTLE_TURNS - 1).fill(true), false]);
    expect(admit(slots, new Holder("next", "10.0.0.1"))).toBe(true);
    expect(tls.evicted).toBe(true);
  });
});
