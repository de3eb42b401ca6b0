// Unique ~200-byte write payloads: a topic name of exactly 200 legal characters per sequence number.

export const PAYLOAD_CHARS = 200;

export function topicName(run: string, seq: number): string {
  const head = `${run}-${seq}-`;
  return head + "x".repeat(Math.max(0, PAYLOAD_CHARS - head.length));
}
