// /metrics: the node's own metrics plus request counters and a latency histogram per route,
// timed by an injected clock.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { processMemoryMetrics } from "../../src/api/process-memory.ts";
import { labelValue, metricName, renderMetrics, sampleValue } from "../../src/api/prometheus.ts";
import { LATENCY_BUCKETS, MAX_SERIES, RequestMetrics } from "../../src/api/request-metrics.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { failingService } from "./support/failing-service.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const nullMachine = { apply: () => null, snapshot: () => new Uint8Array(), restore: () => {} };

/** A gauge's value in a /metrics text, checked to be declared as a gauge. */
function gauge(text: string, name: string): number {
  expect(text).toContain(`# TYPE ${name} gauge\n`);
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1]);
}

describe("GET /metrics", () => {
  test("exposes the node metrics and counts requests per route template and status", async () => {
    let now = 0;
    const handle = new LocalConsensus({ stateMachine: nullMachine });
    const app = createApp({ service: failingService(() => new Error("unused")), handle, now: () => (now += 7) });
    await send(app, "GET", "/v1/cluster");
    await send(app, "GET", "/v1/cluster");
    await send(app, "GET", "/v1/brokers/abc");
    await send(app, "GET", "/nowhere");
    const answer = await send(app, "GET", "/metrics");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("text/plain");
    const text = answer.text;
    expect(text).toContain("# TYPE yakt_raft_term gauge\nyakt_raft_term 1\n");
    expect(text).toContain("# TYPE yakt_raft_proposals_total counter");
    expect(text).toContain('yakt_http_requests_total{method="GET",route="/v1/cluster",status="200"} 2');
    expect(text).toContain('yakt_http_requests_total{method="GET",route="/v1/brokers/:brokerId",status="422"} 1');
    expect(text).toContain('yakt_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    // Each request took exactly 7 ms of the injected clock.
    expect(text).toContain('yakt_http_request_duration_seconds_bucket{method="GET",route="/v1/cluster",le="0.005"} 0');
    expect(text).toContain('yakt_http_request_duration_seconds_bucket{method="GET",route="/v1/cluster",le="0.01"} 2');
    expect(text).toContain('yakt_http_request_duration_seconds_bucket{method="GET",route="/v1/cluster",le="+Inf"} 2');
    expect(text).toContain('yakt_http_request_duration_seconds_count{method="GET",route="/v1/cluster"} 2');
    expect(text).toContain('yakt_http_request_duration_seconds_sum{method="GET",route="/v1/cluster"} 0.014');
    expect(text).not.toContain("/nowhere");
  });

  test("exposes the process's resident set and heap as gauges of plausible bytes", async () => {
    const handle = new LocalConsensus({ stateMachine: nullMachine });
    const app = createApp({ service: failingService(() => new Error("unused")), handle });
    const text = (await send(app, "GET", "/metrics")).text;
    const rss = gauge(text, "yakt_process_resident_bytes");
    const heap = gauge(text, "yakt_heap_bytes");
    // A Bun process with Elysia loaded holds megabytes, its heap a part of them.
    expect(rss).toBeGreaterThan(1024 * 1024);
    expect(heap).toBeGreaterThan(0);
    expect(heap).toBeLessThan(rss);
    const external = gauge(text, "yakt_external_bytes");
    expect(external).toBeGreaterThanOrEqual(0);
    expect(external).toBeLessThan(rss);
  });
});

describe("GET /metrics: the diff history", () => {
  test("gives the records held, the bytes only the history keeps alive and the newest offset dropped", async () => {
    const h = makeHarness();
    await h.seed();
    const before = (await send(h.app, "GET", "/metrics")).text;
    expect(gauge(before, "yakt_history_records")).toBe(h.stateMachine.history.size);
    expect(gauge(before, "yakt_history_records")).toBeGreaterThan(0);
    expect(gauge(before, "yakt_history_own_bytes")).toBe(0); // the image holds every record so far
    expect(gauge(before, "yakt_history_floor_offset")).toBe(0);
    expect((await send(h.app, "PUT", "/v1/brokers/1", { brokerHost: "h".repeat(200) })).status).toBe(200);
    const after = (await send(h.app, "GET", "/metrics")).text;
    expect(gauge(after, "yakt_history_own_bytes")).toBe(h.stateMachine.history.ownBytes);
    expect(gauge(after, "yakt_history_own_bytes")).toBeGreaterThan(200);
  });
});

describe("processMemoryMetrics", () => {
  test("names the resident set, the heap in use and the memory its objects own outside it", () => {
    const usage = { rss: 300, heapUsed: 100, heapTotal: 200, external: 40, arrayBuffers: 0 };
    expect(processMemoryMetrics(usage)).toEqual({ yakt_process_resident_bytes: 300, yakt_heap_bytes: 100, yakt_external_bytes: 40 });
  });
});

describe("RequestMetrics", () => {
  test("folds unknown methods into OTHER and caps the number of series", () => {
    const metrics = new RequestMetrics();
    metrics.record("BREW", "/coffee", 418, 0.001);
    expect(metrics.requestCounts()).toEqual([{ method: "OTHER", route: "/coffee", status: 418, count: 1 }]);
    for (let i = 0; i < MAX_SERIES + 50; i++) metrics.record("GET", `/r${i}`, 200, 0.001);
    expect(metrics.requestCounts().length).toBe(MAX_SERIES + 1);
    expect(metrics.latencySeries().length).toBe(MAX_SERIES + 1);
    const overflow = metrics.requestCounts().find((c) => c.route === "overflow");
    expect(overflow?.count).toBe(51);
  });

  test("resolves below a millisecond: a 0.4-ms answer counts under 0.5 ms, a 3-ms one under 5 ms and not 2.5", () => {
    const metrics = new RequestMetrics();
    metrics.record("GET", "/v1/topics/:name", 200, 0.0004);
    metrics.record("GET", "/v1/topics/:name", 200, 0.003);
    const [series] = metrics.latencySeries();
    const upTo = (le: number) => series.buckets[LATENCY_BUCKETS.indexOf(le as (typeof LATENCY_BUCKETS)[number])];
    expect([upTo(0.00025), upTo(0.0005), upTo(0.001), upTo(0.0025), upTo(0.005)]).toEqual([0, 1, 1, 1, 2]);
  });

  test("a negative or non-finite duration counts as zero", () => {
    const metrics = new RequestMetrics();
    metrics.record("GET", "/x", 200, -1);
    metrics.record("GET", "/x", 200, Number.NaN);
    const [series] = metrics.latencySeries();
    expect(series.sum).toBe(0);
    expect(series.buckets[0]).toBe(2);
  });
});

describe("Prometheus text", () => {
  test("names are made legal and prefixed once", () => {
    expect(metricName("raft.term")).toBe("yakt_raft_term");
    expect(metricName("yakt_x")).toBe("yakt_x");
    expect(metricName("a-b c")).toBe("yakt_a_b_c");
  });

  test("label values and samples are escaped", () => {
    expect(labelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(sampleValue(Number.NaN)).toBe("NaN");
    expect(sampleValue(Infinity)).toBe("+Inf");
    expect(sampleValue(-Infinity)).toBe("-Inf");
    expect(sampleValue(1.5)).toBe("1.5");
  });

  test("the exposition ends with a newline and every sample line is name{labels} value", () => {
    const metrics = new RequestMetrics();
    metrics.record("GET", '/q"uote', 200, 0.2);
    const text = renderMetrics({ z_total: 3, a: 1 }, metrics);
    expect(text.endsWith("\n")).toBe(true);
    for (const line of text.trimEnd().split("\n")) {
      if (line.startsWith("#")) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$/);
    }
    expect(text.indexOf("yakt_a ")).toBeLessThan(text.indexOf("yakt_z_total "));
  });
});
