// The bounded JSON body reader on its own.
import { expect, test } from "bun:test";
import { BadContentLengthError, BodyTooLargeError, MalformedJsonError, NestingTooDeepError } from "../../src/api/api-error.ts";
import { MAX_JSON_DEPTH } from "../../src/metadata/json-nesting.ts";
import { checkDeclaredLength, parseJsonBody, readBoundedBytes, readJsonBody, UNDECLARED } from "../../src/api/json-body.ts";

const post = (body: RequestInit["body"], headers: Record<string, string> = {}) => new Request("http://localhost/x", { method: "POST", body, headers });

test("a declared length is checked before anything is read, and handed on", () => {
  expect(() => checkDeclaredLength(post("{}", { "content-length": "11" }), 10)).toThrow(BodyTooLargeError);
  expect(checkDeclaredLength(post("{}", { "content-length": "10" }), 10)).toBe(10);
  expect(checkDeclaredLength(post("{}", { "content-length": "0" }), 10)).toBe(0);
  expect(checkDeclaredLength(post(null), 10)).toBe(UNDECLARED);
});

test("a Content-Length that is not a byte count is a 400", () => {
  const fake = { headers: new Headers({ "content-length": "-5" }) } as Request;
  expect(() => checkDeclaredLength(fake, 10)).toThrow(BadContentLengthError);
  const words = { headers: new Headers({ "content-length": "ten" }) } as Request;
  expect(() => checkDeclaredLength(words, 10)).toThrow('got "ten"');
});

test("the byte count is enforced on the stream itself, chunk by chunk", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(4));
    },
  });
  await expect(readBoundedBytes(post(endless), 10)).rejects.toThrow(BodyTooLargeError);
  expect(pulled).toBeLessThan(10);
  expect(await readBoundedBytes(post("abcd"), 4)).toEqual(new TextEncoder().encode("abcd"));
});

test("a body with a declared length is read whole, and still refused past the limit", async () => {
  expect(await readBoundedBytes(post("abcd", { "content-length": "4" }), 4)).toEqual(new TextEncoder().encode("abcd"));
  // An in-process Request can declare less than it carries; the bytes read are what count.
  await expect(readBoundedBytes(post("abcdefgh", { "content-length": "2" }), 4)).rejects.toThrow(BodyTooLargeError);
  // The length checkDeclaredLength handed on picks the same way; without one the body is streamed, bounded.
  expect(await readBoundedBytes(post("abcd", { "content-length": "4" }), 4, 4)).toEqual(new TextEncoder().encode("abcd"));
  await expect(readBoundedBytes(post("abcdefgh", { "content-length": "2" }), 4, 2)).rejects.toThrow(BodyTooLargeError);
  await expect(readBoundedBytes(post("abcdefgh"), 4, UNDECLARED)).rejects.toThrow("more than 4");
});

test("parseJsonBody parses bytes read elsewhere as readJsonBody does", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  expect(parseJsonBody(bytes(" "))).toEqual({});
  expect(parseJsonBody(bytes('{"brokerHost":"h"}'))).toEqual({ brokerHost: "h" });
  expect(() => parseJsonBody(new Uint8Array([0xc3, 0x28]))).toThrow("it is not UTF-8");
  expect(() => parseJsonBody(bytes("{"))).toThrow(MalformedJsonError);
  expect(() => parseJsonBody(bytes("[".repeat(MAX_JSON_DEPTH + 1)))).toThrow(NestingTooDeepError);
});

test("JSON: empty is {}, bad UTF-8 and bad syntax are malformed", async () => {
  expect(await readJsonBody(post(""), 100)).toEqual({});
  expect(await readJsonBody(post("  \n"), 100)).toEqual({});
  expect(await readJsonBody(post('{"a":[1]}'), 100)).toEqual({ a: [1] });
  await expect(readJsonBody(post(new Uint8Array([0xc3, 0x28])), 100)).rejects.toThrow(MalformedJsonError);
  await expect(readJsonBody(post("{'a':1}"), 100)).rejects.toThrow("not valid JSON");
  await expect(readJsonBody(post("[".repeat(20)), 200_000)).rejects.toThrow(MalformedJsonError);
});

test("nesting past the bound is refused before parsing, however deep", async () => {
  const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
  expect(await readJsonBody(post(`{"a":${deep(MAX_JSON_DEPTH - 1)}}`), 200_000)).toBeDefined();
  await expect(readJsonBody(post(`{"a":${deep(MAX_JSON_DEPTH)}}`), 200_000)).rejects.toThrow(NestingTooDeepError);
  // Unbalanced and far too deep: refused by the scan, never handed to JSON.parse.
  await expect(readJsonBody(post("[".repeat(100_000)), 200_000)).rejects.toThrow(`deeper than ${MAX_JSON_DEPTH} levels (at byte ${MAX_JSON_DEPTH})`);
});
