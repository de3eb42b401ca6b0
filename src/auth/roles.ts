// The three roles of `--auth-tokens` and what each may do. A role includes the ones below it:
// reader reads; broker also heartbeats and fetches through BrokerMgmt, allocates producer ids and
// reports ISR changes (what a Kafka broker does); admin does everything else.

export type Role = "reader" | "broker" | "admin";

export const ROLES: readonly Role[] = ["reader", "broker", "admin"];

const RANK: Record<Role, number> = { reader: 0, broker: 1, admin: 2 };

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

export function allows(held: Role, needed: Role): boolean {
  return RANK[held] >= RANK[needed];
}

/**
 * Routes open to anyone, token or not: a load balancer's health check must not need a secret, and
 * the dashboard page is static HTML a browser loads without headers (it holds no data; every call
 * it makes carries the token it asks for).
 */
const OPEN = new Set(["GET /healthz", "HEAD /healthz", "GET /ui", "HEAD /ui"]);

/** Writes a broker makes in its normal work (KRaft's broker-to-controller RPCs). */
const BROKER_WRITES: readonly RegExp[] = [
  /^POST \/v1\/broker-mgmt\/metadata$/,
  /^(GET|POST) \/BrokerMgmt$/,
  /^POST \/v1\/producers$/,
  /^POST \/create_producer\/[^/]+\/[^/]+$/,
  /^POST \/v1\/topics\/[^/]+\/partitions\/[^/]+\/isr$/,
];

/** The role a request needs, or null when the route is open. */
export function requiredRole(method: string, path: string): Role | null {
  const route = `${method.toUpperCase()} ${path}`;
  if (OPEN.has(route)) return null;
  if (BROKER_WRITES.some((pattern) => pattern.test(route))) return "broker";
  if (method === "GET" || method === "HEAD") return "reader";
  return "admin";
}
