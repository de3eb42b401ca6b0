// Reads a Server-Sent Events body event by event for the watch tests; every wait is bounded.

export interface ReadEvent {
  event: string;
  id: string | null;
  data: any;
  /** Comment lines (": …") seen before this event. */
  comments: string[];
}

export class SseReader {
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private comments: string[] = [];
  ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next event (comments collected on the way), or null once the stream ended. */
  async next(timeoutMs = 5_000): Promise<ReadEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const block = this.takeBlock();
      if (block !== null) {
        const parsed = this.parse(block);
        if (parsed) return parsed;
        continue;
      }
      if (this.ended) return null;
      await this.readMore(deadline, timeoutMs);
    }
  }

  /** Reads until a comment starting with `prefix` has arrived (events on the way are dropped). */
  async comment(prefix: string, timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.comments.find((c) => c.startsWith(prefix));
      if (found !== undefined) return found;
      const block = this.takeBlock();
      if (block !== null) {
        this.parse(block);
        continue;
      }
      if (this.ended) throw new Error(`the stream ended before a comment "${prefix}…"`);
      await this.readMore(deadline, timeoutMs);
    }
  }

  private async readMore(deadline: number, timeoutMs: number): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`nothing awaited arrived within ${timeoutMs} ms (buffer: ${JSON.stringify(this.buffer.slice(0, 200))})`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A connection the server (or its death) cut ends the stream like a close does.
    const chunk = await Promise.race([
      this.reader.read().catch(() => ({ done: true, value: undefined })),
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), left);
      }),
    ]);
    clearTimeout(timer);
    if (chunk === "timeout") return;
    if (chunk.done) this.ended = true;
    else if (chunk.value) this.buffer += this.decoder.decode(chunk.value, { stream: true });
  }

  /** Events until one matches, failing after timeoutMs. */
  async until(match: (e: ReadEvent) => boolean, timeoutMs = 5_000): Promise<ReadEvent[]> {
    const deadline = Date.now() + timeoutMs;
    const seen: ReadEvent[] = [];
    for (;;) {
      const e = await this.next(Math.max(1, deadline - Date.now()));
      if (e === null) throw new Error(`the stream ended before the awaited event (saw ${seen.map((s) => s.event).join(",")})`);
      seen.push(e);
      if (match(e)) return seen;
    }
  }

  cancel(): void {
    void this.reader.cancel().catch(() => {});
  }

  private takeBlock(): string | null {
    const end = this.buffer.indexOf("\n\n");
    if (end < 0) return null;
    const block = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end + 2);
    return block;
  }

  private parse(block: string): ReadEvent | null {
    let event = "message";
    let id: string | null = null;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) this.comments.push(line.slice(1).trim());
      else if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length === 0) return null; // a comment or retry block
    const comments = this.comments;
    this.comments = [];
    return { event, id, data: JSON.parse(data.join("\n")), comments };
  }
}
