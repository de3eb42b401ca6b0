// Who keeps an inbound slot: the eviction order among connections still in their handshake, the
// per-address share, and handshaken peers that are never evicted.
import { describe, expect, test } from "bun:test";
import { InboundSlots, type SlotHolder } from "../../src/transport/inbound-slots.ts";

class Holder implements SlotHolder {
  evicted = false;
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

const limits = { maxInboundConnections: 6, maxPendingHandshakes: 4, maxPendingPerAddress: 3 };

describe("inbound slots", () => {
  test("an address past its share evicts its own oldest idle connection, not another address's", () => {
    const slots = new InboundSlots<Holder>(limits);
    const other = new Holder("other", "10.0.0.2");
    const talking = new Holder("talking", "10.0.0.1", "waiting", 5);
    const idle1 = new Holder("idle1", "10.0.0.1");
    const idle2 = new Holder("idle2", "10.0.0.1");
    for (const h of [other, talking, idle1, idle2]) expect(admit(slots, h)).toBe(true);
    expect(admit(slots, new Holder("new", "10.0.0.1"))).toBe(true);
    expect([other, talking, idle1, idle2].filter((h) => h.evicted).map((h) => h.name)).toEqual(["idle1"]);
  });

  test("the pool full, the oldest idle of any address goes first, then waiting, then proving", () => {
    const slots = new InboundSlots<Holder>({ ...limits, maxPendingPerAddress: 4 });
    const names = () => slots.all().map((h) => h.name);
    for (const h of [new Holder("proving", "a", "proving"), new Holder("sending", "b", "waiting", 3), new Holder("idle", "c")]) admit(slots, h);
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
});
