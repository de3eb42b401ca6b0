// Encoded messages for one peer gathered during one tick, to leave as a single Messages frame.
// A batch never grows past what one frame can carry.
import { invariant } from "./invariant.ts";
import { BATCH_HEADER_BYTES, batchHeader } from "./message-codec.ts";

export class MessageBatcher {
  private bodies: Uint8Array[] = [];
  private size = 0;
  /** Bound on the encoded messages of one batch: the frame cap minus kind byte and batch header. */
  readonly maxBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxBytes = maxFrameBytes - 1 - BATCH_HEADER_BYTES;
    invariant(this.maxBytes > 0, () => `frame cap ${maxFrameBytes} leaves no room for messages`);
  }

  get bytes(): number {
    return this.size;
  }

  /** Whether `body` still fits; if not, take() the batch first. */
  fits(body: Uint8Array): boolean {
    return this.size + body.length <= this.maxBytes;
  }

  add(body: Uint8Array): void {
    invariant(this.fits(body), () => `message of ${body.length} bytes overfills a ${this.size}-byte batch`);
    this.bodies.push(body);
    this.size += body.length;
  }

  /** The frame body parts (batch header first) and the message count; empties the batcher. */
  take(): { parts: Uint8Array[]; count: number } | null {
    if (this.bodies.length === 0) return null;
    const count = this.bodies.length;
    const parts = [batchHeader(count), ...this.bodies];
    this.bodies = [];
    this.size = 0;
    return { parts, count };
  }
}
