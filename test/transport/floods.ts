// Load for the peer-port flood tests: silent connections reopened as soon as they are cut, and an
// event loop slowed as a busy node's is. Each registers its undoing in `cleanups`.
import { rawConnect } from "./raw-sockets.ts";

export interface Flood {
  /** Connections opened so far. */
  opened: () => number;
  stop: () => void;
}

/** Keeps `count` silent connections open to `port`, reopening each one as soon as it is cut. */
export function flood(port: number, count: number, cleanups: (() => void)[]): Flood {
  let stopped = false;
  let opened = 0;
  const open = (): void => {
    if (stopped) return;
    opened++;
    void rawConnect(port).then(
      (c) => {
        cleanups.push(() => c.socket.terminate());
        const reopen = setInterval(() => {
          if (!c.closed() && !stopped) return;
          clearInterval(reopen);
          if (!stopped) open();
        }, 2);
        cleanups.push(() => clearInterval(reopen));
      },
      () => setTimeout(open, 2),
    );
  };
  for (let i = 0; i < count; i++) open();
  cleanups.push(() => {
    stopped = true;
  });
  return { opened: () => opened, stop: () => (stopped = true) };
}

/** Blocks the event loop for `ms` every millisecond, as a busy node's loop is: its turns grow long. */
export function slowTurns(ms: number, cleanups: (() => void)[]): void {
  const hog = setInterval(() => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  }, 1);
  cleanups.push(() => clearInterval(hog));
}
