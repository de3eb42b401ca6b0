// dump-log pages its replay as GET /v1/log pages the history: PageCollector against
// EventHistory.page on seeded random logs (entries of 1..4 records, any from and limit).
import { expect, test } from "bun:test";
import fc from "fast-check";
import { PageCollector } from "../../src/cli/client/log-page.ts";
import { EventHistory } from "../../src/metadata/event-history.ts";
import type { MetadataRecord } from "../../src/metadata/records.ts";

function entry(offset: number, size: number): MetadataRecord[] {
  return Array.from({ length: size }, (_, i) => ({
    type: "metadata",
    name: "TopicRecord",
    offset,
    timestamp: "2026-12-06T00:00:00.000Z",
    fields: { topicUUID: `u-${offset}-${i}`, name: `t-${offset}-${i}` },
  })) as MetadataRecord[];
}

test("PageCollector pages exactly like EventHistory.page", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })), { maxLength: 40 }),
      fc.integer({ min: 0, max: 120 }),
      fc.integer({ min: 1, max: 12 }),
      (shape, from, limit) => {
        const history = new EventHistory(1_000_000);
        const page = new PageCollector(from, limit);
        let offset = 0;
        for (const [gap, size] of shape) {
          offset += gap;
          const records = entry(offset, size);
          history.append(records);
          page.add(records);
        }
        expect(page.records).toEqual(history.page(from, limit));
      },
    ),
    { seed: 14, numRuns: 500 },
  );
});
