// Turns the raw bytes of a telnet (RFC 854) or netcat connection into command lines.
// Negotiation is stripped and every request to enable an option is refused, which leaves both
// sides in the NVT default (client echoes locally, sends whole lines) and lets real telnet settle.
import {
  ABORT,
  BS,
  CR,
  CTRL_C,
  CTRL_D,
  DEL,
  DO,
  DONT,
  EC,
  EL,
  EOF,
  IAC,
  IP,
  LF,
  NUL,
  SB,
  SE,
  TAB,
  WILL,
  WONT,
} from "./telnet-codes.ts";

export type InterruptCause = "ctrl-c" | "ctrl-d" | "telnet-ip" | "telnet-abort" | "telnet-eof";

export type ReaderEvent =
  | { type: "line"; text: string }
  /** A line went over the limit; its bytes were dropped up to the line end. */
  | { type: "overlong"; limit: number }
  /** Bytes to send back to the client (option refusals). */
  | { type: "reply"; bytes: Uint8Array }
  /** The user asked to stop; after it only negotiation is answered, no line is read. */
  | { type: "interrupt"; cause: InterruptCause };

type State = "data" | "iac" | "option" | "sb" | "sb-iac";

const decoder = new TextDecoder("utf-8");

export class LineReader {
  private state: State = "data";
  private verb = 0;
  private readonly line: Uint8Array;
  private length = 0;
  private discarding = false;
  /** A CR ended the line at once; a following LF or NUL is the rest of that line end. */
  private afterCr = false;
  private stopped = false;

  constructor(readonly maxLineBytes = 4096) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
    this.line = new Uint8Array(maxLineBytes);
  }

  /** Feed one received chunk; returns what it completed, in order. State carries over chunks. */
  push(chunk: Uint8Array): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    for (const byte of chunk) this.step(byte, events);
    return events;
  }

  private step(byte: number, events: ReaderEvent[]): void {
    switch (this.state) {
      case "data":
        return this.data(byte, events);
      case "iac":
        return this.command(byte, events);
      case "option":
        return this.option(byte, events);
      case "sb":
        // Subnegotiation content is skipped, never buffered, so it needs no bound of its own.
        if (byte === IAC) this.state = "sb-iac";
        return;
      case "sb-iac":
        this.state = byte === SE ? "data" : "sb";
        return;
    }
  }

  private data(byte: number, events: ReaderEvent[]): void {
    // After an interrupt telnet usually sends IAC DO TIMING-MARK and discards our output until it
    // is answered; so negotiation is still answered, and everything else is dropped.
    if (this.stopped) {
      if (byte === IAC) this.state = "iac";
      return;
    }
    if (this.afterCr) {
      this.afterCr = false;
      if (byte === LF || byte === NUL) return;
    }
    if (byte === IAC) {
      this.state = "iac";
    } else if (byte === CR) {
      this.endLine(events);
      this.afterCr = true;
    } else if (byte === LF) {
      this.endLine(events);
    } else if (byte === CTRL_C || byte === CTRL_D) {
      this.interrupt(byte === CTRL_C ? "ctrl-c" : "ctrl-d", events);
    } else if (byte === BS || byte === DEL) {
      this.eraseChar();
    } else if (byte === TAB) {
      this.append(0x20);
    } else if (byte >= 0x20) {
      this.append(byte);
    }
    // Any other control byte is noise from a terminal and is dropped.
  }

  private command(byte: number, events: ReaderEvent[]): void {
    this.state = "data";
    if (this.stopped && byte !== WILL && byte !== WONT && byte !== DO && byte !== DONT && byte !== SB) return;
    if (byte === IAC) {
      this.append(IAC);
    } else if (byte === WILL || byte === WONT || byte === DO || byte === DONT) {
      this.verb = byte;
      this.state = "option";
    } else if (byte === SB) {
      this.state = "sb";
    } else if (byte === IP) {
      this.interrupt("telnet-ip", events);
    } else if (byte === ABORT) {
      this.interrupt("telnet-abort", events);
    } else if (byte === EOF) {
      this.interrupt("telnet-eof", events);
    } else if (byte === EC) {
      this.eraseChar();
    } else if (byte === EL) {
      this.length = 0;
    }
    // NOP, DM, GA, AYT, AO, BRK and stray SE carry nothing for a line-based console.
  }

  private option(option: number, events: ReaderEvent[]): void {
    this.state = "data";
    // We support no option: refuse every offer and request. WONT/DONT confirm the state we are
    // already in, and answering them would start a negotiation loop (RFC 854, "no acknowledgment").
    if (this.verb === DO) events.push({ type: "reply", bytes: Uint8Array.of(IAC, WONT, option) });
    if (this.verb === WILL) events.push({ type: "reply", bytes: Uint8Array.of(IAC, DONT, option) });
  }

  private append(byte: number): void {
    if (this.discarding) return;
    if (this.length === this.maxLineBytes) {
      this.discarding = true;
      this.length = 0;
      return;
    }
    this.line[this.length++] = byte;
  }

  /** Removes the last character, including all bytes of a multi-byte UTF-8 sequence. */
  private eraseChar(): void {
    while (this.length > 0) {
      const removed = this.line[--this.length];
      if ((removed & 0xc0) !== 0x80) break;
    }
  }

  private endLine(events: ReaderEvent[]): void {
    if (this.discarding) {
      events.push({ type: "overlong", limit: this.maxLineBytes });
    } else {
      events.push({ type: "line", text: decoder.decode(this.line.subarray(0, this.length)) });
    }
    this.discarding = false;
    this.length = 0;
  }

  private interrupt(cause: InterruptCause, events: ReaderEvent[]): void {
    this.stopped = true;
    events.push({ type: "interrupt", cause });
  }
}
