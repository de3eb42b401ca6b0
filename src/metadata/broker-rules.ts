// Broker registration and changes, checked against the image. Epochs: a new broker id starts at 0,
// a re-registration (after FENCED or CLOSED) continues from the old epoch + 1, and every
// RegistrationChangeBrokerRecord is the current epoch + 1.
import { type ApplyResult, accepted, rejected } from "./apply-result.ts";
import type { ChangeBrokerCommand, RegisterBrokerCommand } from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { MAX_BROKERS } from "./limits.ts";
import { ACTIVE_STATUSES, type BrokerStatus } from "./records.ts";

export function planRegisterBroker(image: MetadataImage, cmd: RegisterBrokerCommand, offset: number): ApplyResult {
  const existing = image.broker(cmd.brokerId);
  if (existing && ACTIVE_STATUSES.includes(existing.fields.brokerStatus)) {
    return rejected("conflict", `broker ${cmd.brokerId} is already registered and ${existing.fields.brokerStatus}`);
  }
  if (!existing && image.brokerCount() >= MAX_BROKERS) {
    return rejected("invalid", `cannot register broker ${cmd.brokerId}: the cluster already holds ${MAX_BROKERS} brokers`);
  }
  return accepted([
    {
      type: "metadata",
      name: "RegisterBrokerRecord",
      offset,
      timestamp: cmd.timestamp,
      fields: {
        internalUUID: cmd.internalUUID,
        brokerId: cmd.brokerId,
        brokerHost: cmd.brokerHost,
        brokerPort: cmd.brokerPort,
        securityProtocol: cmd.securityProtocol,
        brokerStatus: "INIT",
        rackId: cmd.rackId,
        epoch: existing ? existing.fields.epoch + 1 : 0,
      },
    },
  ]);
}

export function planChangeBroker(image: MetadataImage, cmd: ChangeBrokerCommand, offset: number): ApplyResult {
  const broker = image.broker(cmd.brokerId);
  if (!broker) return rejected("not_found", `broker ${cmd.brokerId} is not registered`);
  const current = broker.fields;
  if (current.brokerStatus === "CLOSED") {
    return rejected("conflict", `broker ${cmd.brokerId} is CLOSED (unregistered); register it again first`);
  }
  const status = nextStatus(cmd.change, current.brokerStatus);
  if (typeof status !== "string") return rejected("conflict", `cannot ${cmd.change} broker ${cmd.brokerId}: ${status.why}`);
  const update = cmd.change === "update";
  return accepted([
    {
      type: "metadata",
      name: "RegistrationChangeBrokerRecord",
      offset,
      timestamp: cmd.timestamp,
      fields: {
        brokerId: cmd.brokerId,
        brokerHost: (update && cmd.brokerHost) || current.brokerHost,
        brokerPort: (update && cmd.brokerPort) || current.brokerPort,
        securityProtocol: (update && cmd.securityProtocol) || current.securityProtocol,
        brokerStatus: status,
        epoch: current.epoch + 1,
      },
    },
  ]);
}

/** The status after `change`, or why the change does not apply to a broker in `status`. */
function nextStatus(change: ChangeBrokerCommand["change"], status: BrokerStatus): BrokerStatus | { why: string } {
  switch (change) {
    case "update":
      return status;
    case "unregister":
      return "CLOSED";
    case "heartbeat":
      if (status === "INIT") return "ALIVE";
      if (status === "FENCED") return "UNFENCED";
      return { why: `it is already ${status}` };
    case "fence":
      return ACTIVE_STATUSES.includes(status) ? "FENCED" : { why: `it is ${status}, not active` };
  }
}
