// splitEarlyMessages: only a leader's replication and the read-index traffic, for a term already
// durable, go before the persist.
import { describe, expect, test } from "bun:test";
import { emptyMessage, type Message, type MessageType, type Ready, splitEarlyMessages } from "../../src/raft/index.ts";

const msg = (type: MessageType, term: number): Message => emptyMessage(type, 1, 2, term);

const ready = (messages: Message[], hardTerm: number | null = null): Ready => ({
  softState: null,
  hardState: hardTerm === null ? null : { term: hardTerm, vote: 1, commit: 0 },
  entries: [],
  snapshot: null,
  committed: [],
  messages,
  readStates: [],
});

describe("splitEarlyMessages", () => {
  test("App, Heartbeat and Snap of the durable term go early, in order", () => {
    const ms = [msg("App", 3), msg("Heartbeat", 3), msg("Snap", 3)];
    const { early, late } = splitEarlyMessages(ready(ms), 3);
    expect(early).toEqual(ms);
    expect(late).toEqual([]);
  });

  test("the read-index traffic of the durable term goes early: it promises nothing about the disk", () => {
    const ms = [msg("HeartbeatResp", 3), msg("ReadIndex", 3), msg("ReadIndexResp", 3)];
    const { early, late } = splitEarlyMessages(ready(ms), 3);
    expect(early).toEqual(ms);
    expect(late).toEqual([]);
  });

  test("votes, append and snapshot acknowledgements and the rest always wait for the persist", () => {
    const types: MessageType[] = ["PreVote", "PreVoteResp", "Vote", "VoteResp", "AppResp", "SnapResp", "TimeoutNow"];
    const ms = types.map((t) => msg(t, 3));
    const { early, late } = splitEarlyMessages(ready(ms), 3);
    expect(early).toEqual([]);
    expect(late).toEqual(ms);
  });

  test("replication and read-index traffic for a term not yet on disk wait", () => {
    const ms = [msg("App", 4), msg("Heartbeat", 4), msg("HeartbeatResp", 4), msg("ReadIndexResp", 4)];
    const { early, late } = splitEarlyMessages(ready(ms, 4), 3);
    expect(early).toEqual([]);
    expect(late).toEqual(ms);
  });
});
