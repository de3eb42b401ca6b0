import { describe, expect, test } from "bun:test";
import { LineReader, type ReaderEvent } from "../../src/admin/line-reader.ts";

const IAC = 255;
const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "string") out.push(...new TextEncoder().encode(part));
    else out.push(...part);
  }
  return Uint8Array.from(out);
};

const feedAll = (reader: LineReader, input: Uint8Array): ReaderEvent[] => reader.push(input);

/** Feeds the input cut at the given offsets, concatenating the events of every piece. */
const feedSplit = (reader: LineReader, input: Uint8Array, cuts: number[]): ReaderEvent[] => {
  const events: ReaderEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, input.length]) {
    events.push(...reader.push(input.subarray(start, cut)));
    start = cut;
  }
  return events;
};

const lines = (events: ReaderEvent[]) => events.filter((e) => e.type === "line").map((e) => (e as { text: string }).text);

describe("line ends", () => {
  test("CR LF, CR NUL and bare LF each end one line", () => {
    const events = feedAll(new LineReader(), bytes("status\r\nhelp\r\0topics\nquit\r\n"));
    expect(lines(events)).toEqual(["status", "help", "topics", "quit"]);
  });

  test("a bare CR ends the line and the next byte starts the next one", () => {
    expect(lines(feedAll(new LineReader(), bytes("a\rb\n")))).toEqual(["a", "b"]);
  });

  test("a line ending in CR is delivered before its LF arrives", () => {
    const reader = new LineReader();
    expect(lines(reader.push(bytes("status\r")))).toEqual(["status"]);
    expect(reader.push(bytes("\n"))).toEqual([]);
    expect(lines(reader.push(bytes("help\r\n")))).toEqual(["help"]);
  });

  test("empty lines are delivered as empty", () => {
    expect(lines(feedAll(new LineReader(), bytes("\r\n\n")))).toEqual(["", ""]);
  });

  test("several commands in one packet come out in order", () => {
    expect(lines(feedAll(new LineReader(), bytes("a\r\nb\r\nc\r\n")))).toEqual(["a", "b", "c"]);
  });
});

describe("telnet negotiation", () => {
  test("DO and WILL are refused with WONT and DONT; WONT and DONT get no answer", () => {
    const events = feedAll(new LineReader(), bytes([IAC, 253, 1, IAC, 251, 31, IAC, 252, 3, IAC, 254, 24], "ok\n"));
    expect(events).toEqual([
      { type: "reply", bytes: Uint8Array.of(IAC, 252, 1) },
      { type: "reply", bytes: Uint8Array.of(IAC, 254, 31) },
      { type: "line", text: "ok" },
    ]);
  });

  test("subnegotiation IAC SB ... IAC SE is dropped, including an escaped IAC inside it", () => {
    const input = bytes("st", [IAC, 250, 24, 0, IAC, IAC, 65, 66, IAC, 240], "atus\r\n");
    expect(lines(feedAll(new LineReader(), input))).toEqual(["status"]);
  });

  test("IAC IAC is a literal 255 byte in the line", () => {
    const events = feedAll(new LineReader(), bytes("a", [IAC, IAC], "b\n"));
    expect(lines(events)).toEqual(["a\uFFFDb"]);
  });

  test("two-byte commands that carry nothing (NOP, GA, AYT) are dropped", () => {
    expect(lines(feedAll(new LineReader(), bytes("he", [IAC, 241, IAC, 249, IAC, 246], "lp\n")))).toEqual(["help"]);
  });

  test("IAC EC erases a character and IAC EL the whole line", () => {
    expect(lines(feedAll(new LineReader(), bytes("helpx", [IAC, 247], "\n")))).toEqual(["help"]);
    expect(lines(feedAll(new LineReader(), bytes("garbage", [IAC, 248], "status\n")))).toEqual(["status"]);
  });
});

describe("control bytes", () => {
  test("non-printable control bytes are ignored, tab becomes a space", () => {
    expect(lines(feedAll(new LineReader(), bytes("st", [1, 2, 7, 0x1b], "atus\tx\n")))).toEqual(["status x"]);
  });

  test("backspace and DEL erase one character, a whole UTF-8 sequence at once", () => {
    expect(lines(feedAll(new LineReader(), bytes("helq", [8], "p\n")))).toEqual(["help"]);
    expect(lines(feedAll(new LineReader(), bytes("ab€", [0x7f], "c\n")))).toEqual(["abc"]);
    expect(lines(feedAll(new LineReader(), bytes([8, 8], "x\n")))).toEqual(["x"]);
  });

  test.each([
    ["Ctrl-C", [0x03], "ctrl-c"],
    ["Ctrl-D", [0x04], "ctrl-d"],
    ["IAC IP", [IAC, 244], "telnet-ip"],
    ["IAC EOF", [IAC, 236], "telnet-eof"],
    ["IAC ABORT", [IAC, 238], "telnet-abort"],
  ] as const)("%s interrupts and no line after it is read", (_name, seq, cause) => {
    const reader = new LineReader();
    const events = reader.push(bytes("a\n", [...seq], "b\n"));
    expect(events).toEqual([
      { type: "line", text: "a" },
      { type: "interrupt", cause },
    ]);
    expect(reader.push(bytes("c\n"))).toEqual([]);
  });

  test("after an interrupt negotiation is still answered (telnet's DO TIMING-MARK) but no line is read", () => {
    const reader = new LineReader();
    const events = reader.push(bytes([IAC, 244, IAC, 253, 6], "x\n", [IAC, IAC, IAC, 244], "y\n"));
    expect(events).toEqual([
      { type: "interrupt", cause: "telnet-ip" },
      { type: "reply", bytes: Uint8Array.of(IAC, 252, 6) },
    ]);
  });
});

describe("line length bound", () => {
  test("a line over the limit is reported once and discarded; the next line is fine", () => {
    const reader = new LineReader(8);
    const events = reader.push(bytes("123456789abcdef\r\nok\r\n"));
    expect(events).toEqual([
      { type: "overlong", limit: 8 },
      { type: "line", text: "ok" },
    ]);
  });

  test("a line of exactly the limit passes", () => {
    expect(lines(new LineReader(8).push(bytes("12345678\n")))).toEqual(["12345678"]);
  });

  test("an endless line without a line end uses no more than the limit and reports at its end", () => {
    const reader = new LineReader(16);
    for (let i = 0; i < 1000; i++) expect(reader.push(bytes("xxxxxxxxxxxxxxxx"))).toEqual([]);
    expect(reader.push(bytes("\n"))).toEqual([{ type: "overlong", limit: 16 }]);
  });

  test("rejects a limit that is not a positive integer", () => {
    expect(() => new LineReader(0)).toThrow("maxLineBytes must be a positive integer, got 0");
  });
});

describe("split packets", () => {
  const input = bytes(
    [IAC, 253, 1],
    "sta",
    [IAC, 250, 24, 1, IAC, IAC, IAC, 240],
    "tus\r\n",
    "help\r\0",
    "a",
    [IAC, IAC],
    "\n",
    [IAC, 251, 3],
    "topic x\r\n",
  );

  test("every single cut point gives the same events as one packet", () => {
    const whole = feedAll(new LineReader(), input);
    expect(lines(whole)).toEqual(["status", "help", "a\uFFFD", "topic x"]);
    for (let cut = 0; cut <= input.length; cut++) {
      expect(feedSplit(new LineReader(), input, [cut])).toEqual(whole);
    }
  });

  test("byte-by-byte delivery gives the same events as one packet", () => {
    const whole = feedAll(new LineReader(), input);
    const cuts = Array.from({ length: input.length }, (_, i) => i);
    expect(feedSplit(new LineReader(), input, cuts)).toEqual(whole);
  });

  test("seeded random cut sets give the same events as one packet", () => {
    let seed = 0x2545f491;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const whole = feedAll(new LineReader(), input);
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 4 }, () => Math.floor(next() * input.length)).sort((a, b) => a - b);
      expect(feedSplit(new LineReader(), input, cuts)).toEqual(whole);
    }
  });
});
