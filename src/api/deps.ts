// What every route module is built from.
import type { Consistency, MetadataService } from "../metadata/service-types.ts";
import type { ConsensusHandle } from "../node/contracts.ts";
import type { ImagePages } from "./image-pages.ts";
import type { ApiLimits } from "./limits.ts";
import type { RequestMetrics } from "./request-metrics.ts";
import type { StreamGate } from "./stream-gate.ts";
import type { TopicBodies } from "./topic-bodies.ts";
import type { WatchHub } from "./watch/watch-hub.ts";

export interface ApiDeps {
  service: MetadataService;
  handle: ConsensusHandle;
  limits: ApiLimits;
  requests: RequestMetrics;
  watchers: WatchHub;
  /** The bound of snapshot answers streamed at once. */
  streams: StreamGate;
  /** Frozen views kept for the paged form of snapshot answers. */
  pages: ImagePages;
  /** Topic GET bodies kept encoded while their topic is unchanged (one table per app: per image). */
  topicBodies: TopicBodies;
  /** How the fast route reads a topic GET's plain form: linearizable (API.md), stale only on the start-up warm-up's app. */
  plainTopicReads: Consistency;
}
