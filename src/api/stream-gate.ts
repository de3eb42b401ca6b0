// The bound of snapshot answers a node streams at once. Each open stream pins a frozen view of the
// image, so the bound is also what readers can pin; past it a request is refused at once with a
// 503 `too_many_streams` (and Retry-After) rather than queued. The gate also holds the node's one
// collector of the streams' young garbage (young-garbage.ts), told of every chunk they write.
import { TooManyStreamsError } from "./api-error.ts";
import { YoungGarbage } from "./young-garbage.ts";

export class StreamGate {
  private open = 0;
  private refused = 0;

  constructor(
    private readonly limit: number,
    /** The young garbage the streams make, collected as they write. */
    readonly garbage: YoungGarbage = new YoungGarbage(),
  ) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`a stream gate needs a positive bound, got ${limit}`);
  }

  get active(): number {
    return this.open;
  }

  /** For /metrics: snapshot streams open now, and how many were refused at the bound. */
  metrics(): Record<string, number> {
    return { yakt_image_streams: this.open, yakt_image_streams_refused_total: this.refused, ...this.garbage.metrics() };
  }

  /** Takes a slot; the returned function gives it back (once, however often it is called). */
  enter(): () => void {
    if (this.open >= this.limit) {
      this.refused++;
      throw new TooManyStreamsError(this.limit);
    }
    this.open++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.open--;
    };
  }
}
