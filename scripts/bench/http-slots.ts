// Bun's fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS requests at once (256 by default) and
// queues the rest, read once at start-up. A benchmark holding 1,000 long polls open would then
// queue its writers behind them and measure the queue, so it re-runs itself with more slots.

export function ensureHttpSlots(min: number): void {
  if (Number(process.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? 0) >= min) return;
  const r = Bun.spawnSync([process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(min) },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(r.exitCode ?? 1);
}
