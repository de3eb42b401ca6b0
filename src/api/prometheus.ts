// Prometheus text exposition (format 0.0.4) of the node's own metrics and the request metrics.
import { LATENCY_BUCKETS, type RequestMetrics } from "./request-metrics.ts";

const PREFIX = "yakt_";

/** A metric name made legal ([a-zA-Z_:][a-zA-Z0-9_:]*) and prefixed once. */
export function metricName(raw: string): string {
  const clean = raw.replace(/[^a-zA-Z0-9_:]/g, "_");
  const named = clean.startsWith(PREFIX) ? clean : `${PREFIX}${clean}`;
  return /^[0-9]/.test(named) ? `_${named}` : named;
}

export function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function sampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function labels(pairs: Record<string, string | number>): string {
  const body = Object.entries(pairs)
    .map(([k, v]) => `${k}="${labelValue(String(v))}"`)
    .join(",");
  return `{${body}}`;
}

/** The node's counters and gauges: names ending in `_total` are counters, the rest gauges. */
export function renderNodeMetrics(metrics: Record<string, number>): string[] {
  const lines: string[] = [];
  for (const raw of Object.keys(metrics).sort()) {
    const name = metricName(raw);
    lines.push(`# TYPE ${name} ${name.endsWith("_total") ? "counter" : "gauge"}`);
    lines.push(`${name} ${sampleValue(metrics[raw])}`);
  }
  return lines;
}

export function renderRequestMetrics(metrics: RequestMetrics): string[] {
  const lines = ["# HELP yakt_http_requests_total HTTP requests answered, by route and status.", "# TYPE yakt_http_requests_total counter"];
  for (const c of metrics.requestCounts()) {
    lines.push(`yakt_http_requests_total${labels({ method: c.method, route: c.route, status: c.status })} ${c.count}`);
  }
  const h = "yakt_http_request_duration_seconds";
  lines.push(`# HELP ${h} Time to answer an HTTP request, by route.`, `# TYPE ${h} histogram`);
  for (const s of metrics.latencySeries()) {
    const base = { method: s.method, route: s.route };
    LATENCY_BUCKETS.forEach((le, i) => lines.push(`${h}_bucket${labels({ ...base, le })} ${s.buckets[i]}`));
    lines.push(`${h}_bucket${labels({ ...base, le: "+Inf" })} ${s.buckets[LATENCY_BUCKETS.length]}`);
    lines.push(`${h}_sum${labels(base)} ${s.sum}`, `${h}_count${labels(base)} ${s.count}`);
  }
  return lines;
}

export function renderMetrics(node: Record<string, number>, requests: RequestMetrics): string {
  return [...renderNodeMetrics(node), ...renderRequestMetrics(requests)].join("\n") + "\n";
}
