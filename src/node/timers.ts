// Every timer and clock reading of the node runtime goes through a Timers: production uses the
// host's (realTimers); the deterministic simulator hands in virtual ones, so the same runtime code
// runs on virtual time and a seed replays exactly.

/** What a scheduled timeout is known by; only the Timers that made it can clear it. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Timers {
  /** Milliseconds (epoch in production, virtual in the simulator). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Run `fn` in a later macrotask, after the current one and its microtasks (setImmediate). */
  defer(fn: () => void): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as ReturnType<typeof setTimeout>),
  defer: (fn) => {
    setImmediate(fn);
  },
};
