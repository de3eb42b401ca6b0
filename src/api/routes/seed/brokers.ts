// Seed-compatible broker and producer routes, served by the same service calls as /v1.
import { Elysia } from "elysia";
import { MAX_BROKER_ID } from "../../../metadata/limits.ts";
import { InvalidInputError } from "../../api-error.ts";
import { defined } from "../../defined.ts";
import type { ApiDeps } from "../../deps.ts";
import { writeOptionsOf } from "../../idempotency.ts";
import { toInt } from "../../params.ts";
import {
  SeedCreateProducerBody,
  SeedIdParams,
  SeedProducerParams,
  SeedRegisterBrokerBody,
  SeedUnregisterBrokerBody,
  SeedUpdateBrokerBody,
} from "../../schemas/seed.ts";

const detail = (summary: string) => ({ tags: ["seed-compat"], summary });
const idOf = (raw: string, name = "id") => toInt(name, raw, 0, MAX_BROKER_ID);
const portOf = (port: string | number | undefined) => (port === undefined ? undefined : String(port));

function sameOrAbsent(name: string, inBody: number | undefined, inPath: number): void {
  if (inBody !== undefined && inBody !== inPath) {
    throw new InvalidInputError(`${name} in the body (${inBody}) differs from the one in the path (${inPath})`);
  }
}

export function seedBrokerRoutes({ service }: ApiDeps) {
  return new Elysia()
    .post(
      "/register_broker",
      async ({ body, request }) => {
        const { brokerId, brokerHost, brokerPort, securityProtocol, rackId } = body;
        const registration = { brokerId, brokerHost, brokerPort: String(brokerPort), securityProtocol, rackId: rackId ?? "" };
        const record = await service.registerBroker(registration, writeOptionsOf(request));
        return { message: "Broker registered successfully", record };
      },
      { body: SeedRegisterBrokerBody, detail: detail("Seed: register a broker") },
    )
    .get(
      "/get_all_active_brokers",
      async () => {
        const brokers = await service.listBrokers({});
        return { active_brokers: brokers.map((b) => b.fields.brokerId), brokers };
      },
      { detail: detail("Seed: ids (and records) of the active brokers") },
    )
    .get(
      "/get_broker_by_id/:id",
      async ({ params }) => {
        const record = await service.getBroker(idOf(params.id));
        return { ...record.fields, timestamp: record.timestamp, record };
      },
      { params: SeedIdParams, detail: detail("Seed: one broker") },
    )
    .put(
      "/update_broker/:id",
      async ({ params, body, request }) => {
        const brokerId = idOf(params.id);
        sameOrAbsent("brokerId", body.brokerId, brokerId);
        const { brokerHost, securityProtocol } = body;
        const change = defined({ brokerHost, securityProtocol, brokerPort: portOf(body.brokerPort) });
        if (Object.keys(change).length === 0) {
          throw new InvalidInputError(`nothing to update for broker ${brokerId}: give brokerHost, brokerPort or securityProtocol`);
        }
        const record = await service.updateBroker(brokerId, change, writeOptionsOf(request));
        return { message: `Broker with ID ${brokerId} updated successfully`, record };
      },
      { params: SeedIdParams, body: SeedUpdateBrokerBody, detail: detail("Seed: update a broker") },
    )
    .patch(
      "/unregister_broker/:id",
      async ({ params, body, request }) => {
        const brokerId = idOf(params.id);
        sameOrAbsent("brokerId", body.brokerId, brokerId);
        const record = await service.unregisterBroker(brokerId, writeOptionsOf(request));
        return { message: `Broker with ID ${brokerId} unregistered successfully`, record };
      },
      { params: SeedIdParams, body: SeedUnregisterBrokerBody, detail: detail("Seed: unregister a broker") },
    )
    .post(
      "/create_producer/:broker_id/:broker_epoch",
      async ({ params, body, request }) => {
        const brokerId = idOf(params.broker_id, "broker_id");
        const brokerEpoch = toInt("broker_epoch", params.broker_epoch, 0, Number.MAX_SAFE_INTEGER);
        sameOrAbsent("brokerId", body.brokerId, brokerId);
        sameOrAbsent("brokerEpoch", body.brokerEpoch, brokerEpoch);
        const record = await service.registerProducer({ brokerId, brokerEpoch, producerId: body.producerId }, writeOptionsOf(request));
        return { message: "Producer created successfully", record };
      },
      { params: SeedProducerParams, body: SeedCreateProducerBody, detail: detail("Seed: register a producer") },
    );
}
