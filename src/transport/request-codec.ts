// Bodies of the request/reply frames: a u32 request id chosen by the requester, then the opaque
// payload (request, reply) or a UTF-8 message (error reply).
import { ByteReader } from "./byte-reader.ts";
import { ByteWriter } from "./byte-writer.ts";

export const REQUEST_HEADER_BYTES = 4;
/** Remote error messages are cut to this many characters so an error reply stays small. */
const MAX_ERROR_CHARS = 1024;

/** The id header; the payload follows it in the same frame (see encodeFrame's parts). */
export function requestHeader(id: number): Uint8Array {
  const w = new ByteWriter(REQUEST_HEADER_BYTES);
  w.u32(id, "request.id");
  return w.finish();
}

/** Request or reply: the id and the rest of the body as payload (the body is already a copy). */
export function decodeIdAndPayload(body: Uint8Array): { id: number; payload: Uint8Array } {
  const r = new ByteReader(body);
  const id = r.u32("request.id");
  return { id, payload: body.subarray(REQUEST_HEADER_BYTES) };
}

export function encodeErrorReply(id: number, message: string): Uint8Array {
  const w = new ByteWriter(REQUEST_HEADER_BYTES + 2 + 4 * MAX_ERROR_CHARS, 64);
  w.u32(id, "request.id");
  w.string(message.slice(0, MAX_ERROR_CHARS), "error.message");
  return w.finish();
}

export function decodeErrorReply(body: Uint8Array): { id: number; message: string } {
  const r = new ByteReader(body);
  const id = r.u32("request.id");
  const message = r.string("error.message");
  r.end("the error reply");
  return { id, message };
}
