// Every bound of the metadata layer in one place, so a reviewer can see what can grow and how far.

/** Brokers ever registered (closed ones are kept). */
export const MAX_BROKERS = 10_000;
/**
 * Topics and partitions across the cluster, sized with the memory budget (README "Scale"): the
 * compact image holds 1M partitions in ~350 MiB of heap (scripts/bench/image-memory.ts), so 2M
 * fit a node's 1 GiB goal; 500,000 topics is 2M partitions at 4 each.
 */
export const MAX_TOPICS = 500_000;
/** Partitions across all topics. */
export const MAX_PARTITIONS = 2_000_000;
export const MAX_PRODUCERS = 1_000_000;
/** Partitions one create-topic request may ask for. */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;
export const MAX_REPLICATION_FACTOR = 256;
/** Replica ids in one partition (replicas, ISR, adding, removing). */
export const MAX_REPLICAS = 256;
export const MAX_BROKER_ID = 2_147_483_647;
export const MAX_PRODUCER_ID = Number.MAX_SAFE_INTEGER;
export const MAX_PARTITION_ID = 2_147_483_647;
export const MAX_HOST_LENGTH = 255;
export const MAX_PORT_LENGTH = 32;
export const MAX_PROTOCOL_LENGTH = 64;
export const MAX_RACK_LENGTH = 255;
/** Longer than any legal topic name (249) so the name rules can say what was wrong. */
export const MAX_TOPIC_NAME_INPUT = 1024;
/**
 * Partitions one controller entry changes (failover, preferred election): a batch's command stays
 * under 20 KiB (a reference is at most ~110 bytes), far under MAX_COMMAND_BYTES, and applying it
 * takes 1-2 ms of CPU (scripts/bench-failover.ts at MAX_PARTITIONS), so fencing a broker that is
 * in the ISRs of 100,000 partitions never holds a node's event loop long.
 */
export const MAX_PARTITIONS_PER_CHANGE = 250;
/** A command entry's encoded size; a create-topic with MAX_PARTITIONS_PER_REQUEST stays far below. */
export const MAX_COMMAND_BYTES = 1024 * 1024;
/**
 * Records kept in memory for diffs and the event log. Fencing a broker that is in the ISRs of a
 * tenth of MAX_PARTITIONS writes 200,000 PartitionRecords; the history holds two such failovers,
 * so a broker that fetched just before one gets every new state as a diff, not a snapshot. Most
 * of what it holds is shared with the image (a record stays the image's until it is replaced).
 */
export const DEFAULT_HISTORY_RECORDS = 500_000;
/**
 * The estimated bytes of the history's records that the image no longer holds (event-history.ts,
 * record-bytes.ts): replaced partitions, broker registration changes. Two fences of 200,000
 * partitions, the second replacing every record of the first, make ~52 MiB of them (270 bytes a
 * partition), so both stay whole; broker changes with 200-character hosts (483 bytes each) stay
 * at most ~139,000, where the count alone let 500,000 of them hold ~300 MiB of heap.
 */
export const DEFAULT_HISTORY_OWN_BYTES = 64 * 1024 * 1024;
/** Records in one page of the event log. */
export const MAX_LOG_PAGE = 1_000;
/** Longest long poll a fetch may ask for. */
export const MAX_WAIT_MS = 30_000;
export const DEFAULT_SESSION_TIMEOUT_MS = 9_000;
export const DEFAULT_DIFF_WINDOW_MS = 600_000;
/** How long a follower waits to apply its own forwarded write before answering anyway. */
export const DEFAULT_FORWARD_APPLY_WAIT_MS = 5_000;
/** Forwarded request or reply between nodes. */
export const MAX_FORWARD_BYTES = 8 * 1024 * 1024;
/**
 * Request ids the state machine remembers with their result (exactly-once writes, thesis §6.3).
 * 10 minutes: as long as the metadata diff window and far past any client's retry horizon (Kafka
 * clients give up after delivery.timeout.ms, 2 minutes by default). 50,000 ids: a node's own
 * retries (after not_leader, a re-route, a deposed leader) follow the first attempt within about
 * a second, while the cluster applies at most about 11,000 writes/s (measured peak), so they are
 * covered four times over; at the rates a metadata quorum sees in practice (hundreds of writes a
 * minute) the 10 minutes bind first. Measured with 99,000 remembered topic creations: +31 MB of
 * heap and +22 MB of snapshot, so 50,000 costs about half that. 100,000 records held in the
 * remembered results: an entry keeps its records (a topic created with 10,000 partitions keeps
 * 10,001), so the ids alone do not bound memory.
 */
export const MAX_REMEMBERED_REQUESTS = 50_000;
export const MAX_REMEMBERED_RECORDS = 100_000;
export const REQUEST_MEMORY_MS = 600_000;
/** A client's Idempotency-Key: enough for a UUID, a ULID or a base64 hash with a prefix. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
