// Load for the peer-port flood tests: silent connections reopened as soon as they are cut, and an
// event loop slowed as a busy node's is. Each registers its undoing in `cleanups`.
import type { TransportLimits } from "../../src/transport/transport-types.ts";
import { FAST_LIMITS } from "./helpers.ts";
import { rawConnect } from "./raw-sockets.ts";

/** Small slot bounds, so a flood of a few dozen connections fills them: 6 waiting per address, 12 in all. */
export const SLOT_LIMITS: Partial<TransportLimits> = { ...FAST_LIMITS, maxInboundConnections: 24, maxPendingHandshakes: 12, maxPendingPerAddress: 6 };

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
