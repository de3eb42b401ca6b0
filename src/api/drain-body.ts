// Reads and drops the body of a request refused before its body was read (an unknown path, a
// method the path does not serve, a bad query or Content-Length). Answering first and closing
// (the client asked for `Connection: close`) would leave the body to arrive at a closed socket:
// the kernel answers it with a reset, and a client still writing gets EPIPE and drops the answer
// unread (HTTP/1.1 §9.6, "lingering close"). Draining is bounded in bytes and in time, so a body
// that is too large or never comes costs at most the body limit and DRAIN_WAIT_MS. (Every route
// that is not GET or HEAD parses its body; Bun drops a GET's or HEAD's body itself, and the
// application never sees it: README says what that means for a client.)

/** How long an answer waits for a body that is announced but slow to come. */
export const DRAIN_WAIT_MS = 2_000;

const TIMED_OUT = Symbol("timed out");

export async function drainUnreadBody(request: Request, maxBytes: number, waitMs: number = DRAIN_WAIT_MS): Promise<void> {
  if (request.body === null || request.bodyUsed) return;
  // A body declared past the bound would not be read to its end anyway: refuse it unread.
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) return;
  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), waitMs);
  });
  let size = 0;
  try {
    for (;;) {
      const step = await Promise.race([reader.read(), deadline]);
      if (step === TIMED_OUT || step.done) return;
      size += step.value.byteLength;
      // Past the limit the rest is not worth reading: Bun's own bound closes such a connection.
      if (size > maxBytes) return;
    }
  } catch {
    // The client went away mid-body: there is nobody left to answer cleanly.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}
