// A raw TCP client for console tests: keeps every received byte, and waits (bounded) until the
// output holds some text or the server closed the connection.
import type { Socket } from "bun";

// Below bun's 5 s per-test limit, so a stuck wait fails with what was received instead of a bare timeout.
const WAIT_BOUND_MS = 4_000;
const PROMPT = /yakt\[\d+ [a-z-]+\]> /;

export class ConsoleClient {
  private received: number[] = [];
  private waiters: (() => void)[] = [];
  private socket: Socket<undefined> | null = null;
  closed = false;

  static async connect(port: number): Promise<ConsoleClient> {
    const client = new ConsoleClient();
    client.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, chunk) => client.push(chunk),
        close: () => client.markClosed(),
        error: () => client.markClosed(),
      },
    });
    return client;
  }

  /** Everything received so far, as bytes. */
  get bytes(): Uint8Array {
    return Uint8Array.from(this.received);
  }

  /** Everything received so far, decoded. */
  get text(): string {
    return new TextDecoder().decode(this.bytes);
  }

  send(data: string | Uint8Array): void {
    if (!this.socket) throw new Error("client is not connected");
    const written = this.socket.write(data);
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (written !== size) throw new Error(`test client wrote ${written} of ${size} bytes`);
  }

  /** Sends a command line and resolves with the output it produced up to the next prompt. */
  async command(line: string): Promise<string> {
    const start = this.text.length;
    this.send(`${line}\r\n`);
    const promptAt = () => this.text.slice(start).search(PROMPT);
    await this.waitFor(() => promptAt() >= 0, `prompt after "${line}"`);
    return this.text.slice(start, start + promptAt());
  }

  /** Resolves once the received text satisfies the predicate; fails after a fixed bound. */
  async waitFor(ready: (text: string) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_BOUND_MS;
    while (!ready(this.text)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${WAIT_BOUND_MS} ms; received so far: ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** For conditions outside the byte stream: polls every few ms, within the same bound. */
  static async eventually(ready: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_BOUND_MS;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${WAIT_BOUND_MS} ms`);
      await Bun.sleep(5);
    }
  }

  waitForText(needle: string): Promise<void> {
    return this.waitFor((text) => text.includes(needle), `"${needle}"`);
  }

  async waitClosed(): Promise<void> {
    await this.waitFor(() => this.closed, "close");
  }

  /** Half-close: send FIN, keep reading. */
  endInput(): void {
    this.socket?.shutdown();
  }

  close(): void {
    this.socket?.end();
  }

  private push(chunk: Uint8Array): void {
    for (const byte of chunk) this.received.push(byte);
    this.wake();
  }

  private markClosed(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
