// Request body of endpoint 9.
import { type Static, Type } from "@sinclair/typebox";
import { BrokerId, ProducerId } from "./fields.ts";

export const RegisterProducerBody = Type.Object(
  { brokerId: BrokerId, producerId: Type.Optional(ProducerId) },
  { additionalProperties: false },
);
export type RegisterProducerBody = Static<typeof RegisterProducerBody>;
