// Through the real runtime, a leader's committed entry reaches its state machine as the very bytes
// it proposed, so the metadata state machine applies the command it encoded as built
// (MetadataStateMachine.encode) and does not decode it: bytes changed after the proposal (spaces,
// no command at all) are still applied as the command. Bytes it did not encode are decoded.
import { afterEach, expect, test } from "bun:test";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { encodeCommand } from "../../src/metadata/commands.ts";
import { MemoryStorage } from "../../src/storage/index.ts";
import type { RaftRuntime } from "../../src/node/raft-runtime.ts";
import { registerBroker } from "../metadata/fixtures.ts";
import { soloRuntime } from "./support/solo-runtime.ts";
import { waitUntil } from "./support/wait-until.ts";

let runtime: RaftRuntime | null = null;

afterEach(async () => {
  await runtime?.stop();
  runtime = null;
});

test("a leader applies the command it encoded, not its bytes decoded again", async () => {
  const sm = new MetadataStateMachine();
  const rt = (runtime = soloRuntime(new MemoryStorage(), { stateMachine: sm, seed: 11 }));
  await rt.start();
  await waitUntil("self-election", () => rt.isLeader());

  const own = sm.encode(registerBroker(1));
  const proposed = rt.propose(own);
  own.fill(0x20); // before the entry commits and applies
  expect((await proposed).result).toMatchObject({ ok: true, records: [{ name: "RegisterBrokerRecord", fields: { brokerId: 1 } }] });

  const foreign = encodeCommand(registerBroker(2));
  const second = rt.propose(foreign);
  foreign.fill(0x20);
  expect((await second).result).toMatchObject({ ok: false, error: { code: "bad_request" } });
  expect(sm.image().broker(2)).toBeUndefined();
});
