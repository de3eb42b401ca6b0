// parseIsoStamp must read every string exactly as Date.parse does (replicas running either
// version agree on the remembered requests' clock): toISOString's own stamps over the whole range
// it writes in that layout, the calendar's edges (days 29-31, leap days, hour 24), and strings
// that only look like stamps. isoStamper formats once per millisecond.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isoStamper, parseIsoStamp } from "../../src/metadata/iso-stamp.ts";

/** The same number, NaN included. */
function expectLikeDateParse(stamp: string): void {
  expect(Object.is(parseIsoStamp(stamp), Date.parse(stamp))).toBe(true);
}

describe("parseIsoStamp", () => {
  test("reads toISOString's stamps from 1970 to 9999 as Date.parse does", () => {
    const last = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: last }), (ms) => {
        const stamp = new Date(ms).toISOString();
        expect(parseIsoStamp(stamp)).toBe(ms);
        expectLikeDateParse(stamp);
      }),
      { seed: 20261207, numRuns: 5_000 },
    );
  });

  test("the calendar's edges and the other layouts go to Date.parse", () => {
    const stamps = [
      "2026-02-28T23:59:59.999Z",
      "2026-02-29T00:00:00.000Z", // no such day
      "2024-02-29T12:00:00.000Z", // a leap day
      "2026-04-31T00:00:00.000Z",
      "2026-12-31T23:59:59.999Z",
      "2026-01-01T24:00:00.000Z",
      "2026-13-01T00:00:00.000Z",
      "2026-00-10T00:00:00.000Z",
      "2026-01-00T00:00:00.000Z",
      "2026-01-01T00:60:00.000Z",
      "2026-01-01T00:00:60.000Z",
      "1969-12-31T23:59:59.999Z",
      "0099-01-01T00:00:00.000Z",
      "2026-01-01T00:00:00Z",
      "2026-01-01T00:00:00.000+01:00",
      "2026-01-01 00:00:00.000Z",
      "2026-01-01T00:00:00,000Z",
      "2026-0a-01T00:00:00.000Z",
      "2026-01-01T00:00:00.00aZ",
      "+02026-01-01T00:00:00.000Z",
      "",
      "not a stamp at all, but 24 c",
    ];
    for (const stamp of stamps) expectLikeDateParse(stamp);
  });

  test("strings of the stamp's length with any characters read as Date.parse reads them", () => {
    const chars = fc.constantFrom(..."0123456789-T:.Z+ x");
    fc.assert(
      fc.property(fc.string({ unit: chars, minLength: 24, maxLength: 24 }), fc.integer({ min: 0, max: Date.UTC(2100, 0) }), fc.nat(23), (noise, ms, at) => {
        expectLikeDateParse(noise);
        // One character of a real stamp changed.
        const stamp = new Date(ms).toISOString();
        expectLikeDateParse(stamp.slice(0, at) + noise[at] + stamp.slice(at + 1));
      }),
      { seed: 7, numRuns: 5_000 },
    );
  });
});

describe("isoStamper", () => {
  test("stamps toISOString's text of the clock's time, formatted again only when the millisecond changes", () => {
    let now = Date.UTC(2026, 11, 7, 10, 0, 0, 5);
    let formatted = 0;
    const realToIso = Date.prototype.toISOString;
    Date.prototype.toISOString = function (this: Date) {
      formatted++;
      return realToIso.call(this);
    };
    try {
      const stamp = isoStamper(() => now);
      expect([stamp(), stamp()]).toEqual(["2026-12-07T10:00:00.005Z", "2026-12-07T10:00:00.005Z"]);
      expect(formatted).toBe(1);
      now += 1;
      expect(stamp()).toBe("2026-12-07T10:00:00.006Z");
      now -= 7; // a clock stepped back is stamped as it reads
      expect(stamp()).toBe("2026-12-07T09:59:59.999Z");
      expect(formatted).toBe(3);
    } finally {
      Date.prototype.toISOString = realToIso;
    }
  });
});
