// One nemesis client: until told to stop, it sends one operation at a time to a node drawn from
// its own seeded PRNG — create a fresh topic, read a topic, set a broker's host to a fresh value,
// read a broker — and pauses a few milliseconds between operations so the load stays modest.
import type { Prng } from "../../sim/prng.ts";
import type { NemesisRequests } from "./nemesis-requests.ts";

/** Topic names shared by every client: each name is created by exactly one operation. */
export class TopicNames {
  private next = 0;
  readonly invoked: string[] = [];

  fresh(): string {
    const name = `t-${this.next++}`;
    this.invoked.push(name);
    return name;
  }

  /** A name some client already tried to create, or the next one (not yet created). */
  any(rng: Prng): string {
    const i = rng.int(0, this.invoked.length);
    return i < this.invoked.length ? this.invoked[i]! : `t-${this.next}`;
  }
}

export interface ClientSetup {
  id: number;
  nodes: readonly number[];
  brokers: readonly number[];
  topics: TopicNames;
  requests: NemesisRequests;
  thinkMs: readonly [number, number];
}

export async function runClient(setup: ClientSetup, rng: Prng, running: () => boolean): Promise<number> {
  let n = 0;
  while (running()) {
    const node = rng.pick(setup.nodes);
    const roll = rng.next();
    const { requests, id } = setup;
    if (roll < 0.3) await requests.createTopic(id, node, setup.topics.fresh());
    else if (roll < 0.55) await requests.readTopic(id, node, setup.topics.any(rng));
    else if (roll < 0.8) await requests.updateBroker(id, node, rng.pick(setup.brokers), `h-${id}-${n}`);
    else await requests.readBroker(id, node, rng.pick(setup.brokers));
    n++;
    await Bun.sleep(rng.int(setup.thinkMs[0], setup.thinkMs[1]));
  }
  return n;
}
