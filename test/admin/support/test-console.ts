// Starts a console on a free loopback port over the fakes, with a manual clock and captured logs.
import { type ConsoleServer, startConsole } from "../../../src/admin/console-server.ts";
import type { ConsoleOptions } from "../../../src/admin/console-options.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { ConsoleClient } from "./console-client.ts";
import { FakeMetadata } from "./fake-metadata.ts";
import { FakeNode } from "./fake-node.ts";

export interface TestConsole {
  server: ConsoleServer;
  node: FakeNode;
  metadata: FakeMetadata;
  clock: ManualClock;
  logs: { event: string; fields: Record<string, unknown> }[];
  /** Connects and waits for the first prompt. */
  connect(): Promise<ConsoleClient>;
}

export async function startTestConsole(extra: Partial<ConsoleOptions> = {}): Promise<TestConsole> {
  const node = new FakeNode();
  const metadata = new FakeMetadata();
  const clock = new ManualClock();
  const logs: TestConsole["logs"] = [];
  const server = await startConsole({
    handle: node,
    service: metadata,
    host: "127.0.0.1",
    port: 0,
    clock,
    log: (event, fields) => logs.push({ event, fields }),
    ...extra,
  });
  return {
    server,
    node,
    metadata,
    clock,
    logs,
    async connect() {
      const client = await ConsoleClient.connect(server.port);
      await client.waitForText("]> ");
      return client;
    },
  };
}
