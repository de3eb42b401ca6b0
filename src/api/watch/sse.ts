// Server-Sent Events framing (the WHATWG event-stream format): fields one per line, an event ended
// by a blank line, comments starting with ":". Data is JSON, which never holds a raw newline.

export interface SseEvent {
  event?: string;
  id?: number;
  data: unknown;
}

export function sseEvent({ event, id, data }: SseEvent): string {
  const json = JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}${id !== undefined ? `id: ${id}\n` : ""}data: ${json}\n\n`;
}

export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]/g, " ")}\n\n`;
}

/** How long a client waits before reconnecting after the stream ends. */
export function sseRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}
