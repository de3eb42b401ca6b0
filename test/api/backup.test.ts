// POST /v1/snapshots/backup through app.handle: the bytes of a snapshot covering every write made
// before the call, with index, term, size and SHA-256 in headers; no new snapshot when the latest
// one already covers everything.
import { expect, test } from "bun:test";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

async function backup(h: ReturnType<typeof makeHarness>) {
  const res = await h.app.handle(new Request("http://localhost/v1/snapshots/backup", { method: "POST" }));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/octet-stream");
  const data = new Uint8Array(await res.arrayBuffer());
  const header = (name: string) => res.headers.get(`x-yakt-${name}`);
  expect(Number(header("snapshot-bytes"))).toBe(data.byteLength);
  expect(header("snapshot-sha256")).toBe(new Bun.CryptoHasher("sha256").update(data).digest("hex"));
  expect(header("cluster-id")).toBe(h.handle.clusterId);
  return { index: Number(header("snapshot-index")), term: Number(header("snapshot-term")), image: h.service.decodeSnapshot(data) };
}

test("a backup covers every write before it, and reuses the latest snapshot when nothing is newer", async () => {
  const h = makeHarness();
  await h.seed();
  const first = await backup(h);
  expect(first.index).toBe(h.handle.appliedIndex());
  expect(first.term).toBeGreaterThan(0);
  expect(first.image.topics.map((t) => t.fields.name)).toEqual(["t1"]);
  expect(first.image.brokers).toHaveLength(3);
  const snapshots = h.handle.listSnapshots().length;
  expect((await backup(h)).index).toBe(first.index);
  expect(h.handle.listSnapshots()).toHaveLength(snapshots);

  expect((await send(h.app, "POST", "/v1/topics", { name: "later" })).status).toBe(201);
  const second = await backup(h);
  expect(second.index).toBeGreaterThan(first.index);
  expect(second.image.topics.map((t) => t.fields.name).sort()).toEqual(["later", "t1"]);
});
