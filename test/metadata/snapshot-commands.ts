// Random commands that build an image for the snapshot tests (encoder, restore): brokers that come
// and go, topics with and without partitions, partitions added by hand, producer ids; and a state
// machine fed a list of them as consecutive entries.
import fc from "fast-check";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { changeBroker, createPartition, createTopic, registerBroker, registerProducer } from "./fixtures.ts";

const brokerId = fc.integer({ min: 0, max: 6 });
const topicName = fc.stringMatching(/^[a-z._]{1,6}$/);

export const imageCommand: fc.Arbitrary<Command> = fc.oneof(
  brokerId.map((id) => registerBroker(id) as Command),
  fc.tuple(brokerId, fc.constantFrom("update" as const, "fence" as const, "unregister" as const)).map(([id, change]) => changeBroker(id, change) as Command),
  fc.tuple(topicName, fc.integer({ min: 0, max: 5 })).map(([name, partitions]) => createTopic(name, partitions, 1)),
  fc.tuple(topicName, fc.integer({ min: 0, max: 30 }), brokerId).map(([name, id, b]) => createPartition(name, id, [b]) as Command),
  fc.tuple(brokerId, fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined })).map(([b, p]) => registerProducer(b, p)),
);

/** A state machine that applied `commands` as entries 1, 2, … */
export function fed(commands: readonly Command[]): MetadataStateMachine {
  const sm = new MetadataStateMachine();
  commands.forEach((c, i) => sm.apply(i + 1, encodeCommand(c)));
  return sm;
}
