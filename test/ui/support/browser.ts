// Headless Chromium for the dashboard test: Debian's system browser driven by puppeteer-core (no
// browser download), a fresh profile per launch, every launch and wait bounded.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";

export const CHROMIUM = process.env.YAKT_CHROMIUM ?? "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "yakt-ui-profile-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: false, // --headless is in FLAGS, so puppeteer adds no mode of its own
    args: [...FLAGS, `--user-data-dir=${profile}`],
    timeout: 30_000,
    protocolTimeout: 30_000,
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => browser.process()?.kill("SIGKILL"));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
