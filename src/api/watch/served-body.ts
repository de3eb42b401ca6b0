// The body Bun.serve sends for a watcher: a "direct" stream that hands Bun one chunk of the
// watcher's stream at a time and asks for the next only once Bun has written the last to the
// socket (a write that Bun could not finish returns a promise that resolves when it has). So what
// a client leaves unread waits in the watcher, counted toward its bounds, and Bun holds at most
// the one chunk it is writing (watcher.ts hands at most HANDOFF_BYTES at once). A dropped
// watcher's connection is closed at once (the stream closed with an error makes Bun abort the
// connection, its unsent bytes with it), not when Bun's idle timeout finds it. A body read in
// process (app.handle, the tests) is the watcher's own stream.
import type { Watcher } from "./watcher.ts";

type DirectSink = ReadableStreamDirectController;

export function servedBody(watcher: Watcher): ReadableStream<Uint8Array> {
  const source = watcher.stream.getReader();
  let sink: DirectSink | null = null;
  let stopped = false;
  let wakeStopped: () => void = () => {};
  const stoppedNow = new Promise<void>((resolve) => {
    wakeStopped = resolve;
  });
  const stop = () => {
    stopped = true;
    wakeStopped();
  };
  watcher.onDropped(() => {
    stop();
    try {
      sink?.close(new Error("the watcher was dropped: it left too much unread"));
    } catch {
      // Bun already closed it (the client went away)
    }
  });
  const pull = async (controller: DirectSink): Promise<void> => {
    sink = controller;
    try {
      while (!stopped) {
        const { done, value } = await source.read();
        if (done || stopped) break;
        const written = controller.write(value);
        if (typeof written !== "number") await Promise.race([written, stoppedNow]);
        else if (written === 0 && value.byteLength > 0) break; // the client went away
      }
      if (!stopped) controller.close();
    } catch {
      // The watcher's stream errored (dropped: its connection is being closed) or Bun's sink
      // closed under us (the client went away): either way nothing more is written.
    } finally {
      sink = null;
      if (!stopped) void source.cancel().catch(() => {});
    }
  };
  return new ReadableStream<Uint8Array>({
    type: "direct",
    pull,
    // The client went away: the watcher stops and frees what waited for it.
    cancel: (reason?: unknown) => {
      stop();
      void source.cancel(reason).catch(() => {});
    },
  });
}
