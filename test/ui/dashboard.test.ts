// The dashboard (GET /ui) in headless Chromium on a real 3-node cluster: it shows the leader, a
// topic created through the API appears live (from /v1/watch), search and paging work, killing
// the leader shows the new one, and the page loads nothing from anywhere but the node.
// YAKT_UI_SCREENSHOT=<file.png> keeps a screenshot (the README's docs/dashboard.png).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "puppeteer-core";
import { http } from "../cluster/support/http.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { ProcessCluster } from "../cluster/support/process-cluster.ts";
import { type LaunchedBrowser, launchChromium } from "./support/browser.ts";

// The page functions below run inside Chromium, where the DOM exists; the test's own types have none.
interface DomNode {
  textContent: string | null;
}
declare const document: {
  getElementById(id: string): DomNode | null;
  querySelector(selector: string): DomNode | null;
  querySelectorAll(selector: string): ArrayLike<DomNode> & Iterable<DomNode>;
};

const cluster = new ProcessCluster(3);
let chromium: LaunchedBrowser;
let page: Page;
let leader = 0;
let watched = 0;
const requested: string[] = [];

const text = (selector: string) => page.$eval(selector, (el) => el.textContent ?? "");
const topicNames = () => page.$$eval("#topics tr td:first-child", (cells) => cells.map((c) => c.textContent));

/** Through the watched node (it forwards to the leader); an election in between is retried, bounded. */
async function createTopic(name: string, placed = {}): Promise<void> {
  await waitUntil(`topic ${name} to be created`, async () => {
    const r = await http("POST", cluster.url(watched, "/v1/topics"), { name, ...placed }, 10_000);
    // 409: an earlier try that timed out on our side was committed after all.
    return r.status === 201 || r.status === 409;
  }, 20_000, 50);
}

/** The leader the page shows equals the one the live nodes agree on (re-read: elections may happen). */
async function pageShowsLeader(): Promise<number> {
  return waitUntil("the page to show the agreed leader", async () => {
    const agreed = await cluster.waitForLeader();
    const shown = await text("#leader");
    return shown === String(agreed) ? agreed : null;
  }, 20_000, 50);
}

beforeAll(async () => {
  cluster.startAll();
  leader = await cluster.waitForLeader();
  watched = cluster.ids.find((id) => id !== leader) as number;
  const broker = { brokerId: 7, brokerHost: "kafka-7", brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r1" };
  expect((await http("POST", cluster.url(leader, "/v1/brokers"), broker)).status).toBe(201);
  chromium = await launchChromium();
  page = await chromium.browser.newPage();
  page.setDefaultTimeout(15_000);
  page.on("request", (r) => requested.push(r.url()));
  await page.setViewport({ width: 1280, height: 900 });
  const res = await page.goto(cluster.url(watched, "/ui"), { waitUntil: "domcontentloaded", timeout: 15_000 });
  expect(res?.status()).toBe(200);
}, 90_000);

afterAll(async () => {
  await chromium?.close();
  await cluster.stopAll();
});

test("it shows the node, its role and the leader, and goes live on the watch stream", async () => {
  leader = await pageShowsLeader();
  expect(await text("#node")).toBe(String(watched));
  expect(await text("#role")).toBe(leader === watched ? "leader" : "follower");
  await page.waitForFunction(() => document.getElementById("stream-state")?.textContent === "live", { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelector("#brokers td:nth-child(3)")?.textContent === "kafka-7:9092", { timeout: 15_000 });
}, 60_000);

test("a topic created through the API appears on the page (latency printed)", async () => {
  const started = performance.now();
  await createTopic("payments", { partitions: 3, replicationFactor: 1 });
  await page.waitForFunction(() => [...document.querySelectorAll("#topics td")].some((td) => td.textContent === "payments"), { timeout: 5_000, polling: 10 });
  const ms = performance.now() - started;
  console.log(`dashboard: topic created → shown in ${ms.toFixed(0)} ms`);
  expect(ms).toBeLessThan(5_000);
}, 30_000);

test("topics are searchable and paged", async () => {
  for (let i = 0; i < 55; i++) await createTopic(`bulk-${String(i).padStart(2, "0")}`);
  await page.waitForFunction(() => document.getElementById("page")?.textContent === "page 1 of 2 (56 topics)", { timeout: 10_000 });
  expect(await topicNames()).toHaveLength(50);
  await page.click("#next");
  await page.waitForFunction(() => document.getElementById("page")?.textContent?.startsWith("page 2 of 2"), { timeout: 5_000 });
  expect(await topicNames()).toEqual(["bulk-50", "bulk-51", "bulk-52", "bulk-53", "bulk-54", "payments"]);
  await page.type("#topic-search", "pay");
  await page.waitForFunction(() => document.getElementById("page")?.textContent === "page 1 of 1 (1 topics)", { timeout: 5_000 });
  expect(await topicNames()).toEqual(["payments"]);
  await page.click("#topics tr");
  await page.waitForFunction(() => document.getElementById("partitions-of")?.textContent === "of payments", { timeout: 5_000 });
  expect(await page.$$eval("#partitions tr", (rows) => rows.length)).toBe(3);
}, 60_000);

test("on the leader's page every member shows its lag and last contact (screenshot kept on request)", async () => {
  const leaderPage = await chromium.browser.newPage();
  await leaderPage.setViewport({ width: 1280, height: 1000 });
  await leaderPage.goto(cluster.url(await cluster.waitForLeader(), "/ui"), { waitUntil: "domcontentloaded", timeout: 15_000 });
  await leaderPage.waitForFunction(() => document.querySelectorAll("#members tr").length === 3, { timeout: 15_000 });
  await leaderPage.waitForFunction(() => document.getElementById("page")?.textContent?.includes("(56 topics)"), { timeout: 15_000 });
  const contacts = await leaderPage.$$eval("#members td:nth-child(5)", (cells) => cells.map((c) => c.textContent ?? ""));
  expect(contacts.every((c) => /^\d+ ms$/.test(c))).toBe(true);
  await leaderPage.type("#topic-search", "payments");
  await leaderPage.waitForFunction(() => document.querySelectorAll("#topics tr").length === 1, { timeout: 5_000 });
  await leaderPage.click("#topics tr");
  await leaderPage.$eval("#topic-search", (el) => {
    (el as unknown as { value: string }).value = "";
    el.dispatchEvent(new Event("input"));
  });
  if (process.env.YAKT_UI_SCREENSHOT) await leaderPage.screenshot({ path: process.env.YAKT_UI_SCREENSHOT });
  await leaderPage.close();
}, 60_000);

test("killing the leader: the page shows the new one", async () => {
  const old = await pageShowsLeader();
  if (old === watched) throw new Error(`the watched node ${watched} became leader; this test kills the leader and needs the page's node alive`);
  await cluster.kill(old);
  leader = await pageShowsLeader();
  expect(leader).not.toBe(old);
  await createTopic("after-failover");
  await page.waitForFunction(() => [...document.querySelectorAll("#records td")].some((td) => td.textContent?.includes("after-failover")), { timeout: 10_000 });
}, 60_000);

test("the page loaded nothing but the node's own routes", () => {
  const origin = new URL(cluster.url(watched, "")).origin;
  expect(requested.length).toBeGreaterThan(0);
  expect(requested.filter((u) => !u.startsWith(origin))).toEqual([]);
});
