// The paging of GET /v1/log (metadata/event-history.ts page()) over records that arrive one entry
// at a time, for dump-log's replay: whole offsets from `from` on, up to `limit` records, the first
// offset whole even when it alone is larger than the limit.
import type { MetadataRecord } from "../../metadata/records.ts";

/** Whole offsets from `from` on, up to `limit` records: the paging of GET /v1/log. */
export class PageCollector {
  readonly records: MetadataRecord[] = [];
  private full = false;

  constructor(
    private readonly from: number,
    private readonly limit: number,
  ) {}

  add(records: readonly MetadataRecord[]): void {
    if (this.full || records.length === 0 || records[0].offset < this.from) return;
    // The first offset comes whole even past the limit; after that an offset that does not fit ends the page.
    if (this.records.length > 0 && this.records.length + records.length > this.limit) this.full = true;
    else this.records.push(...records);
  }
}

