// Request bodies of the broker endpoints (1 and 4).
import { type Static, Type } from "@sinclair/typebox";
import { BrokerHost, BrokerId, BrokerPort, RackId, SecurityProtocol } from "./fields.ts";

export const RegisterBrokerBody = Type.Object(
  { brokerId: BrokerId, brokerHost: BrokerHost, brokerPort: BrokerPort, securityProtocol: SecurityProtocol, rackId: RackId },
  { additionalProperties: false },
);
export type RegisterBrokerBody = Static<typeof RegisterBrokerBody>;

export const UpdateBrokerBody = Type.Object(
  {
    brokerHost: Type.Optional(BrokerHost),
    brokerPort: Type.Optional(BrokerPort),
    securityProtocol: Type.Optional(SecurityProtocol),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateBrokerBody = Static<typeof UpdateBrokerBody>;
