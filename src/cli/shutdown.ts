// Graceful shutdown on SIGINT/SIGTERM, bounded by a deadline: a second signal or a stop that
// hangs past the deadline ends the process at once with a non-zero code.

export interface ShutdownOptions {
  stop: () => Promise<void>;
  deadlineMs: number;
  log: (event: string, fields: Record<string, unknown>) => void;
  exit: (code: number) => void;
}

export function installShutdown(opts: ShutdownOptions): () => Promise<void> {
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      opts.log("shutdown_forced", { signal });
      opts.exit(1);
      return;
    }
    stopping = true;
    opts.log("shutdown_started", { signal, deadlineMs: opts.deadlineMs });
    const timer = setTimeout(() => {
      opts.log("shutdown_deadline_passed", { deadlineMs: opts.deadlineMs });
      opts.exit(1);
    }, opts.deadlineMs);
    try {
      await opts.stop();
      clearTimeout(timer);
      opts.log("shutdown_done", {});
      opts.exit(0);
    } catch (e) {
      clearTimeout(timer);
      opts.log("shutdown_failed", { error: e });
      opts.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  return () => shutdown("request");
}
