// The leader's timestamps (ISO-8601 UTC with milliseconds, as Date.prototype.toISOString writes
// them): made once per millisecond on the leader, and read back as milliseconds since the epoch.
// Every replica reads the stamp of every entry it applies (the remembered requests' clock) and of
// every record its history holds; Date.parse took ~0.25 µs of an apply's ~3.5 (it first tries
// every other date syntax it knows). The stamp's layout is fixed, so its digits are read in place,
// and Date.UTC does the calendar.

/** Offsets of the fields in "YYYY-MM-DDTHH:mm:ss.sssZ". */
const LAYOUT = "YYYY-MM-DDTHH:mm:ss.sssZ";
const ZERO = 0x30;

/**
 * Date.parse(stamp), the same number for every string: a stamp in toISOString's layout with a
 * day and time every month has (day ≤ 28, hour ≤ 23) is read here, anything else (another
 * layout, a day 29–31, an hour 24, a year before 1970) by Date.parse itself.
 */
export function parseIsoStamp(stamp: string): number {
  if (stamp.length !== LAYOUT.length || !separatorsAt(stamp)) return Date.parse(stamp);
  const year = digits(stamp, 0, 4);
  const month = digits(stamp, 5, 2);
  const day = digits(stamp, 8, 2);
  const hour = digits(stamp, 11, 2);
  const minute = digits(stamp, 14, 2);
  const second = digits(stamp, 17, 2);
  const ms = digits(stamp, 20, 3);
  // A field that is not all digits reads as NaN, and NaN fails every comparison below.
  const plain = year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour <= 23 && minute <= 59 && second <= 59 && ms >= 0;
  return plain ? Date.UTC(year, month - 1, day, hour, minute, second, ms) : Date.parse(stamp);
}

function separatorsAt(s: string): boolean {
  return s.charCodeAt(4) === 0x2d && s.charCodeAt(7) === 0x2d && s.charCodeAt(10) === 0x54 && s.charCodeAt(13) === 0x3a && s.charCodeAt(16) === 0x3a && s.charCodeAt(19) === 0x2e && s.charCodeAt(23) === 0x5a;
}

/** The decimal number of s[at, at + count), or NaN if one of them is not a digit. */
function digits(s: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The stamp of `now()`, formatted only when the millisecond changed: a busy leader stamps several
 * writes in each, and a Date with its toISOString per write was ~0.2 µs.
 */
export function isoStamper(now: () => number): () => string {
  let lastMs = Number.NaN;
  let last = "";
  return () => {
    const ms = now();
    if (ms !== lastMs) {
      last = new Date(ms).toISOString();
      lastMs = ms;
    }
    return last;
  };
}
