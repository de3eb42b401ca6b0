import { describe, expect, test } from "bun:test";
import { parseBoundedInt, parseId, parseNodeIdArg, parseVoterAddress } from "../../src/admin/arguments.ts";
import { isLoopbackAddress } from "../../src/admin/peer-address.ts";
import { tokenMatches } from "../../src/admin/token-check.ts";

describe("argument parsers", () => {
  test("parseId takes positive integers only", () => {
    expect(parseId("id", "7")).toBe(7);
    for (const bad of ["0", "-1", "1.5", "1e3", "", "abc", "9999999999"]) {
      expect(() => parseId("id", bad)).toThrow(`id must be a positive integer, got "${bad}"`);
    }
  });

  test("parseBoundedInt checks the range", () => {
    expect(parseBoundedInt("n", "5", 1, 5)).toBe(5);
    expect(() => parseBoundedInt("n", "6", 1, 5)).toThrow('n must be an integer from 1 to 5, got "6"');
    expect(() => parseBoundedInt("n", "x", 1, 5)).toThrow('got "x"');
  });

  test("parseVoterAddress accepts names, IPv4 and bracketed IPv6", () => {
    expect(parseVoterAddress("4@node-4.example:9093")).toEqual({ id: 4, address: "node-4.example:9093" });
    expect(parseVoterAddress("4@10.0.0.4:9093")).toEqual({ id: 4, address: "10.0.0.4:9093" });
    expect(parseVoterAddress("4@[fe80::1]:9093")).toEqual({ id: 4, address: "[fe80::1]:9093" });
  });

  test.each([
    ["4", "member must look like <id>@<host>:<port>"],
    ["@h:1", "member must look like"],
    ["4@:1", "peer address must look like host:port"],
    ["4@h:", 'port must be an integer from 1 to 65535, got ""'],
    ["x@h:1", 'node id must be an integer from 1 to 2147483647, got "x"'],
    ["4@h:99999", 'port must be an integer from 1 to 65535, got "99999"'],
    ["4@-h:1", 'host "-h" is not a host name'],
    ["4@fe80::1:1", 'host "fe80::1" is not a host name'],
    ["4@256.256.256.256:1", 'host "256.256.256.256" is not an IPv4 address'],
  ])("parseVoterAddress refuses %s", (value, message) => {
    expect(() => parseVoterAddress(value)).toThrow(message);
  });

  test("parseNodeIdArg uses the one node id rule", () => {
    expect(parseNodeIdArg("2147483647")).toBe(2147483647);
    expect(() => parseNodeIdArg("2147483648")).toThrow("node id must be an integer from 1 to 2147483647");
    expect(() => parseNodeIdArg("07")).toThrow('got "07"');
  });
});

describe("isLoopbackAddress", () => {
  test.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["10.0.0.1", false],
    ["128.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["127.0.0.256", false],
    ["", false],
  ])("%s → %p", (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe("tokenMatches", () => {
  test("matches only the exact token, whatever the lengths", () => {
    expect(tokenMatches("abc", "abc")).toBe(true);
    expect(tokenMatches("abc", "abd")).toBe(false);
    expect(tokenMatches("abc", "abcd")).toBe(false);
    expect(tokenMatches("abc", "")).toBe(false);
  });
});
