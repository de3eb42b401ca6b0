// Membership for automation: POST /v1/cluster/voters adds a node (as a learner, promoted once it has
// caught up), DELETE /v1/cluster/voters/:id removes a voter or a learner. The same rules as the
// console's add-voter / remove-voter, enforced by the node (src/node/membership-changes.ts). Both
// routes live in this one plugin so the admin role check, once roles exist, is added here once.
import { Elysia } from "elysia";
import { checkNodeId, parseNodeId, parsePeerAddress } from "../../raft/peer-address.ts";
import { InvalidInputError } from "../api-error.ts";
import type { ApiDeps } from "../deps.ts";
import { refuseIdempotencyKey } from "../idempotency.ts";
import { EmptyBody } from "../schemas/fields.ts";
import { EmptyQuery } from "../schemas/queries.ts";
import { AddVoterBody, RemoveVoterQuery, VoterIdParams } from "../schemas/voters.ts";

const tags = ["cluster"];

/**
 * Why the membership routes take no key: a change is a Raft configuration entry, which carries no
 * request id (only metadata writes are remembered), and the node's own rules make a retry safe.
 */
const MEMBERSHIP_UNKEYED =
  "a membership change is a Raft configuration entry, which carries no request id, so no first answer is remembered; a retry is checked against the membership as it stands";

function checked<T>(r: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!r.ok) throw new InvalidInputError(r.message);
  return r.value;
}

export function voterRoutes({ handle }: ApiDeps) {
  return new Elysia()
    .post(
      "/v1/cluster/voters",
      async ({ body, request, status }) => {
        refuseIdempotencyKey(request, "POST /v1/cluster/voters", `${MEMBERSHIP_UNKEYED} (asking again with the same id and address retries the promotion)`);
        const id = checked(checkNodeId(body.id));
        const address = checked(parsePeerAddress(body.address)).address;
        await handle.addVoter(id, address, { force: body.force === true });
        return status(201, { id, address, voter: true, membership: handle.status().membership });
      },
      {
        body: AddVoterBody,
        query: EmptyQuery,
        detail: { tags, summary: "Add a voter: it joins as a learner and is promoted once caught up (leader only)" },
      },
    )
    .delete(
      "/v1/cluster/voters/:id",
      async ({ params, query, request }) => {
        refuseIdempotencyKey(request, "DELETE /v1/cluster/voters/:id", `${MEMBERSHIP_UNKEYED} (removing a node no longer a member is 404 not_member)`);
        const id = checked(parseNodeId(params.id));
        await handle.removeMember(id, { force: query.force === "true" });
        return { id, removed: true, membership: handle.status().membership };
      },
      {
        params: VoterIdParams,
        body: EmptyBody,
        query: RemoveVoterQuery,
        detail: { tags, summary: "Remove a voter or a learner (leader only)" },
      },
    );
}
