// Turns a decoded command into the records it adds, or a rejection, without touching the image.
// The same function serves the leader's early check and the authoritative check at apply; the
// early check ("check") makes the same decisions but leaves out the records only the apply needs
// (a create's placed partitions), so the leader does not place every topic twice.
import type { ApplyResult } from "./apply-result.ts";
import { planChangeBroker, planRegisterBroker } from "./broker-rules.ts";
import type { Command } from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { planAlterPartition, planCancelReassignment, planElectLeader, planReassignPartition, planReconcilePartitions } from "./partition-rules.ts";
import { planRegisterProducer } from "./producer-rules.ts";
import { unhandled } from "./records.ts";
import { planCreatePartitions, planDeleteTopic } from "./topic-changes.ts";
import { planCreatePartition, planCreateTopic } from "./topic-rules.ts";

/** "check": decide only; an accepted result may leave out records (the apply builds them all). */
export type PlanMode = "apply" | "check";

export function planCommand(image: MetadataImage, command: Command, offset: number, mode: PlanMode = "apply"): ApplyResult {
  switch (command.kind) {
    case "registerBroker":
      return planRegisterBroker(image, command, offset);
    case "changeBroker":
      return planChangeBroker(image, command, offset);
    case "createTopic":
      return planCreateTopic(image, command, offset, mode);
    case "createPartition":
      return planCreatePartition(image, command, offset);
    case "registerProducer":
      return planRegisterProducer(image, command, offset);
    case "alterPartition":
      return planAlterPartition(image, command, offset);
    case "reassignPartition":
      return planReassignPartition(image, command, offset);
    case "cancelReassignment":
      return planCancelReassignment(image, command, offset);
    case "electLeader":
      return planElectLeader(image, command, offset);
    case "reconcilePartitions":
      return planReconcilePartitions(image, command, offset);
    case "createPartitions":
      return planCreatePartitions(image, command, offset, mode);
    case "deleteTopic":
      return planDeleteTopic(image, command, offset);
    default:
      return unhandled(command, "command kind");
  }
}
