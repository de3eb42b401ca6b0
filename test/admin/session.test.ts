// The session over a scripted socket, for what real sockets cannot show deterministically:
// a client that stops reading.
import { describe, expect, test } from "bun:test";
import { COMMANDS } from "../../src/admin/command-table.ts";
import type { CommandContext } from "../../src/admin/command-types.ts";
import { resolveLimits } from "../../src/admin/console-options.ts";
import { ConsoleSession, type SessionSocket } from "../../src/admin/session.ts";
import { ManualClock, settle } from "../support/manual-clock.ts";
import { FakeMetadata } from "./support/fake-metadata.ts";
import { FakeNode } from "./support/fake-node.ts";

class ScriptedSocket implements SessionSocket {
  text = "";
  room = Number.POSITIVE_INFINITY;
  ended = false;
  terminated = false;
  write(data: Uint8Array): number {
    const n = Math.min(this.room, data.length);
    this.room -= n;
    this.text += new TextDecoder().decode(data.subarray(0, n));
    return n;
  }
  end(): void {
    this.ended = true;
  }
  terminate(): void {
    this.terminated = true;
  }
}

function setup(limits = {}) {
  const socket = new ScriptedSocket();
  const clock = new ManualClock();
  const logs: string[] = [];
  const ends: string[] = [];
  const ctx: CommandContext = {
    node: new FakeNode(),
    metadata: new FakeMetadata(),
    session: { peer: "10.0.0.9:5000", trusted: false, authorized: false, authFailures: 0, who: null },
    token: undefined,
    adminTokens: null,
    warnings: [],
    limits: resolveLimits(limits),
    clock,
    log: (event) => logs.push(event),
    commands: COMMANDS,
  };
  const session = new ConsoleSession(socket, ctx, (reason) => ends.push(reason));
  return { socket, clock, logs, ends, session };
}

const line = (text: string) => new TextEncoder().encode(`${text}\r\n`);

describe("ConsoleSession back-pressure", () => {
  test("output the socket could not take goes out on drain", async () => {
    const { socket, session } = setup();
    socket.room = 10;
    session.start();
    expect(socket.text).toBe("YAKt conso");
    socket.room = Number.POSITIVE_INFINITY;
    session.drain();
    expect(socket.text).toEndWith("yakt[1 leader]> ");
  });

  test("a client that stops reading is dropped once its queued output passes the cap", async () => {
    const { socket, session, logs } = setup({ maxQueuedOutputBytes: 600 });
    session.start();
    socket.room = 0;
    session.receive(line("help"));
    await settle();
    expect(socket.terminated).toBe(true);
    expect(logs).toContain("console_session_dropped");
    session.closedBySocket();
  });

  test("a goodbye waits for the queued output, then ends the connection", async () => {
    const { socket, session, ends } = setup();
    session.start();
    socket.room = 0;
    session.receive(line("quit"));
    await settle();
    expect(socket.ended).toBe(false);
    socket.room = Number.POSITIVE_INFINITY;
    session.drain();
    expect(socket.ended).toBe(true);
    expect(socket.text).toEndWith("bye\r\n");
    session.closedBySocket();
    expect(ends).toEqual(["quit"]);
  });

  test("a goodbye that is never read is cut off after the idle bound", async () => {
    const { socket, session, clock } = setup({ idleTimeoutMs: 1000 });
    session.start();
    socket.room = 0;
    session.receive(line("quit"));
    await settle();
    clock.advance(1000);
    expect(socket.terminated).toBe(true);
  });

  test("input after close is ignored and no timer is left behind", async () => {
    const { socket, session, clock } = setup();
    session.start();
    session.closedBySocket();
    const before = socket.text;
    session.receive(line("status"));
    await settle();
    expect(socket.text).toBe(before);
    expect(clock.pending()).toBe(0);
  });
});
