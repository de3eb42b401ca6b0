// The dashboard (GET /ui) in headless Chromium on a real node with --auth-tokens: the page itself
// loads without a token, asks for one when the API answers 401, refuses an unknown one with the
// node's message, and with a reader token shows the node and follows /v1/watch live (read with
// fetch, so the token travels in the Authorization header: never in a URL). Through the API: the
// watch stream needs a reader token like any read.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { http } from "../cluster/support/http.ts";
import { ProcessCluster } from "../cluster/support/process-cluster.ts";
import { type LaunchedBrowser, launchChromium } from "./support/browser.ts";

// The page functions below run inside Chromium, where the DOM exists; the test's own types have none.
declare const document: {
  getElementById(id: string): { textContent: string | null; hidden?: boolean } | null;
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> & Iterable<{ textContent: string | null }>;
};

const dir = mkdtempSync(join(tmpdir(), "yakt-ui-tokens-"));
const tokensFile = join(dir, "tokens");
const ADMIN = "ui-admin-token-00000000001";
const READER = "ui-reader-token-0000000001";
writeFileSync(tokensFile, `${ADMIN} admin ops\n${READER} reader dashboard\n`);
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

const cluster = new ProcessCluster(1, ["--auth-tokens", tokensFile], 1, { client: as(ADMIN) });
let chromium: LaunchedBrowser;
let page: Page;
const requests: { url: string; authorization?: string }[] = [];

beforeAll(async () => {
  cluster.startAll();
  await cluster.waitForLeader();
  chromium = await launchChromium();
  page = await chromium.browser.newPage();
  page.setDefaultTimeout(15_000);
  page.on("request", (r) => requests.push({ url: r.url(), authorization: r.headers().authorization }));
}, 90_000);

afterAll(async () => {
  await chromium?.close();
  await cluster.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function submitToken(token: string): Promise<void> {
  await page.waitForFunction(() => document.getElementById("auth")?.hidden === false, { timeout: 15_000 });
  await page.type("#token", token);
  await page.click("#use-token");
}

describe("the dashboard under --auth-tokens", () => {
  test("the watch stream needs a reader token, like any read", async () => {
    const url = cluster.url(1, "/v1/watch");
    const none = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    expect(none.status).toBe(401);
    const ok = await fetch(url, { ...as(READER), signal: AbortSignal.timeout(5_000) });
    expect([ok.status, ok.headers.get("content-type")]).toEqual([200, expect.stringContaining("text/event-stream")]);
    await ok.body?.cancel();
  });

  test("the page loads without a token and asks for one; an unknown token is refused with the node's reason", async () => {
    const res = await page.goto(cluster.url(1, "/ui"), { waitUntil: "domcontentloaded", timeout: 15_000 });
    expect(res?.status()).toBe(200);
    await page.waitForFunction(() => document.getElementById("stream-state")?.textContent === "needs a token", { timeout: 15_000 });
    expect(await page.$eval("#auth-note", (el) => el.textContent)).toContain("requires a token");
    await submitToken("not-a-known-token-000000");
    await page.waitForFunction(() => document.getElementById("auth-note")?.textContent?.includes("not known") === true, { timeout: 15_000 });
  }, 60_000);

  test("with a reader token it shows the node and follows the stream live", async () => {
    await submitToken(READER);
    await page.waitForFunction(() => document.getElementById("stream-state")?.textContent === "live", { timeout: 15_000 });
    await page.waitForFunction(() => document.getElementById("node")?.textContent === "1", { timeout: 15_000 });
    expect((await http("POST", cluster.url(1, "/v1/topics"), { name: "seen-with-token" }, 10_000, as(ADMIN))).status).toBe(201);
    await page.waitForFunction(() => [...document.querySelectorAll("#topics td")].some((td) => td.textContent === "seen-with-token"), { timeout: 15_000 });
    expect(await page.$eval("#auth", (el) => (el as unknown as { hidden: boolean }).hidden)).toBe(true);
  }, 60_000);

  test("the token went only in the Authorization header of the node's API calls", () => {
    expect(requests.some((r) => r.url.endsWith("/v1/watch") && r.authorization === `Bearer ${READER}`)).toBe(true);
    expect(requests.filter((r) => r.url.includes(READER))).toEqual([]);
    expect(requests.filter((r) => r.url.endsWith("/ui")).every((r) => r.authorization === undefined)).toBe(true);
  });
});
