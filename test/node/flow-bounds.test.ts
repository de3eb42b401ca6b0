// How the byte bounds of the layers relate (EXAMPLES item 3): a command fits an App, an App and a
// snapshot chunk fit a frame, a forwarded write fits a request frame, and a follower's whole
// inflight window fits the transport's queue to it. flow-bounds.ts checks the replication ones
// when it loads; this test adds the metadata layer's, which the node layer may not import.
import { expect, test } from "bun:test";
import { MAX_COMMAND_BYTES, MAX_FORWARD_BYTES } from "../../src/metadata/limits.ts";
import {
  DEFAULT_MAX_INFLIGHT_BYTES,
  DEFAULT_MAX_MSG_BYTES,
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
} from "../../src/node/flow-bounds.ts";
import { MAX_HANDSHAKE_FRAME_BYTES } from "../../src/transport/handshake-codec.ts";
import { DEFAULT_LIMITS } from "../../src/transport/limits.ts";
import { REQUEST_HEADER_BYTES } from "../../src/transport/request-codec.ts";

test("the byte bounds of the layers nest", () => {
  const frame = DEFAULT_LIMITS.maxFrameBytes;
  expect(MAX_COMMAND_BYTES).toBeLessThanOrEqual(DEFAULT_MAX_MSG_BYTES);
  expect(DEFAULT_MAX_MSG_BYTES).toBeLessThanOrEqual(DEFAULT_MAX_INFLIGHT_BYTES);
  expect(DEFAULT_MAX_MSG_BYTES).toBeLessThan(frame);
  expect(DEFAULT_SNAPSHOT_CHUNK_BYTES).toBeLessThan(frame);
  expect(1 + REQUEST_HEADER_BYTES + MAX_FORWARD_BYTES).toBeLessThanOrEqual(frame);
  expect(DEFAULT_MAX_INFLIGHT_BYTES + DEFAULT_MAX_MSG_BYTES).toBeLessThan(DEFAULT_LIMITS.maxQueueBytes);
  expect(DEFAULT_LIMITS.maxQueueBytes).toBeLessThanOrEqual(16 * 1024 * 1024);
  expect(MAX_HANDSHAKE_FRAME_BYTES).toBeLessThan(frame / 1024);
});
