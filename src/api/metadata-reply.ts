// How the metadata fetch routes answer: a page of a kept frozen view when the request names a
// cursor (no new fetch), else the fetch's answer, as the first page of its view when `limit` asks
// for the paged form and the answer is a snapshot, or written out in slices (answer-response.ts).
import type { Audience } from "../metadata/frozen-image.ts";
import type { MetadataAnswer } from "../metadata/service-types.ts";
import type { AnswerPrefix } from "../metadata/answer-stream.ts";
import { InvalidInputError } from "./api-error.ts";
import { answerResponse } from "./answer-response.ts";
import type { ApiDeps } from "./deps.ts";
import type { SnapshotPage } from "./image-pages.ts";
import { toOptionalInt } from "./params.ts";

export interface PagingQuery {
  cursor?: string;
  limit?: string;
}

export interface FetchReply {
  deps: ApiDeps;
  request: Request;
  audience: Audience;
  paging?: PagingQuery;
  /** True when the request also names a point (since): a cursor already names one. */
  hasSince?: boolean;
  fetch: () => Promise<MetadataAnswer>;
  /** Keys written before the answer's own (the seed routes' `message`). */
  prefix?: (answer: MetadataAnswer) => AnswerPrefix;
}

export async function replyToFetch({ deps, request, audience, paging = {}, hasSince = false, fetch, prefix }: FetchReply): Promise<Response | SnapshotPage> {
  const { limits, pages } = deps;
  const limit = toOptionalInt("limit", paging.limit, 1, limits.pageMaxLimit);
  if (paging.cursor !== undefined) {
    if (hasSince) throw new InvalidInputError("give either cursor or since: a cursor already names the offset of its view");
    return pages.next(paging.cursor, audience, limit ?? limits.pageDefaultLimit);
  }
  const answer = await fetch();
  if (limit !== undefined && answer.mode === "snapshot") return pages.first(answer.image, limit);
  return answerResponse({ limits, streams: deps.streams }, answer, request, prefix?.(answer));
}
