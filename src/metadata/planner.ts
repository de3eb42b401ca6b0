// Turns a decoded command into the records it adds, or a rejection, without touching the image.
// The same function serves the leader's early check and the authoritative check at apply.
import type { ApplyResult } from "./apply-result.ts";
import { planChangeBroker, planRegisterBroker } from "./broker-rules.ts";
import type { Command } from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { planRegisterProducer } from "./producer-rules.ts";
import { planCreatePartition, planCreateTopic } from "./topic-rules.ts";

export function planCommand(image: MetadataImage, command: Command, offset: number): ApplyResult {
  switch (command.kind) {
    case "registerBroker":
      return planRegisterBroker(image, command, offset);
    case "changeBroker":
      return planChangeBroker(image, command, offset);
    case "createTopic":
      return planCreateTopic(image, command, offset);
    case "createPartition":
      return planCreatePartition(image, command, offset);
    case "registerProducer":
      return planRegisterProducer(image, command, offset);
  }
}
