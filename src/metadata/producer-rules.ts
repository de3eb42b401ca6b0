// Producer id registration: the broker must be active; an explicit id must be unused; without one,
// the next unused id is taken (deterministic: the image's counter, kept in snapshots).
import { type ApplyResult, accepted, rejected } from "./apply-result.ts";
import type { RegisterProducerCommand } from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { MAX_PRODUCER_ID, MAX_PRODUCERS } from "./limits.ts";
import { ACTIVE_STATUSES } from "./records.ts";

export function planRegisterProducer(image: MetadataImage, cmd: RegisterProducerCommand, offset: number): ApplyResult {
  const broker = image.broker(cmd.brokerId);
  if (!broker) return rejected("not_found", `broker ${cmd.brokerId} is not registered`);
  const { brokerStatus, epoch } = broker.fields;
  if (!ACTIVE_STATUSES.includes(brokerStatus)) return rejected("conflict", `broker ${cmd.brokerId} is ${brokerStatus}, not active`);
  if (cmd.brokerEpoch !== undefined && cmd.brokerEpoch !== epoch) {
    return rejected("conflict", `broker epoch ${cmd.brokerEpoch} is stale: broker ${cmd.brokerId} is at epoch ${epoch}`);
  }
  if (image.producerCount() >= MAX_PRODUCERS) return rejected("invalid", `the cluster already holds ${MAX_PRODUCERS} producer ids`);
  const producerId = cmd.producerId ?? image.nextProducerId();
  if (image.producer(producerId)) return rejected("conflict", `producer id ${producerId} is already in use`);
  if (producerId > MAX_PRODUCER_ID) return rejected("invalid", `producer ids are exhausted (next would be ${producerId})`);
  return accepted([
    {
      type: "metadata",
      name: "ProducerIdsRecord",
      offset,
      timestamp: cmd.timestamp,
      fields: { brokerId: cmd.brokerId, brokerEpoch: epoch, producerId },
    },
  ]);
}
