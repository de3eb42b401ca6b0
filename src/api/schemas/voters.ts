// Request shapes of the membership routes. Types only: the values (id range, address form) are
// checked by the one peer-address checker (src/raft/peer-address.ts), as the CLI and console do.
import { type Static, Type } from "@sinclair/typebox";
import { BoolParam } from "./queries.ts";

/** Far above any valid "host:port" (253-char host); bounds what the checker is handed. */
const MAX_ADDRESS_CHARS = 300;

export const AddVoterBody = Type.Object(
  {
    id: Type.Integer({ description: "the new member's node id (1..2147483647)" }),
    address: Type.String({ maxLength: MAX_ADDRESS_CHARS, description: 'its peer address, "host:port" ("[::1]:9093" for IPv6)' }),
    force: Type.Optional(Type.Boolean({ description: "promote even if the new configuration would have fewer reachable voters than its quorum" })),
  },
  { additionalProperties: false },
);
export type AddVoterBody = Static<typeof AddVoterBody>;

export const VoterIdParams = Type.Object({ id: Type.String({ maxLength: 16 }) });
export const RemoveVoterQuery = Type.Object({ force: Type.Optional(BoolParam) }, { additionalProperties: false });
