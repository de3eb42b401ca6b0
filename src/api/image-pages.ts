// The paged form of a snapshot answer, for clients that cannot read a stream: `?limit=` on a fetch
// that answers with a snapshot keeps its frozen view (put in order in slices, ordered-image.ts) and
// answers its first page with a cursor; `?cursor=` answers the next page of that same view, so
// pages stay consistent with each other however many writes commit meanwhile. A cursor is opaque
// to clients: it names the view's offset, its audience and the index of the next record. At most
// maxPageViews views are kept (the least recently used goes first), each for pageViewTtlMs after
// its last page; a cursor of a view that is gone answers 410 `cursor_expired`.
import type { Audience, FrozenImage } from "../metadata/frozen-image.ts";
import { OrderedImage } from "../metadata/ordered-image.ts";
import type { MetadataSnapshotBody } from "../metadata/service-types.ts";
import { CursorExpiredError, InvalidInputError } from "./api-error.ts";
import type { ApiLimits } from "./limits.ts";

export interface SnapshotPage {
  mode: "snapshot";
  offset: number;
  snapshot: MetadataSnapshotBody;
  /** The cursor of the next page; null on the last one. */
  next: string | null;
}

interface Cursor {
  offset: number;
  audience: Audience;
  index: number;
}

interface KeptView {
  ordered: Promise<OrderedImage>;
  usedAt: number;
}

const CURSOR_TEXT = /^v1\.(\d{1,16})\.([bc])\.(\d{1,16})$/;
/** Ordering work done per turn of the loop while a view is put in order. */
const ORDER_SLICE = 4_000;

export function encodeCursor({ offset, audience, index }: Cursor): string {
  return Buffer.from(`v1.${offset}.${audience === "broker" ? "b" : "c"}.${index}`).toString("base64url");
}

export function decodeCursor(text: string, audience: Audience): Cursor {
  const match = CURSOR_TEXT.exec(/^[A-Za-z0-9_-]{1,64}$/.test(text) ? Buffer.from(text, "base64url").toString() : "");
  if (match === null) throw new InvalidInputError(`cursor ${JSON.stringify(text.slice(0, 80))} is not one this API gave out`);
  const cursor: Cursor = { offset: Number(match[1]), audience: match[2] === "b" ? "broker" : "client", index: Number(match[3]) };
  if (cursor.audience !== audience) throw new InvalidInputError(`this cursor pages a ${cursor.audience} view; use it on the route that gave it out`);
  return cursor;
}

async function putInOrder(image: FrozenImage): Promise<OrderedImage> {
  const ordered = new OrderedImage(image);
  while (!ordered.ordering.done) {
    ordered.ordering.step(ORDER_SLICE);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return ordered;
}

export class ImagePages {
  private readonly views = new Map<string, KeptView>();

  constructor(
    private readonly limits: Pick<ApiLimits, "maxPageViews" | "pageViewTtlMs" | "pageDefaultLimit" | "pageMaxLimit">,
    private readonly now: () => number,
  ) {}

  /** Views held now (for tests and metrics). */
  get size(): number {
    return this.views.size;
  }

  /** The first page of a snapshot answer's frozen view, which is kept for the cursors that follow. */
  async first(image: FrozenImage, limit: number): Promise<SnapshotPage> {
    this.expire();
    const key = keyOf(image.offset, image.audience);
    let kept = this.views.get(key);
    if (kept === undefined) {
      kept = { ordered: putInOrder(image), usedAt: this.now() };
      this.views.set(key, kept);
      this.evictPastBound();
    }
    return this.pageOf(kept, { offset: image.offset, audience: image.audience, index: 0 }, limit);
  }

  /** The page a cursor names, from the view it was cut from. */
  async next(cursorText: string, audience: Audience, limit: number): Promise<SnapshotPage> {
    this.expire();
    const cursor = decodeCursor(cursorText, audience);
    const kept = this.views.get(keyOf(cursor.offset, audience));
    if (kept === undefined) throw new CursorExpiredError(cursor.offset, this.limits.maxPageViews, this.limits.pageViewTtlMs);
    return this.pageOf(kept, cursor, limit);
  }

  private async pageOf(kept: KeptView, cursor: Cursor, limit: number): Promise<SnapshotPage> {
    const key = keyOf(cursor.offset, cursor.audience);
    // Most recently used last, so eviction takes the first.
    this.views.delete(key);
    this.views.set(key, kept);
    kept.usedAt = this.now();
    const ordered = await kept.ordered;
    const total = ordered.total;
    if (cursor.index > total) throw new InvalidInputError(`cursor points past the view's ${total} records`);
    const end = Math.min(total, cursor.index + limit);
    return {
      mode: "snapshot",
      offset: cursor.offset,
      snapshot: end > cursor.index ? ordered.page(cursor.index, end - cursor.index) : { brokers: [], topics: [], partitions: [], producers: [] },
      next: end < total ? encodeCursor({ ...cursor, index: end }) : null,
    };
  }

  private evictPastBound(): void {
    for (const key of this.views.keys()) {
      if (this.views.size <= this.limits.maxPageViews) return;
      this.views.delete(key);
    }
  }

  private expire(): void {
    const now = this.now();
    for (const [key, kept] of this.views) if (now - kept.usedAt >= this.limits.pageViewTtlMs) this.views.delete(key);
  }
}

const keyOf = (offset: number, audience: Audience) => `${audience}:${offset}`;
