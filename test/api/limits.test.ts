import { expect, test } from "bun:test";
import { DEFAULT_LIMITS, resolveLimits } from "../../src/api/limits.ts";

test("defaults follow API.md: 1 MiB bodies, log pages of 100 up to 1000", () => {
  expect(resolveLimits()).toMatchObject({ maxBodyBytes: 1024 * 1024, logDefaultLimit: 100, logMaxLimit: 1000 });
  expect(resolveLimits({ maxBodyBytes: 10 })).toEqual({ ...DEFAULT_LIMITS, maxBodyBytes: 10 });
});

test("limits that are not positive integers, or that contradict each other, are refused", () => {
  expect(() => resolveLimits({ maxBodyBytes: 0 })).toThrow("maxBodyBytes must be a positive integer, got 0");
  expect(() => resolveLimits({ maxBodyBytes: Infinity })).toThrow("maxBodyBytes");
  expect(() => resolveLimits({ logDefaultLimit: 1.5 })).toThrow("logDefaultLimit");
  expect(() => resolveLimits({ logMaxLimit: 5000 })).toThrow("exceeds the log's page bound 1000");
  expect(() => resolveLimits({ logDefaultLimit: 500, logMaxLimit: 200 })).toThrow("exceeds logMaxLimit (200)");
  expect(() => resolveLimits({ maxImageStreams: 0 })).toThrow("maxImageStreams must be a positive integer, got 0");
  expect(() => resolveLimits({ pageDefaultLimit: 500, pageMaxLimit: 200 })).toThrow("exceeds pageMaxLimit (200)");
});
