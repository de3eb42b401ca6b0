// Draining the body of a refused request: read to its end, but never past the byte bound nor
// past the wait bound, and nothing to do when there is no body or it was already read.
import { expect, test } from "bun:test";
import { drainUnreadBody } from "../../src/api/drain-body.ts";

const post = (body: RequestInit["body"]) => new Request("http://localhost/x", { method: "POST", body });

test("a short body is read to its end", async () => {
  const request = post("hello");
  await drainUnreadBody(request, 100);
  expect(request.bodyUsed).toBe(true);
});

test("no body, or one already read, is left alone", async () => {
  await expect(drainUnreadBody(new Request("http://localhost/x"), 100)).resolves.toBeUndefined();
  const read = post("x");
  expect(await read.text()).toBe("x");
  // Reading a used body again would throw; the drain must not try.
  await expect(drainUnreadBody(read, 100)).resolves.toBeUndefined();
});

test("an endless body is read only up to the byte bound", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(1024));
    },
  });
  await drainUnreadBody(post(endless), 10 * 1024);
  expect(pulled).toBeGreaterThan(10);
  expect(pulled).toBeLessThan(20);
});

test("a body declared past the byte bound is not read at all", async () => {
  const request = new Request("http://localhost/x", { method: "POST", body: "x".repeat(2048), headers: { "content-length": "2048" } });
  await drainUnreadBody(request, 1024);
  expect(request.bodyUsed).toBe(false);
});

test("a body that never comes is given up after the wait bound", async () => {
  let cancelled = false;
  const silent = new ReadableStream<Uint8Array>({
    pull: () => new Promise<void>(() => {}),
    cancel: () => {
      cancelled = true;
    },
  });
  await drainUnreadBody(post(silent), 1024, 20);
  expect(cancelled).toBe(true);
});

test("a body that fails mid-way ends the drain quietly", async () => {
  const failing = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.error(new Error("peer went away")),
  });
  await expect(drainUnreadBody(post(failing), 1024)).resolves.toBeUndefined();
});
