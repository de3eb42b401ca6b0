// Output of one session with back-pressure: bytes the socket did not take are kept, in order,
// and written on `drain`. The kept bytes are capped, so a client that stops reading costs a
// bounded amount of memory and is then dropped.

/** Bun's socket.write: bytes accepted (maybe fewer than given), or -1 once closed. */
export interface ByteSink {
  write(data: Uint8Array): number;
}

export type SendOutcome = "sent" | "queued" | "overflow" | "closed";

export class OutputQueue {
  private readonly chunks: Uint8Array[] = [];
  private queued = 0;

  constructor(
    private readonly sink: ByteSink,
    readonly maxQueuedBytes: number,
  ) {
    if (!Number.isInteger(maxQueuedBytes) || maxQueuedBytes < 1) {
      throw new RangeError(`maxQueuedBytes must be a positive integer, got ${maxQueuedBytes}`);
    }
  }

  /** Bytes accepted by the session but not yet by the socket. */
  get pendingBytes(): number {
    return this.queued;
  }

  /** "overflow": the cap was hit and nothing of `data` was kept; the caller drops the session. */
  send(data: Uint8Array): SendOutcome {
    let rest = data;
    if (this.chunks.length === 0) {
      const written = this.sink.write(data);
      if (written < 0) return "closed";
      if (written === data.length) return "sent";
      rest = data.subarray(written);
    }
    if (this.queued + rest.length > this.maxQueuedBytes) return "overflow";
    this.chunks.push(rest);
    this.queued += rest.length;
    return "queued";
  }

  /** Called on the socket's drain: writes queued bytes until the socket pushes back again. */
  drain(): void {
    while (this.chunks.length > 0) {
      const head = this.chunks[0];
      const written = this.sink.write(head);
      if (written <= 0) return;
      this.queued -= written;
      if (written < head.length) {
        this.chunks[0] = head.subarray(written);
        return;
      }
      this.chunks.shift();
    }
    if (this.queued !== 0) throw new Error(`output queue is empty but counts ${this.queued} bytes`);
  }
}
