// splitEarlyMessages: only a leader's replication for a term already durable goes before the persist.
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

  test("votes, acknowledgements and the rest always wait for the persist", () => {
    const types: MessageType[] = ["PreVote", "PreVoteResp", "Vote", "VoteResp", "AppResp", "HeartbeatResp", "SnapResp", "TimeoutNow", "ReadIndex"];
    const ms = types.map((t) => msg(t, 3));
    const { early, late } = splitEarlyMessages(ready(ms), 3);
    expect(early).toEqual([]);
    expect(late).toEqual(ms);
  });

  test("replication for a term not yet on disk waits", () => {
    const ms = [msg("App", 4), msg("Heartbeat", 4)];
    const { early, late } = splitEarlyMessages(ready(ms, 4), 3);
    expect(early).toEqual([]);
    expect(late).toEqual(ms);
  });
});
